// The four websocket envelopes. A `oneof` member that appears twice replaces the earlier one (it is not
// merged into it); our own encoder never writes a member twice.

extension V2.ChatClientFrame: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(id: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt32(self.id, field: 1)
        switch self.command {
        case .send(let value): sink.writeMessage(value, field: 2)
        case .resume(let value): sink.writeMessage(value, field: 3)
        case .typing(let value): sink.writeMessage(value, field: 4)
        case .seen(let value): sink.writeMessage(value, field: 5)
        case .leave(let value): sink.writeMessage(value, field: 6)
        case .refreshToken(let value): sink.writeMessage(value, field: 7)
        case .pong(let value): sink.writeMessage(value, field: 8)
        case .ping(let value): sink.writeMessage(value, field: 9)
        case nil: break
        }
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.id = try reader.readUInt32(tag)
        case 2: self.command = .send(try reader.readMessage(tag))
        case 3: self.command = .resume(try reader.readMessage(tag))
        case 4: self.command = .typing(try reader.readMessage(tag))
        case 5: self.command = .seen(try reader.readMessage(tag))
        case 6: self.command = .leave(try reader.readMessage(tag))
        case 7: self.command = .refreshToken(try reader.readMessage(tag))
        case 8: self.command = .pong(try reader.readMessage(tag))
        case 9: self.command = .ping(try reader.readMessage(tag))
        default: return false
        }
        return true
    }
}

extension V2.ChatServerFrame: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(id: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt32(self.id, field: 1)
        switch self.body {
        case .error(let value): sink.writeMessage(value, field: 2)
        case .ok(let value): sink.writeMessage(value, field: 3)
        case .ack(let value): sink.writeMessage(value, field: 4)
        case .resumed(let value): sink.writeMessage(value, field: 5)
        case .tokenRefreshed(let value): sink.writeMessage(value, field: 6)
        case .hello(let value): sink.writeMessage(value, field: 7)
        case .message(let value): sink.writeMessage(value, field: 8)
        case .presence(let value): sink.writeMessage(value, field: 9)
        case .typing(let value): sink.writeMessage(value, field: 10)
        case .seen(let value): sink.writeMessage(value, field: 11)
        case .ping(let value): sink.writeMessage(value, field: 12)
        case .pong(let value): sink.writeMessage(value, field: 13)
        case nil: break
        }
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.id = try reader.readUInt32(tag)
        case 2: self.body = .error(try reader.readMessage(tag))
        case 3: self.body = .ok(try reader.readMessage(tag))
        case 4: self.body = .ack(try reader.readMessage(tag))
        case 5: self.body = .resumed(try reader.readMessage(tag))
        case 6: self.body = .tokenRefreshed(try reader.readMessage(tag))
        case 7: self.body = .hello(try reader.readMessage(tag))
        case 8: self.body = .message(try reader.readMessage(tag))
        case 9: self.body = .presence(try reader.readMessage(tag))
        case 10: self.body = .typing(try reader.readMessage(tag))
        case 11: self.body = .seen(try reader.readMessage(tag))
        case 12: self.body = .ping(try reader.readMessage(tag))
        case 13: self.body = .pong(try reader.readMessage(tag))
        default: return false
        }
        return true
    }
}

extension V2.MatchClientFrame: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(id: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt32(self.id, field: 1)
        switch self.command {
        case .enqueue(let value): sink.writeMessage(value, field: 2)
        case .cancel(let value): sink.writeMessage(value, field: 3)
        case .confirm(let value): sink.writeMessage(value, field: 4)
        case .next(let value): sink.writeMessage(value, field: 5)
        case .pong(let value): sink.writeMessage(value, field: 6)
        case .ping(let value): sink.writeMessage(value, field: 7)
        case nil: break
        }
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.id = try reader.readUInt32(tag)
        case 2: self.command = .enqueue(try reader.readMessage(tag))
        case 3: self.command = .cancel(try reader.readMessage(tag))
        case 4: self.command = .confirm(try reader.readMessage(tag))
        case 5: self.command = .next(try reader.readMessage(tag))
        case 6: self.command = .pong(try reader.readMessage(tag))
        case 7: self.command = .ping(try reader.readMessage(tag))
        default: return false
        }
        return true
    }
}

extension V2.MatchServerFrame: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(id: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt32(self.id, field: 1)
        switch self.body {
        case .error(let value): sink.writeMessage(value, field: 2)
        case .ok(let value): sink.writeMessage(value, field: 3)
        case .queued(let value): sink.writeMessage(value, field: 4)
        case .hello(let value): sink.writeMessage(value, field: 5)
        case .proposed(let value): sink.writeMessage(value, field: 6)
        case .matched(let value): sink.writeMessage(value, field: 7)
        case .voided(let value): sink.writeMessage(value, field: 8)
        case .ping(let value): sink.writeMessage(value, field: 9)
        case .pong(let value): sink.writeMessage(value, field: 10)
        case nil: break
        }
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.id = try reader.readUInt32(tag)
        case 2: self.body = .error(try reader.readMessage(tag))
        case 3: self.body = .ok(try reader.readMessage(tag))
        case 4: self.body = .queued(try reader.readMessage(tag))
        case 5: self.body = .hello(try reader.readMessage(tag))
        case 6: self.body = .proposed(try reader.readMessage(tag))
        case 7: self.body = .matched(try reader.readMessage(tag))
        case 8: self.body = .voided(try reader.readMessage(tag))
        case 9: self.body = .ping(try reader.readMessage(tag))
        case 10: self.body = .pong(try reader.readMessage(tag))
        default: return false
        }
        return true
    }
}

