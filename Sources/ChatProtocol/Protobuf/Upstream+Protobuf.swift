extension Upstream.CreateChannelRequest: EmptyProtobufMessage {}
extension Upstream.AddUserResponse: EmptyProtobufMessage {}
extension Upstream.RegisterChannelSessionResponse: EmptyProtobufMessage {}
extension Upstream.RemoveChannelSessionResponse: EmptyProtobufMessage {}

extension Upstream.CreateChannelResponse: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(accessToken: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.channelID.rawValue, field: 1)
        sink.writeString(self.accessToken, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.channelID = ChannelID(try reader.readUInt64(tag))
        case 2: self.accessToken = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension Upstream.AddUserRequest: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(channelID: ChannelID(0)) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.channelID.rawValue, field: 1)
        sink.writeUInt64(self.userID.rawValue, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.channelID = ChannelID(try reader.readUInt64(tag))
        case 2: self.userID = UserID(try reader.readUInt64(tag))
        default: return false
        }
        return true
    }
}

extension Upstream.RegisterChannelSessionRequest: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(subscriber: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.channelID.rawValue, field: 1)
        sink.writeUInt64(self.userID.rawValue, field: 2)
        sink.writeString(self.subscriber, field: 3)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.channelID = ChannelID(try reader.readUInt64(tag))
        case 2: self.userID = UserID(try reader.readUInt64(tag))
        case 3: self.subscriber = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension Upstream.RemoveChannelSessionRequest: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(channelID: ChannelID(0)) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.channelID.rawValue, field: 1)
        sink.writeUInt64(self.userID.rawValue, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.channelID = ChannelID(try reader.readUInt64(tag))
        case 2: self.userID = UserID(try reader.readUInt64(tag))
        default: return false
        }
        return true
    }
}

extension Upstream.User: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(name: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.id.rawValue, field: 1)
        sink.writeString(self.name, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.id = UserID(try reader.readUInt64(tag))
        case 2: self.name = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension Upstream.GetUserRequest: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(userID: UserID(0)) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.userID.rawValue, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.userID = UserID(try reader.readUInt64(tag))
        default: return false
        }
        return true
    }
}

extension Upstream.GetUserResponse: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(exist: false) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeBool(self.exist, field: 1)
        sink.writeMessage(self.user, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.exist = try reader.readBool(tag)
        case 2: self.user = try reader.readMessage(tag, merging: self.user)
        default: return false
        }
        return true
    }
}

extension Upstream.GetUserIDBySessionRequest: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(sid: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeString(self.sid, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.sid = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension Upstream.GetUserIDBySessionResponse: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(userID: UserID(0)) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.userID.rawValue, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.userID = UserID(try reader.readUInt64(tag))
        default: return false
        }
        return true
    }
}

// MARK: - Public entry points

extension Upstream.CreateChannelRequest {
    /// Decodes a ``Upstream/CreateChannelRequest`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.AddUserResponse {
    /// Decodes a ``Upstream/AddUserResponse`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.RegisterChannelSessionResponse {
    /// Decodes a ``Upstream/RegisterChannelSessionResponse`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.RemoveChannelSessionResponse {
    /// Decodes a ``Upstream/RemoveChannelSessionResponse`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.CreateChannelResponse {
    /// Decodes a ``Upstream/CreateChannelResponse`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.AddUserRequest {
    /// Decodes a ``Upstream/AddUserRequest`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.RegisterChannelSessionRequest {
    /// Decodes a ``Upstream/RegisterChannelSessionRequest`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.RemoveChannelSessionRequest {
    /// Decodes a ``Upstream/RemoveChannelSessionRequest`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.User {
    /// Decodes a ``Upstream/User`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.GetUserRequest {
    /// Decodes a ``Upstream/GetUserRequest`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.GetUserResponse {
    /// Decodes a ``Upstream/GetUserResponse`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.GetUserIDBySessionRequest {
    /// Decodes a ``Upstream/GetUserIDBySessionRequest`` from its protobuf encoding; unknown fields are skipped.
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

extension Upstream.GetUserIDBySessionResponse {
    /// Decodes a ``Upstream/GetUserIDBySessionResponse`` from its protobuf encoding; unknown fields are skipped.
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
