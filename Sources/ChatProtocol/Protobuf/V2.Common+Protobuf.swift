extension V2.Error: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(code: .unspecified) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeInt32(self.code.rawValue, field: 1)
        sink.writeString(self.message, field: 2)
        sink.writeBool(self.temporary, field: 3)
        sink.writeUInt32(self.retryAfterMs, field: 4)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.code = Code(rawValue: try reader.readInt32(tag))
        case 2: self.message = try reader.readString(tag)
        case 3: self.temporary = try reader.readBool(tag)
        case 4: self.retryAfterMs = try reader.readUInt32(tag)
        default: return false
        }
        return true
    }
}

extension V2.Limits: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(maxFrameBytes: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt32(self.maxFrameBytes, field: 1)
        sink.writeUInt32(self.maxTextBytes, field: 2)
        sink.writeUInt64(self.maxUploadBytes, field: 3)
        sink.writeUInt32(self.historyPageDefault, field: 4)
        sink.writeUInt32(self.historyPageMax, field: 5)
        sink.writeUInt32(self.maxMessagesPerChannel, field: 6)
        sink.writeUInt32(self.maxQueuedFrames, field: 7)
        sink.writeUInt32(self.maxInflightSends, field: 8)
        sink.writeUInt32(self.typingMinIntervalMs, field: 9)
        sink.writeUInt32(self.typingTimeoutMs, field: 10)
        sink.writeUInt32(self.maxSendsPerSecond, field: 11)
        sink.writeUInt64(self.maxChannelUploadBytes, field: 12)
        sink.writeUInt32(self.maxFilesPerUpload, field: 13)
        sink.writeUInt32(self.maxBlocksPerUser, field: 14)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.maxFrameBytes = try reader.readUInt32(tag)
        case 2: self.maxTextBytes = try reader.readUInt32(tag)
        case 3: self.maxUploadBytes = try reader.readUInt64(tag)
        case 4: self.historyPageDefault = try reader.readUInt32(tag)
        case 5: self.historyPageMax = try reader.readUInt32(tag)
        case 6: self.maxMessagesPerChannel = try reader.readUInt32(tag)
        case 7: self.maxQueuedFrames = try reader.readUInt32(tag)
        case 8: self.maxInflightSends = try reader.readUInt32(tag)
        case 9: self.typingMinIntervalMs = try reader.readUInt32(tag)
        case 10: self.typingTimeoutMs = try reader.readUInt32(tag)
        case 11: self.maxSendsPerSecond = try reader.readUInt32(tag)
        case 12: self.maxChannelUploadBytes = try reader.readUInt64(tag)
        case 13: self.maxFilesPerUpload = try reader.readUInt32(tag)
        case 14: self.maxBlocksPerUser = try reader.readUInt32(tag)
        default: return false
        }
        return true
    }
}

extension V2.Hello: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(version: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt32(self.version, field: 1)
        sink.writeString(self.server, field: 2)
        sink.writeMessage(self.limits, field: 3)
        sink.writeUInt32(self.pingIntervalMs, field: 4)
        sink.writeUInt32(self.resumeWindowMs, field: 5)
        sink.writeUInt64(self.userID.rawValue, field: 6)
        sink.writeUInt64(self.channelID.rawValue, field: 7)
        sink.writeString(self.epoch, field: 8)
        sink.writeUInt64(self.lastSeq, field: 9)
        sink.writeInt64(self.tokenExpiresAt, field: 10)
        sink.writeUInt32(self.matchWaitTimeoutMs, field: 11)
        sink.writeUInt32(self.matchConfirmTimeoutMs, field: 12)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.version = try reader.readUInt32(tag)
        case 2: self.server = try reader.readString(tag)
        case 3: self.limits = try reader.readMessage(tag, merging: self.limits)
        case 4: self.pingIntervalMs = try reader.readUInt32(tag)
        case 5: self.resumeWindowMs = try reader.readUInt32(tag)
        case 6: self.userID = UserID(try reader.readUInt64(tag))
        case 7: self.channelID = ChannelID(try reader.readUInt64(tag))
        case 8: self.epoch = try reader.readString(tag)
        case 9: self.lastSeq = try reader.readUInt64(tag)
        case 10: self.tokenExpiresAt = try reader.readInt64(tag)
        case 11: self.matchWaitTimeoutMs = try reader.readUInt32(tag)
        case 12: self.matchConfirmTimeoutMs = try reader.readUInt32(tag)
        default: return false
        }
        return true
    }
}

extension V2.Ping: EmptyProtobufMessage {}
extension V2.Pong: EmptyProtobufMessage {}
extension V2.Ok: EmptyProtobufMessage {}

// MARK: - Public entry points

extension V2.Error {
    /// Decodes a ``V2/Error`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Limits {
    /// Decodes a ``V2/Limits`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Hello {
    /// Decodes a ``V2/Hello`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Ping {
    /// Decodes a ``V2/Ping`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Pong {
    /// Decodes a ``V2/Pong`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Ok {
    /// Decodes a ``V2/Ok`` from its protobuf encoding; unknown fields are skipped.
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
