extension V2.FileRef: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(fileName: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeString(self.fileName, field: 1)
        sink.writeString(self.objectKey, field: 2)
        sink.writeUInt64(self.size, field: 3)
        sink.writeString(self.contentType, field: 4)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.fileName = try reader.readString(tag)
        case 2: self.objectKey = try reader.readString(tag)
        case 3: self.size = try reader.readUInt64(tag)
        case 4: self.contentType = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension V2.ChatMessage.Content {
    /// Writes the `content` oneof; its members sit at different field numbers in each message.
    fileprivate func encode<Sink: ProtobufSink>(into sink: inout Sink, textField: Int, fileField: Int) {
        switch self {
        case .text(let text): sink.writeStringAlways(text, field: textField)
        case .file(let file): sink.writeMessage(file, field: fileField)
        }
    }
}

extension V2.ChatMessage: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(seq: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.messageID.rawValue, field: 1)
        sink.writeUInt64(self.seq, field: 2)
        sink.writeUInt64(self.userID.rawValue, field: 3)
        self.content?.encode(into: &sink, textField: 4, fileField: 5)
        sink.writeInt64(self.time, field: 6)
        sink.writeString(self.clientMessageID, field: 7)
        sink.writeBool(self.seen, field: 8)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.messageID = MessageID(try reader.readUInt64(tag))
        case 2: self.seq = try reader.readUInt64(tag)
        case 3: self.userID = UserID(try reader.readUInt64(tag))
        case 4: self.content = .text(try reader.readString(tag))
        case 5: self.content = .file(try reader.readMessage(tag))
        case 6: self.time = try reader.readInt64(tag)
        case 7: self.clientMessageID = try reader.readString(tag)
        case 8: self.seen = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

extension V2.PresenceEvent: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(time: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeInt32(self.kind.rawValue, field: 1)
        sink.writeUInt64(self.userID.rawValue, field: 2)
        sink.writeInt64(self.time, field: 3)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.kind = Kind(rawValue: try reader.readInt32(tag))
        case 2: self.userID = UserID(try reader.readUInt64(tag))
        case 3: self.time = try reader.readInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.TypingEvent: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(typing: false) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.userID.rawValue, field: 1)
        sink.writeBool(self.typing, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.userID = UserID(try reader.readUInt64(tag))
        case 2: self.typing = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

extension V2.SeenEvent: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(upToSeq: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.userID.rawValue, field: 1)
        sink.writeUInt64(self.upToSeq, field: 2)
        sink.writeInt64(self.time, field: 3)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.userID = UserID(try reader.readUInt64(tag))
        case 2: self.upToSeq = try reader.readUInt64(tag)
        case 3: self.time = try reader.readInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.SendCommand: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(clientMessageID: "") }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeString(self.clientMessageID, field: 1)
        self.content?.encode(into: &sink, textField: 2, fileField: 3)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.clientMessageID = try reader.readString(tag)
        case 2: self.content = .text(try reader.readString(tag))
        case 3: self.content = .file(try reader.readMessage(tag))
        default: return false
        }
        return true
    }
}

extension V2.ResumeCommand: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(afterSeq: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.afterSeq, field: 1)
        sink.writeString(self.epoch, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.afterSeq = try reader.readUInt64(tag)
        case 2: self.epoch = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

extension V2.TypingCommand: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(typing: false) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeBool(self.typing, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.typing = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

extension V2.SeenCommand: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(upToSeq: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeUInt64(self.upToSeq, field: 1)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.upToSeq = try reader.readUInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.LeaveCommand: EmptyProtobufMessage {}
extension V2.RefreshTokenCommand: EmptyProtobufMessage {}

extension V2.Ack: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(seq: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeString(self.clientMessageID, field: 1)
        sink.writeUInt64(self.seq, field: 2)
        sink.writeInt64(self.time, field: 3)
        sink.writeUInt64(self.messageID.rawValue, field: 4)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.clientMessageID = try reader.readString(tag)
        case 2: self.seq = try reader.readUInt64(tag)
        case 3: self.time = try reader.readInt64(tag)
        case 4: self.messageID = MessageID(try reader.readUInt64(tag))
        default: return false
        }
        return true
    }
}

extension V2.Resumed: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(resumed: false) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeBool(self.resumed, field: 1)
        sink.writeString(self.reason, field: 2)
        sink.writeString(self.epoch, field: 3)
        sink.writeUInt64(self.lastSeq, field: 4)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.resumed = try reader.readBool(tag)
        case 2: self.reason = try reader.readString(tag)
        case 3: self.epoch = try reader.readString(tag)
        case 4: self.lastSeq = try reader.readUInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.TokenRefreshed: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(expiresAt: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeString(self.accessToken, field: 1)
        sink.writeInt64(self.expiresAt, field: 2)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.accessToken = try reader.readString(tag)
        case 2: self.expiresAt = try reader.readInt64(tag)
        default: return false
        }
        return true
    }
}

extension V2.HistoryPage: ProtobufMessage {
    /// An empty message: every field at its proto3 default.
    package init() { self.init(lastSeq: 0) }

    package func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeRepeatedMessages(self.messages, field: 1)
        sink.writeBool(self.hasMore, field: 2)
        sink.writeString(self.epoch, field: 3)
        sink.writeUInt64(self.lastSeq, field: 4)
    }

    package mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.messages.append(try reader.readMessage(tag))
        case 2: self.hasMore = try reader.readBool(tag)
        case 3: self.epoch = try reader.readString(tag)
        case 4: self.lastSeq = try reader.readUInt64(tag)
        default: return false
        }
        return true
    }
}

// MARK: - Public entry points

extension V2.FileRef {
    /// Decodes a ``V2/FileRef`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.ChatMessage {
    /// Decodes a ``V2/ChatMessage`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.PresenceEvent {
    /// Decodes a ``V2/PresenceEvent`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.TypingEvent {
    /// Decodes a ``V2/TypingEvent`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.SeenEvent {
    /// Decodes a ``V2/SeenEvent`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.SendCommand {
    /// Decodes a ``V2/SendCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.ResumeCommand {
    /// Decodes a ``V2/ResumeCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.TypingCommand {
    /// Decodes a ``V2/TypingCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.SeenCommand {
    /// Decodes a ``V2/SeenCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.LeaveCommand {
    /// Decodes a ``V2/LeaveCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.RefreshTokenCommand {
    /// Decodes a ``V2/RefreshTokenCommand`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Ack {
    /// Decodes a ``V2/Ack`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.Resumed {
    /// Decodes a ``V2/Resumed`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.TokenRefreshed {
    /// Decodes a ``V2/TokenRefreshed`` from its protobuf encoding; unknown fields are skipped.
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

extension V2.HistoryPage {
    /// Decodes a ``V2/HistoryPage`` from its protobuf encoding; unknown fields are skipped.
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
