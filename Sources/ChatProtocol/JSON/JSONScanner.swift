/// Limits applied while decoding JSON.
package struct JSONDecodingOptions: Sendable, Hashable {
    /// The deepest nesting of objects and arrays accepted; deeper input fails with ``WireError/Code/depthLimit``.
    package var maxDepth: Int
    /// The largest input accepted, in bytes; a larger one fails with ``WireError/Code/messageTooLarge``.
    package var maxInputSize: Int

    /// Creates decoding limits.
    /// - Parameters:
    ///   - maxDepth: The deepest nesting accepted (32 by default; our documents nest three levels at most).
    ///   - maxInputSize: The largest input accepted (64 MiB by default; a v1 history page of 5000 messages fits).
    package init(maxDepth: Int = 32, maxInputSize: Int = 64 << 20) {
        self.maxDepth = maxDepth
        self.maxInputSize = maxInputSize
    }
}

/// A pull scanner over the bytes of one JSON document.
///
/// The caller drives it with the shape it expects (``beginObject()`` / ``nextKey()``, ``beginArray()`` /
/// ``nextElement()``, ``readString()``, ``readUInt64()``, …) and skips what it does not know with
/// ``skipValue()``. Every failure is a ``WireError`` carrying the byte offset where it was detected; the scanner
/// never traps, never recurses deeper than ``JSONDecodingOptions/maxDepth``, and reads each byte a bounded
/// number of times.
///
/// Decisions, where JSON or Go leave room:
/// - Numbers are checked against the JSON grammar. Integers are parsed digit by digit, never through `Double`.
///   A leading zero (`01`), a fraction or exponent where an integer is required, a sign on an unsigned value and
///   overflow are ``WireError/Code/invalidNumber``, reported at the first byte of the number (for a quoted id,
///   at its opening quote).
/// - Quoted decimal ids (`"17"`) are strict: ASCII digits only, no leading zero, no overflow, not empty.
/// - A value of the wrong JSON type (a string where a number belongs, a bare number where a quoted id belongs)
///   is ``WireError/Code/invalidValue`` at the value's first byte.
/// - Strings must be valid UTF-8; an invalid byte sequence is ``WireError/Code/invalidUTF8`` at its first byte.
///   Bytes outside strings that are not JSON are ``WireError/Code/malformedJSON``.
/// - A `\u` escape of a lone surrogate decodes to U+FFFD, as Go's `encoding/json` does, rather than failing.
/// - Raw control characters (below 0x20) inside strings, bad escapes and unexpected bytes are
///   ``WireError/Code/malformedJSON``; the end of input in the middle of a value is ``WireError/Code/truncated``
///   at the input's length.
/// - Keys from ``nextKey()`` are folded the way Go matches struct fields (case-insensitively, including the
///   Kelvin sign and long s), and a repeated key overwrites the earlier value.
package struct JSONScanner {
    /// The kind of the next value, decided by its first byte.
    package enum ValueKind: Sendable, Hashable {
        /// `{`
        case object
        /// `[`
        case array
        /// `"`
        case string
        /// `-` or a digit
        case number
        /// `true` or `false`
        case bool
        /// `null`
        case null
    }

    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    package private(set) var offset: Int
    private let maxDepth: Int
    private var depth: Int
    /// Set by ``beginObject()`` and ``beginArray()``: the next member or element is the container's first.
    private var atContainerStart: Bool

    /// Creates a scanner over a whole document.
    /// - Parameters:
    ///   - bytes: The document.
    ///   - options: The limits.
    /// - Throws: ``WireError/Code/messageTooLarge`` (at offset `maxInputSize`) if the input is too large.
    package init(_ bytes: [UInt8], options: JSONDecodingOptions = .init()) throws(WireError) {
        guard bytes.count <= options.maxInputSize else {
            throw WireError(.messageTooLarge, at: max(options.maxInputSize, 0))
        }
        self.bytes = bytes
        self.offset = 0
        self.maxDepth = options.maxDepth
        self.depth = 0
        self.atContainerStart = false
    }

    // MARK: Structure

    /// Skips whitespace and returns the kind of the next value without consuming it.
    /// - Throws: ``WireError/Code/truncated`` at the end of input, ``WireError/Code/malformedJSON`` if the next
    ///   byte cannot start a value.
    package mutating func peekKind() throws(WireError) -> ValueKind {
        let byte = try self.peekNonWhitespace()
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw WireError(.malformedJSON, at: self.offset)
        }
    }

    /// Consumes `{`.
    /// - Throws: ``WireError/Code/invalidValue`` if the next value is not an object, ``WireError/Code/depthLimit``
    ///   if it nests too deep.
    @inline(__always)
    package mutating func beginObject() throws(WireError) {
        // Fast path: the brace right at `offset`, with room to nest; anything else gets the full checks.
        if self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "{"), self.depth < self.maxDepth {
            self.offset += 1
            self.depth += 1
            self.atContainerStart = true
            return
        }
        try self.beginContainer(.object, UInt8(ascii: "{"))
    }

    /// Consumes the separator before the next member and its key and colon, or the closing `}`.
    /// - Returns: The key, folded as Go folds field names (ASCII lowercased, `K` (U+212A) → `k`,
    ///   `ſ` (U+017F) → `s`), to be matched in a `switch` against lowercase names; `nil` after the closing brace.
    @inline(__always)
    package mutating func nextKey() throws(WireError) -> JSONKey? {
        switch self.compactMember() {
        case .key(let key): return JSONKey(low: key.low, high: key.high, count: key.count)
        case .objectEnd: return nil
        case .other: return try self.nextKeyInFull()
        }
    }

    /// ``nextKey()`` for whatever its fast path leaves: whitespace, the closing brace, long or escaped keys, errors.
    @inline(never)
    private mutating func nextKeyInFull() throws(WireError) -> JSONKey? {
        guard try self.advanceToKey() else { return nil }
        // Fast path: a short key of plain ASCII without capitals or escapes (every key we write) is its own fold
        // and is kept inline, without building a String.
        let key: JSONKey
        if let plain = self.scanPlainKey() {
            key = plain
        } else {
            key = JSONKey(folded: Self.fold(try self.scanString()))
        }
        try self.expectColon()
        return key
    }

    /// The fast path of ``nextKey()``, for compact JSON as every producer we know writes it: `"key":` first in
    /// an object, `,"key":` after a member, the key plain (see ``scanPlainKey()``) and at most 15 bytes long; or
    /// the closing brace right at `offset`.
    /// - Returns: The key, with the colon consumed, or the end of the object, with the brace consumed; `.other`,
    ///   with nothing consumed, for anything else (whitespace, a longer or escaped key, malformed input), which
    ///   the full path handles.
    @inline(__always)
    private mutating func compactMember() -> CompactMember {
        // Only trivial values cross the closure: a JSONKey (which may hold a String) would be copied and destroyed
        // through value witnesses.
        let found: (member: CompactMember, end: Int) = self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, self.offset < bytes.count else { return (.other, 0) }
            var quote = self.offset
            switch base[quote] {
            case UInt8(ascii: "}"):
                return (.objectEnd, quote &+ 1)
            case UInt8(ascii: ","):
                guard !self.atContainerStart else { return (.other, 0) }
                quote &+= 1
            default:
                guard self.atContainerStart else { return (.other, 0) }
            }
            // Eighteen bytes from the quote: the quote, the sixteen plainKeyInWords loads and, as it returns a key
            // of at most 15 bytes, the colon after the key's closing quote (at most quote + 17).
            guard quote &+ 18 <= bytes.count, base[quote] == UInt8(ascii: "\""),
                let key = Self.plainKeyInWords(base, at: quote &+ 1)
            else { return (.other, 0) }
            let colon = quote &+ key.count &+ 2
            guard base[colon] == UInt8(ascii: ":") else { return (.other, 0) }
            return (.key(key), colon &+ 1)
        }
        switch found.member {
        case .key: break
        case .objectEnd: self.depth -= 1
        case .other: return .other
        }
        self.offset = found.end
        self.atContainerStart = false
        return found.member
    }

    /// What ``compactMember()`` found.
    private enum CompactMember {
        case key(PlainKey)
        case objectEnd
        case other
    }

    /// The bytes of a plain key, packed as ``JSONKey`` keeps them inline.
    private struct PlainKey {
        var low: UInt64
        var high: UInt64
        var count: Int
    }

    /// Consumes the next member's key if it is exactly `name`, written compactly: `"name":` first in an object
    /// (right after the `{`), `,"name":` after a member. For decoders' fast paths that expect the members in the
    /// order and spelling their producer writes them; on `false` nothing is consumed, and the decoder goes on with
    /// ``nextKey()`` (after ``rewind(to:)`` if it has consumed members it cannot keep).
    ///
    /// Inlined, so that with a literal `name` the bytes `{"name":` / `,"name":` fold into two constant words at the
    /// call site, and the key is two loads and comparisons instead of being scanned, checked and matched.
    /// - Parameter name: The key as written: printable ASCII other than `"` and `\\`. Names longer than 12 bytes
    ///   never match (the decoder takes its general path).
    /// - Returns: Whether the key was there, and consumed with its colon.
    @inline(__always)
    package mutating func consumeKey(_ name: StaticString) -> Bool {
        // The separator (a placeholder, set below), quote, name, quote and colon: at most 16 bytes.
        let length = name.utf8CodeUnitCount &+ 4
        guard name.hasPointerRepresentation, length <= 16 else { return false }
        let packed = Self.packedMember(name)
        return self.consumeMember(low: packed.low, high: packed.high, count: length)
    }

    /// `?"name":` packed little-endian as ``JSONKey`` packs inline keys, with a zero byte for the separator. Built
    /// from ``JSONKey/packed(_:count:)`` with shifts only, so that for a literal it folds into constants.
    @inline(__always)
    private static func packedMember(_ name: StaticString) -> (low: UInt64, high: UInt64) {
        let count = name.utf8CodeUnitCount
        let packedName = JSONKey.packed(name.utf8Start, count: count)
        // Byte 0: the separator; byte 1: the opening quote; bytes 2…: the name.
        var words = (
            low: UInt64(UInt8(ascii: "\"")) &<< 8 | packedName.low &<< 16,
            high: packedName.low &>> 48 | packedName.high &<< 16
        )
        Self.place(UInt8(ascii: "\""), at: count &+ 2, in: &words)
        Self.place(UInt8(ascii: ":"), at: count &+ 3, in: &words)
        return words
    }

    /// Puts `byte` at `index` (0–15) of two packed words.
    @inline(__always)
    private static func place(_ byte: UInt8, at index: Int, in words: inout (low: UInt64, high: UInt64)) {
        if index < 8 {
            words.low |= UInt64(byte) &<< UInt64(8 &* index)
        } else {
            words.high |= UInt64(byte) &<< UInt64(8 &* (index &- 8))
        }
    }

    /// ``consumeKey(_:)`` with its bytes packed: compares the `count` bytes from the separator on (the `{` just
    /// consumed, or the `,` at `offset`) with the packed bytes.
    @inline(__always)
    private mutating func consumeMember(low: UInt64, high: UInt64, count: Int) -> Bool {
        // First in an object, the separator is the `{` that beginObject() has just consumed, right before `offset`
        // (if whitespace followed it, the comparison fails and the decoder takes its general path).
        let start = self.atContainerStart ? self.offset &- 1 : self.offset
        let separator = UInt8(ascii: self.atContainerStart ? "{" : ",")
        let matched = self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, start >= 0, start &+ 16 <= bytes.count else { return false }
            let firstKept: UInt64 = count >= 8 ? ~0 : (1 &<< UInt64(8 &* count)) &- 1
            let secondKept: UInt64 = count <= 8 ? 0 : count == 16 ? ~0 : (1 &<< UInt64(8 &* (count &- 8))) &- 1
            return SWAR.load(base, at: start) & firstKept == low | UInt64(separator)
                && SWAR.load(base, at: start &+ 8) & secondKept == high
        }
        guard matched else { return false }
        self.offset = start &+ count
        self.atContainerStart = false
        return true
    }

    /// Consumes the closing `}` if it is right at `offset` (compact JSON); the fast-path partner of
    /// ``consumeKey(_:)``.
    /// - Returns: Whether it was consumed.
    @inline(__always)
    package mutating func consumeObjectEnd() -> Bool {
        guard self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "}") else { return false }
        self.offset += 1
        self.depth -= 1
        self.atContainerStart = false
        return true
    }

    /// Where the scanner stands, to return to with ``rewind(to:)``.
    package struct Position: Sendable {
        fileprivate var offset: Int
        fileprivate var depth: Int
        fileprivate var atContainerStart: Bool
    }

    /// The current position.
    package var position: Position {
        Position(offset: self.offset, depth: self.depth, atContainerStart: self.atContainerStart)
    }

    /// Goes back to an earlier position, to read again what was read since.
    /// - Parameter position: A position of this scanner.
    package mutating func rewind(to position: Position) {
        self.offset = position.offset
        self.depth = position.depth
        self.atContainerStart = position.atContainerStart
    }

    /// Like ``nextKey()``, but returns the key exactly as decoded.
    /// - Returns: The key, or `nil` after the closing brace.
    package mutating func nextRawKey() throws(WireError) -> String? {
        guard try self.advanceToKey() else { return nil }
        let key = try self.scanString()
        try self.expectColon()
        return key
    }

    /// Consumes the separator before the next member, leaving `offset` at its key's opening quote, or the closing
    /// `}`.
    /// - Returns: `false` after the closing brace.
    private mutating func advanceToKey() throws(WireError) -> Bool {
        var byte = try self.peekNonWhitespace()
        if self.atContainerStart {
            self.atContainerStart = false
            if byte == UInt8(ascii: "}") {
                self.offset += 1
                self.depth -= 1
                return false
            }
        } else {
            switch byte {
            case UInt8(ascii: "}"):
                self.offset += 1
                self.depth -= 1
                return false
            case UInt8(ascii: ","):
                self.offset += 1
                byte = try self.peekNonWhitespace()
            default:
                throw WireError(.malformedJSON, at: self.offset)
            }
        }
        guard byte == UInt8(ascii: "\"") else { throw WireError(.malformedJSON, at: self.offset) }
        return true
    }

    /// Consumes the colon after a key.
    private mutating func expectColon() throws(WireError) {
        guard try self.peekNonWhitespace() == UInt8(ascii: ":") else {
            throw WireError(.malformedJSON, at: self.offset)
        }
        self.offset += 1
    }

    /// Scans the key whose opening quote is at `offset` if it holds at most ``JSONKey/inlineCapacity`` bytes of
    /// printable ASCII other than capitals, `"` and `\\` (so decoding and folding leave it as it is).
    /// - Returns: The key, with `offset` past its closing quote; `nil`, with `offset` unchanged, for any other key.
    private mutating func scanPlainKey() -> JSONKey? {
        let contentStart = self.offset &+ 1
        let key: JSONKey? = self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return nil }
            // Fast path: with sixteen bytes to read, a key of up to 15 bytes is found and checked two words at a
            // time; anything the words cannot settle goes on byte by byte.
            if contentStart &+ 16 <= bytes.count, let key = Self.plainKeyInWords(base, at: contentStart) {
                self.offset = contentStart &+ key.count &+ 1
                return JSONKey(low: key.low, high: key.high, count: key.count)
            }
            let end = min(bytes.count, contentStart &+ JSONKey.inlineCapacity &+ 1)
            var index = contentStart
            var words: (low: UInt64, high: UInt64) = (0, 0)
            while index < end {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    self.offset = index &+ 1
                    return JSONKey(low: words.low, high: words.high, count: index &- contentStart)
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\"),
                    byte < UInt8(ascii: "A") || byte > UInt8(ascii: "Z")
                else { return nil }
                let position = UInt64(truncatingIfNeeded: index &- contentStart)
                if position < 8 {
                    words.low |= UInt64(byte) &<< (position &* 8)
                } else {
                    words.high |= UInt64(byte) &<< ((position &- 8) &* 8)
                }
                index &+= 1
            }
            return nil
        }
        return key
    }

    /// The plain key (as ``scanPlainKey()`` takes it) of up to 15 bytes at `start`, found by loading the sixteen
    /// bytes there as two words: the first quote ends it, and no byte before the quote may need decoding or
    /// folding.
    /// - Returns: The key, or `nil` if the sixteen bytes hold no quote or a byte before it is not plain.
    @inline(__always)
    private static func plainKeyInWords(_ base: UnsafePointer<UInt8>, at start: Int) -> PlainKey? {
        let quote = UInt8(ascii: "\"")
        // SWAR.equal's lowest flagged byte is exact: the first quote. SWAR.notPlainKeyByte is exact in every byte,
        // so masking it to the bytes before the quote checks exactly those.
        let first = SWAR.load(base, at: start)
        let firstQuotes = SWAR.equal(first, quote)
        if firstQuotes != 0 {
            let count = SWAR.firstFlagged(firstQuotes)  // 0–7
            let kept: UInt64 = (1 &<< UInt64(8 &* count)) &- 1
            guard SWAR.notPlainKeyByte(first) & kept == 0 else { return nil }
            return PlainKey(low: first & kept, high: 0, count: count)
        }
        guard SWAR.notPlainKeyByte(first) == 0 else { return nil }
        let second = SWAR.load(base, at: start &+ 8)
        let secondQuotes = SWAR.equal(second, quote)
        guard secondQuotes != 0 else { return nil }
        let secondCount = SWAR.firstFlagged(secondQuotes)  // 0–7
        let kept: UInt64 = (1 &<< UInt64(8 &* secondCount)) &- 1
        guard SWAR.notPlainKeyByte(second) & kept == 0 else { return nil }
        return PlainKey(low: first, high: second & kept, count: 8 &+ secondCount)
    }

    /// Consumes `[`.
    /// - Throws: ``WireError/Code/invalidValue`` if the next value is not an array, ``WireError/Code/depthLimit``
    ///   if it nests too deep.
    package mutating func beginArray() throws(WireError) {
        try self.beginContainer(.array, UInt8(ascii: "["))
    }

    /// Consumes the separator before the next element, or the closing `]`.
    /// - Returns: `true` if an element follows, `false` after the closing bracket.
    package mutating func nextElement() throws(WireError) -> Bool {
        let byte = try self.peekNonWhitespace()
        if self.atContainerStart {
            self.atContainerStart = false
            if byte == UInt8(ascii: "]") {
                self.offset += 1
                self.depth -= 1
                return false
            }
            return true
        }
        switch byte {
        case UInt8(ascii: "]"):
            self.offset += 1
            self.depth -= 1
            return false
        case UInt8(ascii: ","):
            self.offset += 1
            return true
        default:
            throw WireError(.malformedJSON, at: self.offset)
        }
    }

    /// Skips one value of any kind, validating it (grammar, UTF-8, depth) as it goes.
    package mutating func skipValue() throws(WireError) {
        switch try self.peekKind() {
        case .object:
            try self.beginObject()
            while try self.nextRawKey() != nil {
                try self.skipValue()
            }
        case .array:
            try self.beginArray()
            while try self.nextElement() {
                try self.skipValue()
            }
        case .string:
            try self.skipString()
        case .number:
            _ = try self.scanNumber()
        case .bool:
            _ = try self.readBool()
        case .null:
            _ = try self.readNull()
        }
    }

    /// Checks that only whitespace follows the document's value.
    /// - Throws: ``WireError/Code/trailingData`` at the first byte that is not whitespace.
    package mutating func finish() throws(WireError) {
        self.skipWhitespace()
        if self.offset < self.bytes.count {
            throw WireError(.trailingData, at: self.offset)
        }
    }

    // MARK: Scalars

    /// Consumes `null` if it is the next value.
    /// - Returns: Whether a `null` was consumed; `false` leaves the input untouched.
    package mutating func readNull() throws(WireError) -> Bool {
        guard try self.peekNonWhitespace() == UInt8(ascii: "n") else { return false }
        try self.expectLiteral("null")
        return true
    }

    /// Reads `true` or `false`.
    /// - Throws: ``WireError/Code/invalidValue`` if the next value is of another type.
    package mutating func readBool() throws(WireError) -> Bool {
        let byte = try self.peekNonWhitespace()
        switch byte {
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return false
        default:
            throw try self.typeMismatch()
        }
    }

    /// Reads a string value, decoding its escapes.
    /// - Throws: ``WireError/Code/invalidValue`` if the next value is of another type.
    package mutating func readString() throws(WireError) -> String {
        if let string = self.compactASCIIString() { return string }
        guard try self.peekNonWhitespace() == UInt8(ascii: "\"") else { throw try self.typeMismatch() }
        return try self.scanString()
    }

    /// The fast path of ``readString()``: a string right at `offset` whose bytes up to the closing quote are
    /// printable ASCII other than `\\` (so it needs no decoding and is valid UTF-8), found eight bytes at a time
    /// in one pass, its closing quote at least eight bytes before the end of input.
    /// - Returns: The string, with `offset` past its closing quote; `nil`, with nothing consumed, for anything
    ///   else (escapes, non-ASCII text, whitespace before it, another type, the end of input near), which the
    ///   full path reads and checks.
    @inline(__always)
    private mutating func compactASCIIString() -> String? {
        let start = self.offset
        let found = self.bytes.withUnsafeBufferPointer { bytes -> (string: String, end: Int)? in
            guard let base = bytes.baseAddress, start < bytes.count, base[start] == UInt8(ascii: "\"") else {
                return nil
            }
            var index = start &+ 1
            while index &+ 8 <= bytes.count {
                let word = SWAR.load(base, at: index)
                // The lowest flagged byte is exact (see SWAR): the first byte that is not plain ASCII.
                let stops =
                    SWAR.nonASCII(word) | SWAR.less(word, than: 0x20) | SWAR.equal(word, UInt8(ascii: "\""))
                    | SWAR.equal(word, UInt8(ascii: "\\"))
                if stops == 0 {
                    index &+= 8
                    continue
                }
                let end = index &+ SWAR.firstFlagged(stops)
                guard base[end] == UInt8(ascii: "\"") else { return nil }
                let contents = UnsafeBufferPointer(start: base + (start &+ 1), count: end &- start &- 1)
                return (String(decoding: contents, as: UTF8.self), end &+ 1)
            }
            return nil
        }
        guard let found else { return nil }
        self.offset = found.end
        return found.string
    }

    /// Reads a bare JSON number that must be a non-negative integer fitting `UInt64`.
    /// - Throws: ``WireError/Code/invalidNumber`` for a sign, fraction, exponent or overflow;
    ///   ``WireError/Code/invalidValue`` if the next value is not a number.
    package mutating func readUInt64() throws(WireError) -> UInt64 {
        guard try self.peekKind() == .number else { throw try self.typeMismatch() }
        let number = try self.scanNumber()
        guard !number.isNegative, number.isInteger else { throw WireError(.invalidNumber, at: number.start) }
        return try self.accumulate(number.digitsStart..<number.end, limit: .max, errorOffset: number.start)
    }

    /// Reads a bare JSON number that must be an integer fitting `Int64`.
    /// - Throws: ``WireError/Code/invalidNumber`` for a fraction, exponent or overflow;
    ///   ``WireError/Code/invalidValue`` if the next value is not a number.
    package mutating func readInt64() throws(WireError) -> Int64 {
        if let (value, end) = self.shortInteger() {
            self.offset = end
            return value
        }
        guard try self.peekKind() == .number else { throw try self.typeMismatch() }
        let number = try self.scanNumber()
        guard number.isInteger else { throw WireError(.invalidNumber, at: number.start) }
        let limit = number.isNegative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        let magnitude = try self.accumulate(number.digitsStart..<number.end, limit: limit, errorOffset: number.start)
        if number.isNegative {
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        return Int64(magnitude)
    }

    /// The fast path of ``readInt64()``: an integer right at `offset` (no whitespace before it) of an optional
    /// minus and 1 to 18 digits (below 10^18 < 2^63, so no overflow), without a leading zero, followed by a byte
    /// that cannot continue a number. Anything else, the end of input included, is left to the full scan.
    /// - Returns: The value and the offset after it, or `nil`.
    @inline(__always)
    private func shortInteger() -> (Int64, Int)? {
        self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, bytes.count >= 8, self.offset < bytes.count else { return nil }
            let isNegative = base[self.offset] == UInt8(ascii: "-")
            let digitsStart = isNegative ? self.offset &+ 1 : self.offset
            let run = SWAR.digitRun(base, at: digitsStart, end: bytes.count)
            let end = digitsStart &+ run.count
            guard run.count > 0, run.count <= 18, end < bytes.count,
                run.count == 1 || base[digitsStart] != UInt8(ascii: "0")
            else { return nil }
            switch base[end] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                return nil  // a fraction or an exponent: the full scan rejects it
            default:
                // The run stopped on a byte that is not a digit, so the number ends here.
                let value = Int64(run.value)
                return (isNegative ? 0 &- value : value, end)
            }
        }
    }

    /// Reads a bare JSON number that must be a non-negative integer fitting `UInt32`.
    /// - Throws: ``WireError/Code/invalidNumber`` for a sign, fraction, exponent or overflow.
    package mutating func readUInt32() throws(WireError) -> UInt32 {
        let start = self.offset
        let value = try self.readUInt64()
        guard let narrowed = UInt32(exactly: value) else {
            throw WireError(.invalidNumber, at: self.tokenStart(from: start))
        }
        return narrowed
    }

    /// Reads a bare JSON number that must be an integer fitting `Int32`.
    /// - Throws: ``WireError/Code/invalidNumber`` for a fraction, exponent or overflow.
    package mutating func readInt32() throws(WireError) -> Int32 {
        let start = self.offset
        let value = try self.readInt64()
        guard let narrowed = Int32(exactly: value) else {
            throw WireError(.invalidNumber, at: self.tokenStart(from: start))
        }
        return narrowed
    }

    /// Reads a 64-bit id written as a quoted strict decimal: `"17"`.
    /// - Throws: ``WireError/Code/invalidNumber`` (at the opening quote) for an empty string, a non-digit, a
    ///   leading zero or overflow; ``WireError/Code/invalidValue`` if the next value is not a string.
    package mutating func readQuotedUInt64() throws(WireError) -> UInt64 {
        guard try self.peekNonWhitespace() == UInt8(ascii: "\"") else { throw try self.typeMismatch() }
        let quote = self.offset
        // Fastest path: 1 to 19 digits (no overflow possible), no leading zero, then the closing quote; found and
        // summed eight digits at a time. Anything else falls through to the checks below, which report it exactly
        // as before.
        let fast: (value: UInt64, end: Int)? = self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress, bytes.count >= 8 else { return nil }
            let digitsStart = quote &+ 1
            let run = SWAR.digitRun(base, at: digitsStart, end: bytes.count)
            let closingQuote = digitsStart &+ run.count
            guard run.count > 0, run.count <= 19, closingQuote < bytes.count,
                base[closingQuote] == UInt8(ascii: "\""), run.count == 1 || base[digitsStart] != UInt8(ascii: "0")
            else { return nil }
            return (run.value, closingQuote &+ 1)
        }
        if let fast {
            self.offset = fast.end
            return fast.value
        }
        var index = quote + 1
        while index < self.bytes.count, Self.isDigit(self.bytes[index]) {
            index += 1
        }
        if index < self.bytes.count, self.bytes[index] == UInt8(ascii: "\"") {
            // Fast path: nothing but digits between the quotes.
            let value = try self.accumulate(quote + 1..<index, limit: .max, errorOffset: quote)
            self.offset = index + 1
            return value
        }
        // Escapes or other characters: decode the string, then hold it to the same strict rule.
        let text = try self.scanString()
        guard let value = UInt64(strictDecimal: text) else { throw WireError(.invalidNumber, at: quote) }
        return value
    }

    /// Reads a 64-bit value written either as a bare JSON number or as a quoted strict decimal: the JWT
    /// `ChannelID` form, and the proto3 JSON form of 64-bit integers.
    /// - Throws: ``WireError/Code/invalidNumber`` for a malformed or overflowing value,
    ///   ``WireError/Code/invalidValue`` for another type.
    package mutating func readUInt64QuotedOrBare() throws(WireError) -> UInt64 {
        if try self.peekNonWhitespace() == UInt8(ascii: "\"") {
            return try self.readQuotedUInt64()
        }
        return try self.readUInt64()
    }

    /// Reads a signed 64-bit value written either as a bare JSON number or as a quoted decimal (`"-17"`, the
    /// proto3 JSON form of `int64`). The quoted form allows a leading `-` but no leading zero.
    /// - Throws: ``WireError/Code/invalidNumber`` for a malformed or overflowing value,
    ///   ``WireError/Code/invalidValue`` for another type.
    package mutating func readInt64QuotedOrBare() throws(WireError) -> Int64 {
        guard try self.peekNonWhitespace() == UInt8(ascii: "\"") else { return try self.readInt64() }
        let quote = self.offset
        let text = try self.scanString()
        var digits = Substring(text)
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard let magnitude = UInt64(strictDecimal: digits) else { throw WireError(.invalidNumber, at: quote) }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw WireError(.invalidNumber, at: quote) }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard let value = Int64(exactly: magnitude) else { throw WireError(.invalidNumber, at: quote) }
        return value
    }

    // MARK: Internals

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte <= UInt8(ascii: " ")
            && (byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t"))
    }

    private mutating func skipWhitespace() {
        while self.offset < self.bytes.count, Self.isWhitespace(self.bytes[self.offset]) {
            self.offset += 1
        }
    }

    @inline(__always)
    private mutating func peekNonWhitespace() throws(WireError) -> UInt8 {
        // Compact JSON: the next byte is usually the token itself.
        if self.offset < self.bytes.count {
            let byte = self.bytes[self.offset]
            if byte > UInt8(ascii: " ") { return byte }
        }
        return try self.peekNonWhitespaceAfterSkipping()
    }

    private mutating func peekNonWhitespaceAfterSkipping() throws(WireError) -> UInt8 {
        self.skipWhitespace()
        guard self.offset < self.bytes.count else { throw WireError(.truncated, at: self.bytes.count) }
        return self.bytes[self.offset]
    }

    /// The offset of the value that starts at or after `offset` (skipping whitespace).
    private func tokenStart(from offset: Int) -> Int {
        var index = offset
        while index < self.bytes.count, Self.isWhitespace(self.bytes[index]) {
            index += 1
        }
        return index
    }

    /// The error for a value of the wrong type: ``WireError/Code/invalidValue`` if the next bytes are a
    /// well-formed start of some value, otherwise the grammar error.
    private mutating func typeMismatch() throws(WireError) -> WireError {
        _ = try self.peekKind()
        return WireError(.invalidValue, at: self.offset)
    }

    private mutating func beginContainer(_ kind: ValueKind, _ opener: UInt8) throws(WireError) {
        guard try self.peekNonWhitespace() == opener else { throw try self.typeMismatch() }
        guard self.depth < self.maxDepth else { throw WireError(.depthLimit, at: self.offset) }
        self.depth += 1
        self.offset += 1
        self.atContainerStart = true
    }

    @inline(__always)
    private mutating func expectLiteral(_ literal: StaticString) throws(WireError) {
        let start = self.offset
        // Fast path: the whole literal is there. Inlined with the literal's bytes known, the loop becomes a few
        // byte comparisons.
        let matched = self.bytes.withUnsafeBufferPointer { bytes in
            let length = literal.utf8CodeUnitCount
            guard let base = bytes.baseAddress, start &+ length <= bytes.count else { return false }
            for index in 0..<length where base[start &+ index] != literal.utf8Start[index] {
                return false
            }
            return true
        }
        if matched {
            self.offset = start &+ literal.utf8CodeUnitCount
        } else {
            try self.expectLiteralByteByByte(literal)
        }
    }

    /// ``expectLiteral(_:)`` when the literal is not all there: finds the byte that differs, or the end of input.
    @inline(never)
    private mutating func expectLiteralByteByByte(_ literal: StaticString) throws(WireError) {
        let start = self.offset
        var failure: WireError?
        literal.withUTF8Buffer { expected in
            for (index, byte) in expected.enumerated() {
                let position = start + index
                guard position < self.bytes.count else {
                    failure = WireError(.truncated, at: self.bytes.count)
                    return
                }
                guard self.bytes[position] == byte else {
                    failure = WireError(.malformedJSON, at: position)
                    return
                }
            }
            self.offset = start + expected.count
        }
        if let failure { throw failure }
    }

    /// The shape of a number token, checked against the JSON grammar.
    private struct NumberToken {
        var start: Int
        var digitsStart: Int
        var end: Int
        var isNegative: Bool
        var isInteger: Bool
    }

    private mutating func scanNumber() throws(WireError) -> NumberToken {
        _ = try self.peekNonWhitespace()
        let start = self.offset
        var index = start
        let count = self.bytes.count
        let isNegative = self.bytes[index] == UInt8(ascii: "-")
        if isNegative { index += 1 }
        let digitsStart = index
        guard index < count else { throw WireError(.truncated, at: count) }
        guard Self.isDigit(self.bytes[index]) else { throw WireError(.invalidNumber, at: start) }
        if self.bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < count, Self.isDigit(self.bytes[index]) { throw WireError(.invalidNumber, at: start) }
        } else {
            while index < count, Self.isDigit(self.bytes[index]) { index += 1 }
        }
        let integerEnd = index
        var isInteger = true
        if index < count, self.bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < count else { throw WireError(.truncated, at: count) }
            guard Self.isDigit(self.bytes[index]) else { throw WireError(.invalidNumber, at: start) }
            while index < count, Self.isDigit(self.bytes[index]) { index += 1 }
        }
        if index < count, self.bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < count, self.bytes[index] == UInt8(ascii: "+") || self.bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < count else { throw WireError(.truncated, at: count) }
            guard Self.isDigit(self.bytes[index]) else { throw WireError(.invalidNumber, at: start) }
            while index < count, Self.isDigit(self.bytes[index]) { index += 1 }
        }
        self.offset = index
        return NumberToken(
            start: start,
            digitsStart: digitsStart,
            end: integerEnd,
            isNegative: isNegative,
            isInteger: isInteger
        )
    }

    /// Parses ASCII digits as an unsigned integer no greater than `limit`, rejecting empty input, a leading zero
    /// and overflow with ``WireError/Code/invalidNumber`` at `errorOffset`.
    private func accumulate(_ range: Range<Int>, limit: UInt64, errorOffset: Int) throws(WireError) -> UInt64 {
        guard !range.isEmpty else { throw WireError(.invalidNumber, at: errorOffset) }
        if range.count > 1, self.bytes[range.lowerBound] == UInt8(ascii: "0") {
            throw WireError(.invalidNumber, at: errorOffset)
        }
        var value: UInt64 = 0
        if range.count <= 19 {
            // 19 digits stay below 10^19 < 2^64: no overflow is possible, only the limit needs checking.
            for index in range {
                value = value &* 10 &+ UInt64(self.bytes[index] &- UInt8(ascii: "0"))
            }
            guard value <= limit else { throw WireError(.invalidNumber, at: errorOffset) }
            return value
        }
        for index in range {
            let digit = UInt64(self.bytes[index] &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2, sum <= limit else { throw WireError(.invalidNumber, at: errorOffset) }
            value = sum
        }
        return value
    }

    /// Validates one UTF-8 sequence whose lead byte (≥ 0x80) is at `index`.
    /// - Returns: The sequence's length.
    private func utf8SequenceLength(at index: Int) throws(WireError) -> Int {
        let length = self.bytes.withUnsafeBufferPointer { Self.utf8SequenceLength($0, at: index) }
        guard let length else { throw WireError(.invalidUTF8, at: index) }
        return length
    }

    /// Validates one UTF-8 sequence whose lead byte (≥ 0x80) is at `index` of `bytes`.
    /// - Returns: The sequence's length, or `nil` if it is not valid UTF-8 (or runs past the end).
    @inline(__always)
    private static func utf8SequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        let second = bytes[index + 1]
        guard second >= low, second <= high else { return nil }
        for continuation in index + 2..<index + length where bytes[continuation] & 0xC0 != 0x80 {
            return nil
        }
        return length
    }

    private mutating func skipString() throws(WireError) {
        _ = try self.scanString(decode: false)
    }

    /// Scans the string whose opening quote is at `offset`.
    private mutating func scanString() throws(WireError) -> String {
        try self.scanString(decode: true) ?? ""
    }

    /// Scans the string whose opening quote is at `offset`, validating it; decodes it when `decode` is set.
    private mutating func scanString(decode: Bool) throws(WireError) -> String? {
        let count = self.bytes.count
        let contentStart = self.offset + 1
        var index = self.plainRunEnd(from: contentStart)
        // Fast path: no escapes, so the string is the run's bytes.
        if index < count, self.bytes[index] == UInt8(ascii: "\"") {
            self.offset = index + 1
            guard decode else { return nil }
            return self.bytes.withUnsafeBufferPointer { bytes in
                String(decoding: UnsafeBufferPointer(rebasing: bytes[contentStart..<index]), as: UTF8.self)
            }
        }
        // Slow path: decode escapes into a buffer, copying the runs between them.
        var decoded: [UInt8] = []
        if decode {
            decoded.reserveCapacity(index - contentStart + 16)
            self.appendBytes(contentStart..<index, to: &decoded)
        }
        while true {
            guard index < count else { throw WireError(.truncated, at: count) }
            let byte = self.bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                self.offset = index + 1
                return decode ? String(decoding: decoded, as: UTF8.self) : nil
            case UInt8(ascii: "\\"):
                let (scalar, length) = try self.scanEscape(at: index)
                if decode { Self.appendUTF8(scalar, to: &decoded) }
                index += length
            case 0..<0x20:
                throw WireError(.malformedJSON, at: index)
            default:
                let runEnd = self.plainRunEnd(from: index)
                if runEnd == index {
                    _ = try self.utf8SequenceLength(at: index)  // the run stopped on invalid UTF-8: throws
                }
                if decode { self.appendBytes(index..<runEnd, to: &decoded) }
                index = runEnd
            }
        }
    }

    /// The end of the run of string bytes from `start` that need no decoding: printable ASCII other than `"` and
    /// `\\`, and valid UTF-8 sequences. A tight loop over the buffer, one comparison chain per ASCII byte.
    /// - Returns: The offset of the first byte that is a quote, a backslash, a control character or not valid
    ///   UTF-8, or the input's length.
    private func plainRunEnd(from start: Int) -> Int {
        self.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return start }
            var index = start
            let count = bytes.count
            while index < count {
                let byte = base[index]
                if byte >= 0x80 {
                    guard let length = Self.utf8SequenceLength(bytes, at: index) else { break }
                    index &+= length
                    continue
                }
                guard byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                index &+= 1
                // More plain ASCII is likely: eight bytes at a time while none is a quote, a backslash, a control
                // character or non-ASCII; then on from the first that is.
                while index &+ 8 <= count {
                    let word = SWAR.load(base, at: index)
                    let stops =
                        SWAR.nonASCII(word) | SWAR.less(word, than: 0x20) | SWAR.equal(word, UInt8(ascii: "\""))
                        | SWAR.equal(word, UInt8(ascii: "\\"))
                    if stops != 0 {
                        index &+= SWAR.firstFlagged(stops)
                        break
                    }
                    index &+= 8
                }
            }
            return index
        }
    }

    /// Appends `self.bytes[range]` to `buffer` in one copy.
    private func appendBytes(_ range: Range<Int>, to buffer: inout [UInt8]) {
        self.bytes.withUnsafeBufferPointer { bytes in
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[range]))
        }
    }

    /// Decodes the escape whose backslash is at `index`.
    /// - Returns: The scalar and the number of bytes the escape used.
    private func scanEscape(at index: Int) throws(WireError) -> (UInt32, Int) {
        let count = self.bytes.count
        guard index + 1 < count else { throw WireError(.truncated, at: count) }
        switch self.bytes[index + 1] {
        case UInt8(ascii: "\""): return (0x22, 2)
        case UInt8(ascii: "\\"): return (0x5C, 2)
        case UInt8(ascii: "/"): return (0x2F, 2)
        case UInt8(ascii: "b"): return (0x08, 2)
        case UInt8(ascii: "f"): return (0x0C, 2)
        case UInt8(ascii: "n"): return (0x0A, 2)
        case UInt8(ascii: "r"): return (0x0D, 2)
        case UInt8(ascii: "t"): return (0x09, 2)
        case UInt8(ascii: "u"):
            let unit = try self.hex4(at: index + 2, escapeStart: index)
            guard (0xD800...0xDFFF).contains(unit) else { return (unit, 6) }
            // A surrogate: valid only as a high surrogate followed by a \u low surrogate; otherwise U+FFFD
            // (and whatever follows is scanned normally), as Go does.
            if unit <= 0xDBFF, index + 7 < count, self.bytes[index + 6] == UInt8(ascii: "\\"),
                self.bytes[index + 7] == UInt8(ascii: "u")
            {
                let low = try self.hex4(at: index + 8, escapeStart: index + 6)
                if (0xDC00...0xDFFF).contains(low) {
                    return (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), 12)
                }
            }
            return (0xFFFD, 6)
        default:
            throw WireError(.malformedJSON, at: index)
        }
    }

    private func hex4(at index: Int, escapeStart: Int) throws(WireError) -> UInt32 {
        var value: UInt32 = 0
        for position in index..<index + 4 {
            guard position < self.bytes.count else { throw WireError(.truncated, at: self.bytes.count) }
            let byte = self.bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw WireError(.malformedJSON, at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private static func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(0xC0 | UInt8(scalar >> 6))
            buffer.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(0xE0 | UInt8(scalar >> 12))
            buffer.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            buffer.append(0x80 | UInt8(scalar & 0x3F))
        default:
            buffer.append(0xF0 | UInt8(scalar >> 18))
            buffer.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            buffer.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            buffer.append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    /// Folds a key the way Go's `encoding/json` matches it against a field name.
    private static func fold(_ key: String) -> String {
        var needsFolding = false
        for byte in key.utf8 where byte >= 0x80 || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) {
            needsFolding = true
            break
        }
        guard needsFolding else { return key }
        var folded = String.UnicodeScalarView()
        for scalar in key.unicodeScalars {
            switch scalar.value {
            case 0x41...0x5A: folded.append(Unicode.Scalar(UInt8(scalar.value) | 0x20))
            case 0x212A: folded.append("k")  // KELVIN SIGN folds to k
            case 0x017F: folded.append("s")  // LATIN SMALL LETTER LONG S folds to s
            default: folded.append(scalar)
            }
        }
        return String(folded)
    }
}

/// A member name from ``JSONScanner/nextKey()``, folded as Go matches field names, matched in a `switch` against
/// the lowercase names a decoder expects: `case "user_id":`.
///
/// A key of up to ``inlineCapacity`` bytes that is its own fold (printable ASCII without capitals, quotes or
/// backslashes: every key this package writes) is kept inline, so reading and matching it builds no `String`;
/// any other key is decoded and folded into a `String`. Either way a name matches exactly when the folded key
/// equals it, as when keys were `String`s.
package struct JSONKey: Sendable, CustomStringConvertible {
    /// The longest key kept inline.
    static let inlineCapacity = 16

    private var low: UInt64 = 0
    private var high: UInt64 = 0
    /// The number of inline bytes (when `folded` is `nil`).
    private(set) var count = 0
    private var folded: String?

    /// A key whose bytes are their own fold, at most ``inlineCapacity`` of them, packed little-endian: the first
    /// eight in `low`, the rest in `high`.
    init(low: UInt64, high: UInt64, count: Int) {
        precondition(count <= Self.inlineCapacity, "JSONKey: too long to keep inline")
        self.low = low
        self.high = high
        self.count = count
    }

    /// A key already decoded and folded.
    init(folded: String) {
        self.folded = folded
    }

    /// The folded key.
    package var description: String {
        if let folded = self.folded { return folded }
        let bytes = (0..<self.count).map { self.byte(at: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func byte(at index: Int) -> UInt8 {
        index < 8
            ? UInt8(truncatingIfNeeded: self.low >> (8 * UInt64(index)))
            : UInt8(truncatingIfNeeded: self.high >> (8 * UInt64(index - 8)))
    }

    /// Whether `key`, folded, is `name`. Inlined, so that against a literal name the usual outcome, a length that
    /// differs, costs a couple of comparisons, and a length that matches two word comparisons.
    @inline(__always)
    package static func ~= (name: StaticString, key: JSONKey) -> Bool {
        guard key.folded == nil, name.hasPointerRepresentation else { return Self.slowMatch(name, key) }
        let count = name.utf8CodeUnitCount
        guard count == key.count else { return false }
        let packed = Self.packed(name.utf8Start, count: count)
        return packed.low == key.low && packed.high == key.high
    }

    /// The first `count` (at most 16) bytes at `bytes`, packed as the inline bytes are. Inlined too: for a literal,
    /// whose bytes and length the compiler sees, the loop folds into two constants.
    @inline(__always)
    static func packed(_ bytes: UnsafePointer<UInt8>, count: Int) -> (low: UInt64, high: UInt64) {
        var words: (low: UInt64, high: UInt64) = (0, 0)
        for index in 0..<min(count, Self.inlineCapacity) {
            if index < 8 {
                words.low |= UInt64(bytes[index]) &<< (UInt64(index) &* 8)
            } else {
                words.high |= UInt64(bytes[index]) &<< (UInt64(index &- 8) &* 8)
            }
        }
        return words
    }

    private static func slowMatch(_ name: StaticString, _ key: JSONKey) -> Bool {
        name.withUTF8Buffer { name in
            if let folded = key.folded {
                return folded.utf8.elementsEqual(name)
            }
            return name.count == key.count && name.indices.allSatisfy { name[$0] == key.byte(at: $0) }
        }
    }
}