// MARK: - Public entry points

extension V2.ChatClientFrame {
    /// Decodes a ``V2/ChatClientFrame`` from its protobuf encoding; unknown fields are skipped.
    /// - Parameters:
    ///   - protobufBytes: The encoded message.
    ///   - options: Limits for untrusted input.
    /// - Throws: A ``WireError`` when the bytes are malformed or exceed a limit of `options`.
    public init(protobufBytes: [UInt8], options: DecodingOptions = .init()) throws {
        try self.init(decoding: protobufBytes, options: options)
    }

    /// The protobuf encoding, byte-identical to `protoc --encode`.
    /// - Returns: A new array of exactly ``protobufSize`` bytes.
    public func protobufBytes() -> [UInt8] { self.encodedProtobufBytes() }

    /// Appends the protobuf encoding to `buffer`, without allocating when its spare capacity suffices.
    /// - Parameter buffer: The buffer to append to.
    public func protobufBytes(into buffer: inout [UInt8]) { self.appendProtobufBytes(to: &buffer) }

    /// The number of bytes of the protobuf encoding.
    public var protobufSize: Int { self.computedProtobufSize }
}

extension V2.ChatServerFrame {
    /// Decodes a ``V2/ChatServerFrame`` from its protobuf encoding; unknown fields are skipped.
    /// - Parameters:
    ///   - protobufBytes: The encoded message.
    ///   - options: Limits for untrusted input.
    /// - Throws: A ``WireError`` when the bytes are malformed or exceed a limit of `options`.
    public init(protobufBytes: [UInt8], options: DecodingOptions = .init()) throws {
        try self.init(decoding: protobufBytes, options: options)
    }

    /// The protobuf encoding, byte-identical to `protoc --encode`.
    /// - Returns: A new array of exactly ``protobufSize`` bytes.
    public func protobufBytes() -> [UInt8] { self.encodedProtobufBytes() }

    /// Appends the protobuf encoding to `buffer`, without allocating when its spare capacity suffices.
    /// - Parameter buffer: The buffer to append to.
    public func protobufBytes(into buffer: inout [UInt8]) { self.appendProtobufBytes(to: &buffer) }

    /// The number of bytes of the protobuf encoding.
    public var protobufSize: Int { self.computedProtobufSize }
}

extension V2.MatchClientFrame {
    /// Decodes a ``V2/MatchClientFrame`` from its protobuf encoding; unknown fields are skipped.
    /// - Parameters:
    ///   - protobufBytes: The encoded message.
    ///   - options: Limits for untrusted input.
    /// - Throws: A ``WireError`` when the bytes are malformed or exceed a limit of `options`.
    public init(protobufBytes: [UInt8], options: DecodingOptions = .init()) throws {
        try self.init(decoding: protobufBytes, options: options)
    }

    /// The protobuf encoding, byte-identical to `protoc --encode`.
    /// - Returns: A new array of exactly ``protobufSize`` bytes.
    public func protobufBytes() -> [UInt8] { self.encodedProtobufBytes() }

    /// Appends the protobuf encoding to `buffer`, without allocating when its spare capacity suffices.
    /// - Parameter buffer: The buffer to append to.
    public func protobufBytes(into buffer: inout [UInt8]) { self.appendProtobufBytes(to: &buffer) }

    /// The number of bytes of the protobuf encoding.
    public var protobufSize: Int { self.computedProtobufSize }
}

extension V2.MatchServerFrame {
    /// Decodes a ``V2/MatchServerFrame`` from its protobuf encoding; unknown fields are skipped.
    /// - Parameters:
    ///   - protobufBytes: The encoded message.
    ///   - options: Limits for untrusted input.
    /// - Throws: A ``WireError`` when the bytes are malformed or exceed a limit of `options`.
    public init(protobufBytes: [UInt8], options: DecodingOptions = .init()) throws {
        try self.init(decoding: protobufBytes, options: options)
    }

    /// The protobuf encoding, byte-identical to `protoc --encode`.
    /// - Returns: A new array of exactly ``protobufSize`` bytes.
    public func protobufBytes() -> [UInt8] { self.encodedProtobufBytes() }

    /// Appends the protobuf encoding to `buffer`, without allocating when its spare capacity suffices.
    /// - Parameter buffer: The buffer to append to.
    public func protobufBytes(into buffer: inout [UInt8]) { self.appendProtobufBytes(to: &buffer) }

    /// The number of bytes of the protobuf encoding.
    public var protobufSize: Int { self.computedProtobufSize }
}
