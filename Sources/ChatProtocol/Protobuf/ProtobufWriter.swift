/// Where an encoder puts its output: either bytes (``ProtobufWriter``) or just their count
/// (``ProtobufSizer``). Messages write their fields once, generically, so the size they report always matches
/// the bytes they write.
package protocol ProtobufSink {
    /// Appends a varint.
    mutating func appendVarint(_ value: UInt64)
    /// Appends four little-endian bytes.
    mutating func appendFixed32(_ value: UInt32)
    /// Appends eight little-endian bytes.
    mutating func appendFixed64(_ value: UInt64)
    /// Appends raw bytes.
    mutating func appendBytes(_ bytes: [UInt8])
    /// Appends a string's UTF-8 bytes.
    mutating func appendUTF8(_ string: String)
    /// Appends a nested message's length, then the message.
    mutating func appendMessage<M: ProtobufMessage>(_ message: M)
}

/// Appends protobuf bytes to a `[UInt8]`. Callers reserve capacity once, from the precomputed size.
package struct ProtobufWriter: ProtobufSink {
    /// The output so far.
    package var bytes: [UInt8]

    /// Creates a writer with room for `capacity` bytes.
    /// - Parameter capacity: The exact or expected output size.
    package init(capacity: Int) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// Creates a writer that appends to existing bytes.
    /// - Parameter bytes: The buffer to append to; move it in (and back out) to avoid a copy.
    package init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    @inline(__always)
    package mutating func appendVarint(_ value: UInt64) {
        Varint.encode(value, into: &self.bytes)
    }

    @inline(__always)
    package mutating func appendFixed32(_ value: UInt32) {
        var value = value.littleEndian
        for _ in 0..<4 {
            self.bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    @inline(__always)
    package mutating func appendFixed64(_ value: UInt64) {
        var value = value
        for _ in 0..<8 {
            self.bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    @inline(__always)
    package mutating func appendBytes(_ bytes: [UInt8]) {
        self.bytes.append(contentsOf: bytes)
    }

    @inline(__always)
    package mutating func appendUTF8(_ string: String) {
        self.bytes.append(contentsOf: string.utf8)
    }

    package mutating func appendMessage<M: ProtobufMessage>(_ message: M) {
        self.appendVarint(UInt64(message.protobufSize))
        message.encode(into: &self)
    }
}

/// Counts the bytes a message would encode to, without writing them.
package struct ProtobufSizer: ProtobufSink {
    /// The byte count so far.
    package var count = 0

    /// Creates a sizer at zero.
    package init() {}

    @inline(__always)
    package mutating func appendVarint(_ value: UInt64) { self.count &+= Varint.encodedSize(of: value) }

    @inline(__always)
    package mutating func appendFixed32(_ value: UInt32) { self.count &+= 4 }

    @inline(__always)
    package mutating func appendFixed64(_ value: UInt64) { self.count &+= 8 }

    @inline(__always)
    package mutating func appendBytes(_ bytes: [UInt8]) { self.count &+= bytes.count }

    @inline(__always)
    package mutating func appendUTF8(_ string: String) { self.count &+= string.utf8.count }

    package mutating func appendMessage<M: ProtobufMessage>(_ message: M) {
        let size = message.protobufSize
        self.count &+= Varint.encodedSize(of: UInt64(size)) &+ size
    }
}

// Field-level helpers shared by every message. Singular scalar fields omit the proto3 default; `oneof` members
// and message fields are written whenever present.
extension ProtobufSink {
    /// Writes a field key.
    @inline(__always)
    package mutating func writeTag(_ fieldNumber: Int, _ wireType: WireType) {
        self.appendVarint(FieldTag(fieldNumber: fieldNumber, wireType: wireType).rawValue)
    }

    /// Writes a `uint64` (or `uint32`) field unless it is 0.
    package mutating func writeUInt64(_ value: UInt64, field: Int) {
        guard value != 0 else { return }
        self.writeTag(field, .varint)
        self.appendVarint(value)
    }

    /// Writes a `uint32` field unless it is 0.
    package mutating func writeUInt32(_ value: UInt32, field: Int) {
        self.writeUInt64(UInt64(value), field: field)
    }

    /// Writes an `int64` field unless it is 0 (negative values take ten bytes).
    package mutating func writeInt64(_ value: Int64, field: Int) {
        self.writeUInt64(UInt64(bitPattern: value), field: field)
    }

    /// Writes an `int32` or enum field unless it is 0 (negative values are sign-extended to ten bytes).
    package mutating func writeInt32(_ value: Int32, field: Int) {
        self.writeUInt64(UInt64(bitPattern: Int64(value)), field: field)
    }

    /// Writes a `bool` field unless it is false.
    package mutating func writeBool(_ value: Bool, field: Int) {
        self.writeUInt64(value ? 1 : 0, field: field)
    }

    /// Writes a `sint32` field unless it is 0.
    package mutating func writeSInt32(_ value: Int32, field: Int) {
        self.writeUInt64(UInt64(ZigZag.encoded(value)), field: field)
    }

    /// Writes a `sint64` field unless it is 0.
    package mutating func writeSInt64(_ value: Int64, field: Int) {
        self.writeUInt64(ZigZag.encoded(value), field: field)
    }

    /// Writes a `fixed32` field unless it is 0.
    package mutating func writeFixed32(_ value: UInt32, field: Int) {
        guard value != 0 else { return }
        self.writeTag(field, .fixed32)
        self.appendFixed32(value)
    }

    /// Writes a `fixed64` field unless it is 0.
    package mutating func writeFixed64(_ value: UInt64, field: Int) {
        guard value != 0 else { return }
        self.writeTag(field, .fixed64)
        self.appendFixed64(value)
    }

    /// Writes an `sfixed32` field unless it is 0.
    package mutating func writeSFixed32(_ value: Int32, field: Int) {
        self.writeFixed32(UInt32(bitPattern: value), field: field)
    }

    /// Writes an `sfixed64` field unless it is 0.
    package mutating func writeSFixed64(_ value: Int64, field: Int) {
        self.writeFixed64(UInt64(bitPattern: value), field: field)
    }

    /// Writes a `float` field unless its bit pattern is 0 (so −0.0 is written, as protoc does).
    package mutating func writeFloat(_ value: Float, field: Int) {
        self.writeFixed32(value.bitPattern, field: field)
    }

    /// Writes a `double` field unless its bit pattern is 0 (so −0.0 is written, as protoc does).
    package mutating func writeDouble(_ value: Double, field: Int) {
        self.writeFixed64(value.bitPattern, field: field)
    }

    /// Writes a `string` field unless it is empty.
    package mutating func writeString(_ value: String, field: Int) {
        guard !value.isEmpty else { return }
        self.writeStringAlways(value, field: field)
    }

    /// Writes a `string` field even when empty (a `oneof` member that is set).
    package mutating func writeStringAlways(_ value: String, field: Int) {
        self.writeTag(field, .lengthDelimited)
        self.appendVarint(UInt64(value.utf8.count))
        self.appendUTF8(value)
    }

    /// Writes a `bytes` field unless it is empty.
    package mutating func writeBytes(_ value: [UInt8], field: Int) {
        guard !value.isEmpty else { return }
        self.writeTag(field, .lengthDelimited)
        self.appendVarint(UInt64(value.count))
        self.appendBytes(value)
    }

    /// Writes a message field when present (an empty message is still written: presence is meaningful).
    package mutating func writeMessage<M: ProtobufMessage>(_ value: M?, field: Int) {
        guard let value else { return }
        self.writeTag(field, .lengthDelimited)
        self.appendMessage(value)
    }

    /// Writes a `repeated` message field, one record per element.
    package mutating func writeRepeatedMessages<M: ProtobufMessage>(_ values: [M], field: Int) {
        for value in values {
            self.writeTag(field, .lengthDelimited)
            self.appendMessage(value)
        }
    }

    /// Writes a packed `repeated` varint field (`uint64`, `uint32`, `int64`, `bool`, enums, zigzag values
    /// already mapped) unless it is empty.
    package mutating func writePackedVarints(_ values: [UInt64], field: Int) {
        guard !values.isEmpty else { return }
        var length = 0
        for value in values { length &+= Varint.encodedSize(of: value) }
        self.writeTag(field, .lengthDelimited)
        self.appendVarint(UInt64(length))
        for value in values { self.appendVarint(value) }
    }

    /// Writes a packed `repeated` `fixed32` (or `sfixed32`/`float` bit patterns) field unless it is empty.
    package mutating func writePackedFixed32(_ values: [UInt32], field: Int) {
        guard !values.isEmpty else { return }
        self.writeTag(field, .lengthDelimited)
        self.appendVarint(UInt64(values.count * 4))
        for value in values { self.appendFixed32(value) }
    }

    /// Writes a packed `repeated` `fixed64` (or `sfixed64`/`double` bit patterns) field unless it is empty.
    package mutating func writePackedFixed64(_ values: [UInt64], field: Int) {
        guard !values.isEmpty else { return }
        self.writeTag(field, .lengthDelimited)
        self.appendVarint(UInt64(values.count * 8))
        for value in values { self.appendFixed64(value) }
    }
}
