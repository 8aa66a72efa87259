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

/// Writes protobuf bytes into memory the caller provides, sized beforehand by a ``ProtobufSizer`` pass over the
/// same `encode(into:)`; see ``ProtobufMessage/encodedProtobufBytes()``.
///
/// Every write checks the room left once (a trap, never a write out of bounds, if a size were ever wrong) and
/// then stores through the pointer: no per-byte capacity or uniqueness checks as with `[UInt8].append`. A nested
/// message is written after a one-byte length placeholder and its length patched in afterwards, moving the
/// message up when the length needs more than one byte, so each nested message is sized once (by the sizer pass),
/// not again while writing.
package struct ProtobufWriter: ProtobufSink {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// The number of bytes written so far.
    package private(set) var count = 0

    /// Creates a writer over `buffer`, which must stay valid while the writer is used.
    /// - Parameter buffer: The memory to write to (initialized or not); its start must not be `nil`.
    package init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        guard let base = buffer.baseAddress else { preconditionFailure("ProtobufWriter: no memory to write to") }
        self.base = base
        self.capacity = buffer.count
    }

    @inline(__always)
    private func checkRoom(_ byteCount: Int) {
        precondition(byteCount <= self.capacity &- self.count, "ProtobufWriter: the precomputed size was too small")
    }

    /// Stores `value` as a varint at `offset`, which must have room for it.
    /// - Returns: The varint's length.
    @inline(__always)
    private func storeVarint(_ value: UInt64, at offset: Int) -> Int {
        var value = value
        var index = offset
        while value > 0x7F {
            self.base[index] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            index &+= 1
        }
        self.base[index] = UInt8(truncatingIfNeeded: value)
        return index &+ 1 &- offset
    }

    @inline(__always)
    package mutating func appendVarint(_ value: UInt64) {
        if value < 0x80 {
            self.checkRoom(1)
            self.base[self.count] = UInt8(truncatingIfNeeded: value)
            self.count &+= 1
            return
        }
        self.checkRoom(Varint.encodedSize(of: value))
        self.count &+= self.storeVarint(value, at: self.count)
    }

    @inline(__always)
    package mutating func appendFixed32(_ value: UInt32) {
        self.checkRoom(4)
        UnsafeMutableRawPointer(self.base + self.count).storeBytes(of: value.littleEndian, as: UInt32.self)
        self.count &+= 4
    }

    @inline(__always)
    package mutating func appendFixed64(_ value: UInt64) {
        self.checkRoom(8)
        UnsafeMutableRawPointer(self.base + self.count).storeBytes(of: value.littleEndian, as: UInt64.self)
        self.count &+= 8
    }

    @inline(__always)
    private mutating func appendRaw(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        self.checkRoom(bytes.count)
        (self.base + self.count).update(from: source, count: bytes.count)
        self.count &+= bytes.count
    }

    @inline(__always)
    package mutating func appendBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { self.appendRaw($0) }
    }

    @inline(__always)
    package mutating func appendUTF8(_ string: String) {
        if string.utf8.withContiguousStorageIfAvailable({ self.appendRaw($0) }) == nil {
            var string = string
            string.withUTF8 { self.appendRaw($0) }
        }
    }

    package mutating func appendMessage<M: ProtobufMessage>(_ message: M) {
        self.checkRoom(1)
        let lengthOffset = self.count
        self.count &+= 1
        message.encode(into: &self)
        let length = self.count &- lengthOffset &- 1
        let lengthSize = Varint.encodedSize(of: UInt64(length))
        if lengthSize > 1 {
            // Rare (a nested message of 128 bytes or more): move it up to make room for the longer length.
            let extra = lengthSize &- 1
            self.checkRoom(extra)
            let messageStart: UnsafeMutablePointer<UInt8> = self.base + (lengthOffset &+ 1)
            let destination = UnsafeMutableRawPointer(messageStart + extra)
            destination.copyMemory(from: messageStart, byteCount: length)  // memmove: the ranges overlap
            self.count &+= extra
        }
        _ = self.storeVarint(UInt64(length), at: lengthOffset)
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
