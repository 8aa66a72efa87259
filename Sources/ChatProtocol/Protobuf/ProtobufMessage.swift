/// The plumbing every protobuf message type implements: write its fields in field-number order, and read one
/// field. The generic entry points below build encoding, sizing and the decode loop from those two.
package protocol ProtobufMessage: Hashable, Sendable {
    /// An empty message: every field at its proto3 default.
    init()

    /// The number of bytes ``encode(into:)`` writes.
    var protobufSize: Int { get }

    /// Writes the message's fields in field-number order, omitting proto3 defaults.
    /// - Parameter sink: The writer, or a sizer.
    func encode<Sink: ProtobufSink>(into sink: inout Sink)

    /// Reads the value of one field.
    /// - Parameters:
    ///   - tag: The field's validated key.
    ///   - reader: The reader, positioned at the field's value.
    /// - Returns: `false` when the field number is not part of this message (the caller skips it).
    /// - Throws: A ``WireError`` when the value is malformed or has the wrong wire type.
    mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool
}

extension ProtobufMessage {
    /// Reads fields up to the end of the current message, skipping unknown ones by wire type.
    /// - Parameter reader: The reader.
    /// - Throws: A ``WireError`` when a field is malformed.
    package mutating func merge(from reader: inout ProtobufReader) throws(WireError) {
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if try !self.decodeField(tag, from: &reader) {
                try reader.skipField(tag)
            }
        }
    }

    /// Decodes a message that fills the reader's current region (the whole input, or a nested message).
    /// - Parameter reader: The reader.
    /// - Throws: A ``WireError`` when a field is malformed.
    package init(reader: inout ProtobufReader) throws(WireError) {
        self.init()
        try self.merge(from: &reader)
    }

    /// Decodes a whole input after checking it against ``DecodingOptions/maxMessageBytes``.
    /// - Throws: `.messageTooLarge` (at offset `maxMessageBytes`) for oversized input, or any decoding error.
    package init(decoding bytes: [UInt8], options: DecodingOptions) throws(WireError) {
        guard bytes.count <= options.maxMessageBytes else {
            throw WireError(.messageTooLarge, at: max(options.maxMessageBytes, 0))
        }
        var reader = ProtobufReader(bytes: bytes, options: options)
        try self.init(reader: &reader)
    }

    /// The size, computed by running ``encode(into:)`` on a ``ProtobufSizer``.
    package var computedProtobufSize: Int {
        var sizer = ProtobufSizer()
        self.encode(into: &sizer)
        return sizer.count
    }

    /// Encodes into a new array sized exactly once.
    package func encodedProtobufBytes() -> [UInt8] {
        // Not `[UInt8](unsafeUninitializedCapacity:)`: its buffer allocation is not specialized and looks up
        // generic metadata on every call, which costs more than the zero fill below.
        var bytes: [UInt8] = []
        self.appendProtobufBytes(to: &bytes)
        return bytes
    }

    /// Appends the encoding to `buffer`, growing it at most once and not at all when its capacity suffices.
    package func appendProtobufBytes(to buffer: inout [UInt8]) {
        let size = self.protobufSize
        guard size > 0 else { return }
        let start = buffer.count
        buffer.reserveCapacity(start + size)
        // Arrays cannot be written past their count: extend with zeros (a memcpy), then write over them.
        Self.appendZeros(size, to: &buffer)
        buffer.withUnsafeMutableBufferPointer { all in
            var writer = ProtobufWriter(UnsafeMutableBufferPointer(rebasing: all[start...]))
            self.encode(into: &writer)
            precondition(writer.count == size, "ProtobufWriter: the precomputed size was too large")
        }
    }
}

/// Zero bytes, copied from by ``ProtobufMessage/appendProtobufBytes(to:)``: one copy for a frame of up to 8 KiB.
private let zeroBytes = [UInt8](repeating: 0, count: 8192)

extension ProtobufMessage {
    fileprivate static func appendZeros(_ count: Int, to buffer: inout [UInt8]) {
        zeroBytes.withUnsafeBufferPointer { zeros in
            var remaining = count
            while remaining > 0 {
                let chunk = min(remaining, zeros.count)
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: zeros[..<chunk]))
                remaining -= chunk
            }
        }
    }
}

/// A message with no fields: every field it meets is unknown and skipped.
package protocol EmptyProtobufMessage: ProtobufMessage {}

extension EmptyProtobufMessage {
    /// Writes nothing.
    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {}

    /// Knows no field.
    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        false
    }
}
