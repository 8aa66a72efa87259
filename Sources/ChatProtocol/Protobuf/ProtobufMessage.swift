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
        var writer = ProtobufWriter(capacity: self.protobufSize)
        self.encode(into: &writer)
        return writer.bytes
    }

    /// Appends the encoding to `buffer`, growing it at most once and not at all when its capacity suffices.
    package func appendProtobufBytes(to buffer: inout [UInt8]) {
        var writer = ProtobufWriter(appendingTo: [])
        swap(&writer.bytes, &buffer)
        writer.bytes.reserveCapacity(writer.bytes.count + self.protobufSize)
        self.encode(into: &writer)
        swap(&writer.bytes, &buffer)
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
