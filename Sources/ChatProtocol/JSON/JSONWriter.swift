/// Appends compact JSON to a byte buffer, rendering exactly as Go's `encoding/json` (Go 1.21) does.
///
/// - Compact: no whitespace, no trailing newline.
/// - Strings: `"` and `\` as `\"` and `\\`; newline, carriage return and tab as `\n`, `\r`, `\t`; every other
///   control character (including backspace and form feed, which Go 1.21 does not shorten) as `\u00XX` with
///   lowercase hex; `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
///   DEL (0x7F) and all other non-ASCII text are written as raw UTF-8.
/// - 64-bit ids are written as quoted decimal strings (``writeQuotedUInt64(_:)``), never through `Double`.
///
/// Separators are managed for the caller: ``writeKey(_:)`` and ``beginElement()`` insert a comma unless the
/// buffer ends with the opening bracket of the current container, so members are written in order with no
/// bookkeeping.
package struct JSONWriter {
    /// The output: `storage[..<length]`. The rest of `storage` is zeros (or bytes already written over): room to
    /// write into through a pointer, since an array cannot be written past its count and
    /// `append(contentsOf:)` costs about 80 instructions per call however few the bytes.
    private var storage: [UInt8]
    private var length = 0

    /// The bytes written so far. Reading them trims the unused room off the end (no copy).
    package var bytes: [UInt8] {
        mutating get {
            if self.storage.count > self.length {
                self.storage.removeSubrange(self.length...)
            }
            return self.storage
        }
    }

    /// Creates an empty writer.
    /// - Parameter capacity: The number of bytes to reserve up front.
    package init(capacity: Int = 128) {
        self.storage = []
        self.storage.reserveCapacity(max(capacity, 16))
        Self.appendZeros(self.storage.capacity, to: &self.storage)
    }

    /// Appends `count` zero bytes, copied from a static block (`[UInt8](repeating:count:)` is not specialized:
    /// it fills element by element after a generic metadata lookup).
    private static func appendZeros(_ count: Int, to storage: inout [UInt8]) {
        zeroBytes.withUnsafeBufferPointer { zeros in
            var remaining = count
            while remaining > 0 {
                let chunk = min(remaining, zeros.count)
                storage.append(contentsOf: UnsafeBufferPointer(rebasing: zeros[..<chunk]))
                remaining -= chunk
            }
        }
    }

    /// Makes room for `count` more bytes.
    @inline(__always)
    private mutating func reserve(_ count: Int) {
        if count > self.storage.count &- self.length {
            self.grow(count)
        }
    }

    @inline(never)
    private mutating func grow(_ count: Int) {
        let newCount = max(self.length + count, 2 * self.storage.count)
        self.storage.reserveCapacity(newCount)
        Self.appendZeros(self.storage.capacity - self.storage.count, to: &self.storage)
    }

    /// Writes `count` bytes through `body`, which gets a pointer to where they go and must initialize all of them.
    @inline(__always)
    private mutating func write(_ count: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        self.reserve(count)
        let start = self.length
        self.storage.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress {
                body(base + start)
            }
        }
        self.length = start &+ count
    }

    @inline(__always)
    private mutating func appendByte(_ byte: UInt8) {
        self.reserve(1)
        self.storage[self.length] = byte
        self.length &+= 1
    }

    @inline(__always)
    private mutating func appendBytes(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        self.write(bytes.count) { $0.update(from: source, count: bytes.count) }
    }

    @inline(__always)
    private mutating func appendBytes(_ text: StaticString) {
        text.withUTF8Buffer { self.appendBytes($0) }
    }

    /// Writes `{`.
    package mutating func beginObject() { self.appendByte(UInt8(ascii: "{")) }

    /// Writes `}`.
    package mutating func endObject() { self.appendByte(UInt8(ascii: "}")) }

    /// Writes `[`.
    package mutating func beginArray() { self.appendByte(UInt8(ascii: "[")) }

    /// Writes `]`.
    package mutating func endArray() { self.appendByte(UInt8(ascii: "]")) }

    /// Writes the comma that separates this array element from the previous one, if there is one.
    package mutating func beginElement() { self.separate() }

    /// Writes a separating comma if needed, then `"key":`.
    /// - Parameter key: The member name: plain ASCII that needs no escaping.
    package mutating func writeKey(_ key: StaticString) {
        key.withUTF8Buffer { self.writeKey($0) }
    }

    private mutating func writeKey(_ name: UnsafeBufferPointer<UInt8>) {
        let comma = self.needsSeparator
        // Separator, quotes, name and colon in one write.
        self.write(name.count &+ (comma ? 4 : 3)) { base in
            var index = 0
            if comma {
                base[0] = UInt8(ascii: ",")
                index = 1
            }
            base[index] = UInt8(ascii: "\"")
            if let source = name.baseAddress {
                (base + index + 1).update(from: source, count: name.count)
            }
            index += 1 + name.count
            base[index] = UInt8(ascii: "\"")
            base[index + 1] = UInt8(ascii: ":")
        }
    }

    /// Writes a string value with Go-compatible escaping.
    /// - Parameter string: The text.
    package mutating func writeString(_ string: String) {
        self.writeEscaped(string)
    }

    /// Writes an unsigned integer as a quoted decimal string, the wire form of every 64-bit id: `"17"`.
    /// - Parameter value: The integer.
    package mutating func writeQuotedUInt64(_ value: UInt64) {
        self.writeInteger(value, negative: false, quoted: true)
    }

    /// Writes an unsigned integer as a bare JSON number: `17`.
    /// - Parameter value: The integer.
    package mutating func writeUInt64(_ value: UInt64) {
        self.writeInteger(value, negative: false, quoted: false)
    }

    /// Writes a signed integer as a bare JSON number: `-17`.
    /// - Parameter value: The integer.
    package mutating func writeInt64(_ value: Int64) {
        self.writeInteger(value.magnitude, negative: value < 0, quoted: false)
    }

    /// Writes a signed integer as a quoted decimal string: `"-17"`.
    /// - Parameter value: The integer.
    package mutating func writeQuotedInt64(_ value: Int64) {
        self.writeInteger(value.magnitude, negative: value < 0, quoted: true)
    }

    /// "00" to "99": the two digits of every value below 100. A `StaticString`, read through its pointer: no
    /// retain and release per use, unlike a static array.
    private static var digitPairs: StaticString {
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
    }

    /// Writes `magnitude` in decimal, after a minus sign if `negative`, between quotes if `quoted`. The text is
    /// built right to left in a stack buffer (24 bytes: quotes, sign, 20 digits), two digits per division, and
    /// goes to the output in one copy.
    private mutating func writeInteger(_ magnitude: UInt64, negative: Bool, quoted: Bool) {
        let pairs = Self.digitPairs.utf8Start
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var index = 24
            if quoted {
                index &-= 1
                buffer[index] = UInt8(ascii: "\"")
            }
            var rest = magnitude
            while rest >= 100 {
                let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: 100)
                let pair = Int(truncatingIfNeeded: remainder) &* 2
                index &-= 2
                buffer[index] = pairs[pair]
                buffer[index &+ 1] = pairs[pair &+ 1]
                rest = quotient
            }
            if rest >= 10 {
                let pair = Int(truncatingIfNeeded: rest) &* 2
                index &-= 2
                buffer[index] = pairs[pair]
                buffer[index &+ 1] = pairs[pair &+ 1]
            } else {
                index &-= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
            }
            if negative {
                index &-= 1
                buffer[index] = UInt8(ascii: "-")
            }
            if quoted {
                index &-= 1
                buffer[index] = UInt8(ascii: "\"")
            }
            self.appendBytes(UnsafeBufferPointer(rebasing: buffer[index..<24]))
        }
    }

    /// Writes `true` or `false`.
    /// - Parameter value: The boolean.
    package mutating func writeBool(_ value: Bool) {
        if value {
            self.appendBytes("true")
        } else {
            self.appendBytes("false")
        }
    }

    /// Writes `null`.
    package mutating func writeNull() {
        self.appendBytes("null")
    }

    private mutating func separate() {
        if self.needsSeparator { self.appendByte(UInt8(ascii: ",")) }
    }

    /// Whether a comma must precede the next member or element: the buffer does not end with an opening bracket.
    private var needsSeparator: Bool {
        guard self.length > 0 else { return false }
        let last = self.storage[self.length &- 1]
        return last != UInt8(ascii: "{") && last != UInt8(ascii: "[")
    }

    private static var hexDigits: StaticString { "0123456789abcdef" }

    /// Whether ``writeEscaped(_:)`` must stop at `byte`: a byte Go escapes, or 0xE2, the lead byte of U+2028 and
    /// U+2029.
    @inline(__always)
    private static func isStop(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "<")
            || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") || byte == 0xE2
    }

    /// The lowercase hex digit of the low four bits of `value`.
    private static func hexDigit(_ value: UInt16) -> UInt8 {
        Self.hexDigits.utf8Start[Int(value & 0xF)]
    }

    private mutating func writeEscaped(_ string: String) {
        var string = string
        string.withUTF8 { self.writeEscaped($0) }
    }

    /// Writes `utf8` (valid UTF-8) quoted and escaped: runs of bytes that need no escaping are found eight bytes
    /// at a time (``SWAR``), then byte by byte (``isStop(_:)``), and copied with one `append(contentsOf:)` each.
    private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        self.appendByte(UInt8(ascii: "\""))
        let count = utf8.count
        var runStart = 0
        var index = 0
        guard let base = utf8.baseAddress else {
            self.appendByte(UInt8(ascii: "\""))
            return
        }
        while true {
            // Eight bytes at a time while none needs a look, then byte by byte up to the next one that does.
            while index &+ 8 <= count {
                let word = SWAR.load(base, at: index)
                let stops =
                    SWAR.less(word, than: 0x20) | SWAR.equal(word, UInt8(ascii: "\""))
                    | SWAR.equal(word, UInt8(ascii: "\\"))
                    | SWAR.equal(word, UInt8(ascii: "<")) | SWAR.equal(word, UInt8(ascii: ">"))
                    | SWAR.equal(word, UInt8(ascii: "&")) | SWAR.equal(word, 0xE2)
                if stops != 0 {
                    index &+= SWAR.firstFlagged(stops)
                    break
                }
                index &+= 8
            }
            while index < count, !Self.isStop(utf8[index]) {
                index &+= 1
            }
            guard index < count else { break }
            let byte = utf8[index]
            var letter: UInt8 = 0  // the short escape letter, or 0 for the \u form
            var unit: UInt16 = 0  // the code unit of the \u form
            var next = index &+ 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                letter = byte
            case UInt8(ascii: "\n"):
                letter = UInt8(ascii: "n")
            case UInt8(ascii: "\r"):
                letter = UInt8(ascii: "r")
            case UInt8(ascii: "\t"):
                letter = UInt8(ascii: "t")
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9; the string is valid UTF-8, so two bytes follow.
                guard index &+ 2 < count, utf8[index &+ 1] == 0x80, utf8[index &+ 2] & 0xFE == 0xA8 else {
                    index = next
                    continue
                }
                unit = 0x2028 | UInt16(utf8[index &+ 2] & 1)
                next = index &+ 3
            default:  // other control characters, <, >, &
                unit = UInt16(byte)
            }
            if runStart < index {
                self.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            }
            if letter != 0 {
                self.appendByte(UInt8(ascii: "\\"))
                self.appendByte(letter)
            } else {
                self.write(6) { base in
                    base[0] = UInt8(ascii: "\\")
                    base[1] = UInt8(ascii: "u")
                    base[2] = Self.hexDigit(unit >> 12)
                    base[3] = Self.hexDigit(unit >> 8)
                    base[4] = Self.hexDigit(unit >> 4)
                    base[5] = Self.hexDigit(unit)
                }
            }
            index = next
            runStart = next
        }
        if runStart < count {
            self.appendBytes(UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
        self.appendByte(UInt8(ascii: "\""))
    }
}

/// Zero bytes for ``JSONWriter``'s unused room.
private let zeroBytes = [UInt8](repeating: 0, count: 4096)
