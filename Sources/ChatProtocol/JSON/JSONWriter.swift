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
    /// The bytes written so far.
    package private(set) var bytes: [UInt8]

    /// Creates an empty writer.
    /// - Parameter capacity: The number of bytes to reserve up front.
    package init(capacity: Int = 128) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// Writes `{`.
    package mutating func beginObject() { self.bytes.append(UInt8(ascii: "{")) }

    /// Writes `}`.
    package mutating func endObject() { self.bytes.append(UInt8(ascii: "}")) }

    /// Writes `[`.
    package mutating func beginArray() { self.bytes.append(UInt8(ascii: "[")) }

    /// Writes `]`.
    package mutating func endArray() { self.bytes.append(UInt8(ascii: "]")) }

    /// Writes the comma that separates this array element from the previous one, if there is one.
    package mutating func beginElement() { self.separate() }

    /// Writes a separating comma if needed, then `"key":`.
    /// - Parameter key: The member name: plain ASCII that needs no escaping.
    package mutating func writeKey(_ key: StaticString) {
        let comma = self.needsSeparator
        key.withUTF8Buffer { key in
            // Separator, quotes, name and colon go to the output in one copy.
            let length = key.count &+ (comma ? 4 : 3)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { buffer in
                var index = 0
                if comma {
                    buffer[0] = UInt8(ascii: ",")
                    index = 1
                }
                buffer[index] = UInt8(ascii: "\"")
                for byte in key {
                    index &+= 1
                    buffer[index] = byte
                }
                buffer[index &+ 1] = UInt8(ascii: "\"")
                buffer[index &+ 2] = UInt8(ascii: ":")
                self.bytes.append(contentsOf: UnsafeBufferPointer(buffer))
            }
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

    /// "00" to "99": the two digits of every value below 100.
    private static let digitPairs: [UInt8] = Array((0..<100).map { $0 < 10 ? "0\($0)" : "\($0)" }.joined().utf8)

    /// Writes `magnitude` in decimal, after a minus sign if `negative`, between quotes if `quoted`. The text is
    /// built right to left in a stack buffer (24 bytes: quotes, sign, 20 digits), two digits per division, and
    /// goes to the output in one copy.
    private mutating func writeInteger(_ magnitude: UInt64, negative: Bool, quoted: Bool) {
        Self.digitPairs.withUnsafeBufferPointer { pairs in
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
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<24]))
            }
        }
    }

    /// Writes `true` or `false`.
    /// - Parameter value: The boolean.
    package mutating func writeBool(_ value: Bool) {
        if value {
            self.bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            self.bytes.append(contentsOf: [
                UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e"),
            ])
        }
    }

    /// Writes `null`.
    package mutating func writeNull() {
        self.bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    private mutating func separate() {
        if self.needsSeparator { self.bytes.append(UInt8(ascii: ",")) }
    }

    /// Whether a comma must precede the next member or element: the buffer does not end with an opening bracket.
    private var needsSeparator: Bool {
        guard let last = self.bytes.last else { return false }
        return last != UInt8(ascii: "{") && last != UInt8(ascii: "[")
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Per byte value: 1 where ``writeEscaped(_:)`` must stop (a byte Go escapes, or 0xE2, the lead byte of
    /// U+2028 and U+2029), 0 for bytes copied as they are.
    private static let stopTable: [UInt8] = (0...255).map { byte -> UInt8 in
        switch byte {
        case 0..<0x20, 0x22, 0x5C, 0x3C, 0x3E, 0x26, 0xE2: return 1
        default: return 0
        }
    }

    private mutating func writeEscaped(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            Self.stopTable.withUnsafeBufferPointer { table in
                self.writeEscaped(utf8, table: table)
            }
        }
    }

    /// Writes `utf8` (valid UTF-8) quoted and escaped: runs of bytes that need no escaping are found eight bytes
    /// at a time (``SWAR``), then byte by byte through `table` (``stopTable``), and copied with one
    /// `append(contentsOf:)` each.
    private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt8>) {
        self.bytes.append(UInt8(ascii: "\""))
        let count = utf8.count
        var runStart = 0
        var index = 0
        guard let base = utf8.baseAddress else {
            self.bytes.append(UInt8(ascii: "\""))
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
            while index < count, table[Int(utf8[index])] == 0 {
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
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            }
            if letter != 0 {
                self.bytes.append(UInt8(ascii: "\\"))
                self.bytes.append(letter)
            } else {
                self.bytes.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"),
                    Self.hexDigits[Int(unit >> 12)], Self.hexDigits[Int((unit >> 8) & 0xF)],
                    Self.hexDigits[Int((unit >> 4) & 0xF)], Self.hexDigits[Int(unit & 0xF)],
                ])
            }
            index = next
            runStart = next
        }
        if runStart < count {
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
