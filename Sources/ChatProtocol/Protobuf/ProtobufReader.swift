/// Reads protobuf fields from a byte array, bounds-checked at every step.
///
/// The reader never traps and never allocates more than the input justifies: every length is checked against
/// the configured limits and the bytes remaining before anything is read or reserved. Errors carry the offset of
/// the item that could not be read: the field key for `.invalidTag` and `.invalidWireType`, the first byte of
/// the value otherwise (for length-delimited values, their length prefix).
package struct ProtobufReader {
    /// The whole input.
    package let bytes: [UInt8]
    /// The next byte to read.
    package private(set) var offset: Int
    /// The end of the message being read (the input's end, or a nested message's end).
    package private(set) var end: Int
    /// How many messages enclose the one being read.
    package private(set) var depth = 0
    /// The limits in force.
    package let options: DecodingOptions
    /// Where the most recent field key started (for `.invalidWireType`).
    private var tagOffset = 0

    /// Creates a reader over a whole input.
    /// - Parameters:
    ///   - bytes: The input.
    ///   - options: The limits to enforce.
    package init(bytes: [UInt8], options: DecodingOptions) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
        self.options = options
    }

    /// Whether the current message has been read to its end.
    package var isAtEnd: Bool { self.offset >= self.end }

    // MARK: Primitives

    /// Reads a varint.
    @inline(__always)
    package mutating func readVarint() throws(WireError) -> UInt64 {
        try Varint.decode(self.bytes, offset: &self.offset, end: self.end)
    }

    /// Reads and validates a field key.
    package mutating func readTag() throws(WireError) -> FieldTag {
        self.tagOffset = self.offset
        let raw = try self.readVarint()
        guard raw <= UInt64(UInt32.max) else { throw WireError(.invalidTag, at: self.tagOffset) }
        return try FieldTag(rawValue: raw, at: self.tagOffset)
    }

    /// Reads four little-endian bytes.
    package mutating func readFixed32() throws(WireError) -> UInt32 {
        guard self.end - self.offset >= 4 else { throw WireError(.truncated, at: self.offset) }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(self.bytes[self.offset + index]) << (8 * index) }
        self.offset += 4
        return value
    }

    /// Reads eight little-endian bytes.
    package mutating func readFixed64() throws(WireError) -> UInt64 {
        guard self.end - self.offset >= 8 else { throw WireError(.truncated, at: self.offset) }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(self.bytes[self.offset + index]) << (8 * index) }
        self.offset += 8
        return value
    }

    /// Reads a length prefix and checks it against the limits and the bytes remaining.
    /// - Returns: The range of the value's bytes; `offset` is left at its start.
    /// - Throws: `.fieldTooLarge` above ``DecodingOptions/maxFieldBytes`` or at 2^31 and beyond; `.truncated`
    ///   when the value would run past the end of the enclosing message. Both at the length prefix.
    package mutating func readLengthPrefix() throws(WireError) -> Range<Int> {
        let start = self.offset
        let length = try self.readVarint()
        guard length < 1 << 31, length <= UInt64(max(self.options.maxFieldBytes, 0)) else {
            throw WireError(.fieldTooLarge, at: start)
        }
        let count = Int(length)
        guard count <= self.end - self.offset else { throw WireError(.truncated, at: start) }
        return self.offset..<(self.offset + count)
    }

    /// Skips the value of a field this version does not know, by wire type.
    package mutating func skipField(_ tag: FieldTag) throws(WireError) {
        switch tag.wireType {
        case .varint: _ = try self.readVarint()
        case .fixed64: _ = try self.readFixed64()
        case .fixed32: _ = try self.readFixed32()
        case .lengthDelimited: self.offset = try self.readLengthPrefix().upperBound
        }
    }

    @inline(__always)
    private func expect(_ tag: FieldTag, _ wireType: WireType) throws(WireError) {
        guard tag.wireType == wireType else { throw WireError(.invalidWireType, at: self.tagOffset) }
    }

    // MARK: Typed fields (each checks the wire type against the schema)

    /// Reads a `uint64` field.
    package mutating func readUInt64(_ tag: FieldTag) throws(WireError) -> UInt64 {
        try self.expect(tag, .varint)
        return try self.readVarint()
    }

    /// Reads a `uint32` field (higher bits of the varint are dropped, as protoc does).
    package mutating func readUInt32(_ tag: FieldTag) throws(WireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try self.readUInt64(tag))
    }

    /// Reads an `int64` field.
    package mutating func readInt64(_ tag: FieldTag) throws(WireError) -> Int64 {
        Int64(bitPattern: try self.readUInt64(tag))
    }

    /// Reads an `int32` or enum field (higher bits of the varint are dropped, as protoc does).
    package mutating func readInt32(_ tag: FieldTag) throws(WireError) -> Int32 {
        Int32(truncatingIfNeeded: try self.readUInt64(tag))
    }

    /// Reads a `bool` field: any non-zero varint is true.
    package mutating func readBool(_ tag: FieldTag) throws(WireError) -> Bool {
        try self.readUInt64(tag) != 0
    }

    /// Reads a `sint32` field.
    package mutating func readSInt32(_ tag: FieldTag) throws(WireError) -> Int32 {
        ZigZag.decoded(UInt32(truncatingIfNeeded: try self.readUInt64(tag)))
    }

    /// Reads a `sint64` field.
    package mutating func readSInt64(_ tag: FieldTag) throws(WireError) -> Int64 {
        ZigZag.decoded(try self.readUInt64(tag))
    }

    /// Reads a `fixed32` field.
    package mutating func readFixed32(_ tag: FieldTag) throws(WireError) -> UInt32 {
        try self.expect(tag, .fixed32)
        return try self.readFixed32()
    }

    /// Reads a `fixed64` field.
    package mutating func readFixed64(_ tag: FieldTag) throws(WireError) -> UInt64 {
        try self.expect(tag, .fixed64)
        return try self.readFixed64()
    }

    /// Reads an `sfixed32` field.
    package mutating func readSFixed32(_ tag: FieldTag) throws(WireError) -> Int32 {
        Int32(bitPattern: try self.readFixed32(tag))
    }

    /// Reads an `sfixed64` field.
    package mutating func readSFixed64(_ tag: FieldTag) throws(WireError) -> Int64 {
        Int64(bitPattern: try self.readFixed64(tag))
    }

    /// Reads a `float` field.
    package mutating func readFloat(_ tag: FieldTag) throws(WireError) -> Float {
        Float(bitPattern: try self.readFixed32(tag))
    }

    /// Reads a `double` field.
    package mutating func readDouble(_ tag: FieldTag) throws(WireError) -> Double {
        Double(bitPattern: try self.readFixed64(tag))
    }

    /// Reads a `string` field, which must be valid UTF-8 (`.invalidUTF8` at its length prefix otherwise).
    package mutating func readString(_ tag: FieldTag) throws(WireError) -> String {
        try self.expect(tag, .lengthDelimited)
        let start = self.offset
        let range = try self.readLengthPrefix()
        self.offset = range.upperBound
        if range.isEmpty { return "" }
        let string = self.bytes.withUnsafeBufferPointer { bytes in
            Self.validatedString(UnsafeBufferPointer(rebasing: bytes[range]))
        }
        guard let string else { throw WireError(.invalidUTF8, at: start) }
        return string
    }

    /// The string whose UTF-8 is `utf8`, or `nil` if `utf8` is not valid UTF-8.
    ///
    /// `String(decoding:as:)` on a buffer pointer takes the standard library's fast, non-generic validation; it
    /// repairs invalid input rather than rejecting it, so unless the bytes are all ASCII (checked eight at a time:
    /// nothing to repair) the result is compared with the input, which it equals exactly when nothing was repaired.
    private static func validatedString(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        let string = String(decoding: utf8, as: UTF8.self)
        guard let base = utf8.baseAddress, !SWAR.isASCII(base, count: utf8.count) else { return string }
        guard string.utf8.count == utf8.count else { return nil }
        let unchanged = string.utf8.withContiguousStorageIfAvailable { decoded in
            decoded.baseAddress.map { SWAR.sameBytes($0, base, count: utf8.count) } ?? false
        }
        return unchanged ?? string.utf8.elementsEqual(utf8) ? string : nil
    }

    /// Reads a `bytes` field.
    package mutating func readBytes(_ tag: FieldTag) throws(WireError) -> [UInt8] {
        try self.expect(tag, .lengthDelimited)
        let range = try self.readLengthPrefix()
        self.offset = range.upperBound
        return Array(self.bytes[range])
    }

    /// Reads a nested message field into a new message.
    /// - Throws: `.depthLimit` (at the length prefix) when nesting would exceed ``DecodingOptions/maxDepth``,
    ///   and whatever the nested message's fields throw.
    package mutating func readMessage<M: ProtobufMessage>(_ tag: FieldTag) throws(WireError) -> M {
        // No `M?` on this path: destroying even a `nil` optional of a large message type went through the
        // runtime's generic value witnesses (about 300 instructions per chat frame).
        var message = M()
        try self.readMessage(tag, into: &message)
        return message
    }

    /// Reads a nested message field, merging it into `existing` when the field was already seen (proto3 merges
    /// repeated occurrences of a singular message field).
    /// - Throws: `.depthLimit` (at the length prefix) when nesting would exceed ``DecodingOptions/maxDepth``,
    ///   and whatever the nested message's fields throw.
    package mutating func readMessage<M: ProtobufMessage>(
        _ tag: FieldTag,
        merging existing: M?
    ) throws(WireError) -> M {
        var message = existing ?? M()
        try self.readMessage(tag, into: &message)
        return message
    }

    /// Reads a nested message field's bytes into `message`.
    private mutating func readMessage<M: ProtobufMessage>(_ tag: FieldTag, into message: inout M) throws(WireError) {
        try self.expect(tag, .lengthDelimited)
        let start = self.offset
        let range = try self.readLengthPrefix()
        guard self.depth < self.options.maxDepth else { throw WireError(.depthLimit, at: start) }
        let outerEnd = self.end
        self.end = range.upperBound
        self.depth += 1
        try message.merge(from: &self)
        self.depth -= 1
        self.end = outerEnd
    }

    /// Reads one element, or a packed run of elements, of a `repeated` scalar field and appends them.
    ///
    /// Packed (length-delimited) and unpacked (one record per element) encodings are both accepted, as proto3
    /// requires.
    /// - Parameters:
    ///   - tag: The field's key.
    ///   - elementWireType: The wire type of one element (`.varint`, `.fixed32` or `.fixed64`).
    ///   - values: The array to append to.
    ///   - readElement: Reads one element's value (the wire type is already checked).
    /// - Throws: `.invalidWireType` for a wire type that is neither the element's nor length-delimited, and
    ///   whatever reading the elements throws.
    package mutating func readRepeated<T>(
        _ tag: FieldTag,
        elementWireType: WireType,
        into values: inout [T],
        _ readElement: (inout ProtobufReader) throws(WireError) -> T
    ) throws(WireError) {
        if tag.wireType == elementWireType {
            values.append(try readElement(&self))
            return
        }
        try self.expect(tag, .lengthDelimited)
        let range = try self.readLengthPrefix()
        let outerEnd = self.end
        self.end = range.upperBound
        // A packed run cannot end inside an element: the element read would see `.truncated` at `self.end`.
        while !self.isAtEnd { values.append(try readElement(&self)) }
        self.end = outerEnd
    }
}
