extension V2.EnqueueCommand: EmptyProtobufMessage {}
extension V2.CancelCommand: EmptyProtobufMessage {}

extension V2.ConfirmCommand: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(matchID: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.matchID, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.matchID = try reader.readUInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.NextCommand: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(accessToken: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeString(self.accessToken, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.accessToken = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension V2.Queued: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(ticketID: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.ticketID, field: 1)
        sink.writeUInt32(self.waitTimeoutMs, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.ticketID = try reader.readUInt64(tag)
        case 2: self.waitTimeoutMs = try reader.readUInt32(tag)
        default: return false
        }
        return true
    }
}

extension V2.MatchProposed: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(matchID: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.matchID, field: 1)
        sink.writeUInt64(self.peerID.rawValue, field: 2)
        sink.writeUInt32(self.confirmTimeoutMs, field: 3)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.matchID = try reader.readUInt64(tag)
        case 2: self.peerID = UserID(try reader.readUInt64(tag))
        case 3: self.confirmTimeoutMs = try reader.readUInt32(tag)
        default: return false
        }
        return true
    }
}

extension V2.Matched: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(matchID: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.matchID, field: 1)
        sink.writeUInt64(self.channelID.rawValue, field: 2)
        sink.writeUInt64(self.peerID.rawValue, field: 3)
        sink.writeString(self.accessToken, field: 4)
        sink.writeInt64(self.tokenExpiresAt, field: 5)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.matchID = try reader.readUInt64(tag)
        case 2: self.channelID = ChannelID(try reader.readUInt64(tag))
        case 3: self.peerID = UserID(try reader.readUInt64(tag))
        case 4: self.accessToken = try reader.readString(tag)
        case 5: self.tokenExpiresAt = try reader.readInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.MatchVoided: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(matchID: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.matchID, field: 1)
        sink.writeString(self.reason, field: 2)
        sink.writeBool(self.requeued, field: 3)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.matchID = try reader.readUInt64(tag)
        case 2: self.reason = try reader.readString(tag)
        case 3: self.requeued = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

// MARK: - Public entry points

extension V2.EnqueueCommand {
    /// Decodes a ``V2/EnqueueCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.CancelCommand {
    /// Decodes a ``V2/CancelCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.ConfirmCommand {
    /// Decodes a ``V2/ConfirmCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.NextCommand {
    /// Decodes a ``V2/NextCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Queued {
    /// Decodes a ``V2/Queued`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.MatchProposed {
    /// Decodes a ``V2/MatchProposed`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Matched {
    /// Decodes a ``V2/Matched`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.MatchVoided {
    /// Decodes a ``V2/MatchVoided`` from its protobuf encoding; unknown fields are skipped.
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
