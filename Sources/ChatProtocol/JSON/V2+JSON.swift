// JSON codecs of the v2 messages (the `rc.v2.json` subprotocol and the v2 REST bodies), following the rules in
// ProtoJSON.swift. Every message writes its fields in field-number order.

extension V2.Error.Code {
    /// The proto value names of `randomchat.v2.Error.Code`, indexed by number; `""` for the numbers of client-side
    /// codes (24–27), which have no proto value.
    static let protoNames: [String] = [
        "CODE_UNSPECIFIED", "INVALID_PARAMETER", "UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED",
        "SESSION_NOT_FOUND", "USER_NOT_FOUND", "CHANNEL_NOT_FOUND", "CHANNEL_CLOSED", "NOT_FOUND", "RATE_LIMITED",
        "MESSAGE_TOO_LARGE", "MESSAGE_CAP_REACHED", "UPLOAD_TOO_LARGE", "FILE_NOT_READABLE", "NO_FILE_RECEIVED",
        "UPLOAD_FAILED", "PROTOCOL_VIOLATION", "UNSUPPORTED_VERSION", "MATCH_TIMEOUT", "SLOW_CONSUMER",
        "PING_TIMEOUT", "SERVER_SHUTTING_DOWN", "SERVER_ERROR", "", "", "", "", "UPLOAD_QUOTA_EXCEEDED",
        "BLOCK_LIMIT_REACHED",
    ]
}

extension V2.PresenceEvent.Kind {
    /// The proto value names of `randomchat.v2.PresenceEvent.Kind`, indexed by number.
    static let protoNames: [String] = ["KIND_UNSPECIFIED", "WAITING", "JOINED", "OFFLINE", "LEFT"]
}

// MARK: Common

extension V2.Error: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "code":
                if let number = try scanner.readProtoEnum(names: Code.protoNames) { self.code = Code(rawValue: number) }
            case "msg": self.message = try scanner.readProtoString()
            case "temporary": self.temporary = try scanner.readProtoBool()
            case "retry_after_ms": self.retryAfterMs = try scanner.readProtoUInt32()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoEnum("code", self.code.rawValue, names: Code.protoNames)
        writer.writeProtoString("msg", self.message)
        writer.writeProtoBool("temporary", self.temporary)
        writer.writeProtoUInt32("retry_after_ms", self.retryAfterMs)
        writer.endObject()
    }
}

extension V2.Limits: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "max_frame_bytes": self.maxFrameBytes = try scanner.readProtoUInt32()
            case "max_text_bytes": self.maxTextBytes = try scanner.readProtoUInt32()
            case "max_upload_bytes": self.maxUploadBytes = try scanner.readProtoUInt64()
            case "history_page_default": self.historyPageDefault = try scanner.readProtoUInt32()
            case "history_page_max": self.historyPageMax = try scanner.readProtoUInt32()
            case "max_messages_per_channel": self.maxMessagesPerChannel = try scanner.readProtoUInt32()
            case "max_queued_frames": self.maxQueuedFrames = try scanner.readProtoUInt32()
            case "max_inflight_sends": self.maxInflightSends = try scanner.readProtoUInt32()
            case "typing_min_interval_ms": self.typingMinIntervalMs = try scanner.readProtoUInt32()
            case "typing_timeout_ms": self.typingTimeoutMs = try scanner.readProtoUInt32()
            case "max_sends_per_second": self.maxSendsPerSecond = try scanner.readProtoUInt32()
            case "max_channel_upload_bytes": self.maxChannelUploadBytes = try scanner.readProtoUInt64()
            case "max_files_per_upload": self.maxFilesPerUpload = try scanner.readProtoUInt32()
            case "max_blocks_per_user": self.maxBlocksPerUser = try scanner.readProtoUInt32()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt32("max_frame_bytes", self.maxFrameBytes)
        writer.writeProtoUInt32("max_text_bytes", self.maxTextBytes)
        writer.writeProtoUInt64("max_upload_bytes", self.maxUploadBytes)
        writer.writeProtoUInt32("history_page_default", self.historyPageDefault)
        writer.writeProtoUInt32("history_page_max", self.historyPageMax)
        writer.writeProtoUInt32("max_messages_per_channel", self.maxMessagesPerChannel)
        writer.writeProtoUInt32("max_queued_frames", self.maxQueuedFrames)
        writer.writeProtoUInt32("max_inflight_sends", self.maxInflightSends)
        writer.writeProtoUInt32("typing_min_interval_ms", self.typingMinIntervalMs)
        writer.writeProtoUInt32("typing_timeout_ms", self.typingTimeoutMs)
        writer.writeProtoUInt32("max_sends_per_second", self.maxSendsPerSecond)
        writer.writeProtoUInt64("max_channel_upload_bytes", self.maxChannelUploadBytes)
        writer.writeProtoUInt32("max_files_per_upload", self.maxFilesPerUpload)
        writer.writeProtoUInt32("max_blocks_per_user", self.maxBlocksPerUser)
        writer.endObject()
    }
}

extension V2.Hello: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "version": self.version = try scanner.readProtoUInt32()
            case "server": self.server = try scanner.readProtoString()
            case "limits": self.limits = try scanner.readProtoMessage()
            case "ping_interval_ms": self.pingIntervalMs = try scanner.readProtoUInt32()
            case "resume_window_ms": self.resumeWindowMs = try scanner.readProtoUInt32()
            case "user_id": self.userID = UserID(rawValue: try scanner.readProtoUInt64())
            case "channel_id": self.channelID = ChannelID(rawValue: try scanner.readProtoUInt64())
            case "epoch": self.epoch = try scanner.readProtoString()
            case "last_seq": self.lastSeq = try scanner.readProtoUInt64()
            case "token_expires_at": self.tokenExpiresAt = try scanner.readProtoInt64()
            case "match_wait_timeout_ms": self.matchWaitTimeoutMs = try scanner.readProtoUInt32()
            case "match_confirm_timeout_ms": self.matchConfirmTimeoutMs = try scanner.readProtoUInt32()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt32("version", self.version)
        writer.writeProtoString("server", self.server)
        writer.writeProtoMessage("limits", self.limits)
        writer.writeProtoUInt32("ping_interval_ms", self.pingIntervalMs)
        writer.writeProtoUInt32("resume_window_ms", self.resumeWindowMs)
        writer.writeProtoUInt64("user_id", self.userID.rawValue)
        writer.writeProtoUInt64("channel_id", self.channelID.rawValue)
        writer.writeProtoString("epoch", self.epoch)
        writer.writeProtoUInt64("last_seq", self.lastSeq)
        writer.writeProtoInt64("token_expires_at", self.tokenExpiresAt)
        writer.writeProtoUInt32("match_wait_timeout_ms", self.matchWaitTimeoutMs)
        writer.writeProtoUInt32("match_confirm_timeout_ms", self.matchConfirmTimeoutMs)
        writer.endObject()
    }
}

extension V2.Ping: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

extension V2.Pong: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

extension V2.Ok: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

// MARK: Chat

extension V2.FileRef: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "file_name": self.fileName = try scanner.readProtoString()
            case "object_key": self.objectKey = try scanner.readProtoString()
            case "size": self.size = try scanner.readProtoUInt64()
            case "content_type": self.contentType = try scanner.readProtoString()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoString("file_name", self.fileName)
        writer.writeProtoString("object_key", self.objectKey)
        writer.writeProtoUInt64("size", self.size)
        writer.writeProtoString("content_type", self.contentType)
        writer.endObject()
    }
}

extension V2.ChatMessage.Content {
    /// Writes the oneof member (`"text":…` or `"file":{…}`); a set member is written even when empty.
    func encodeJSON(to writer: inout JSONWriter) {
        switch self {
        case .text(let text):
            writer.writeKey("text")
            writer.writeString(text)
        case .file(let file):
            writer.writeKey("file")
            file.encodeJSON(to: &writer)
        }
    }
}

extension V2.ChatMessage: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "message_id": self.messageID = MessageID(rawValue: try scanner.readProtoUInt64())
            case "seq": self.seq = try scanner.readProtoUInt64()
            case "user_id": self.userID = UserID(rawValue: try scanner.readProtoUInt64())
            case "text": try scanner.readOneof(into: &self.content) { s throws(WireError) in .text(try s.readString()) }
            case "file":
                try scanner.readOneof(into: &self.content) { s throws(WireError) in
                    .file(try V2.FileRef(decodingJSON: &s))
                }
            case "time": self.time = try scanner.readProtoInt64()
            case "client_msg_id": self.clientMessageID = try scanner.readProtoString()
            case "seen": self.seen = try scanner.readProtoBool()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("message_id", self.messageID.rawValue)
        writer.writeProtoUInt64("seq", self.seq)
        writer.writeProtoUInt64("user_id", self.userID.rawValue)
        self.content?.encodeJSON(to: &writer)
        writer.writeProtoInt64("time", self.time)
        writer.writeProtoString("client_msg_id", self.clientMessageID)
        writer.writeProtoBool("seen", self.seen)
        writer.endObject()
    }
}

extension V2.PresenceEvent: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "kind":
                if let number = try scanner.readProtoEnum(names: Kind.protoNames) { self.kind = Kind(rawValue: number) }
            case "user_id": self.userID = UserID(rawValue: try scanner.readProtoUInt64())
            case "time": self.time = try scanner.readProtoInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoEnum("kind", self.kind.rawValue, names: Kind.protoNames)
        writer.writeProtoUInt64("user_id", self.userID.rawValue)
        writer.writeProtoInt64("time", self.time)
        writer.endObject()
    }
}

extension V2.TypingEvent: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "user_id": self.userID = UserID(rawValue: try scanner.readProtoUInt64())
            case "typing": self.typing = try scanner.readProtoBool()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("user_id", self.userID.rawValue)
        writer.writeProtoBool("typing", self.typing)
        writer.endObject()
    }
}

extension V2.SeenEvent: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "user_id": self.userID = UserID(rawValue: try scanner.readProtoUInt64())
            case "up_to_seq": self.upToSeq = try scanner.readProtoUInt64()
            case "time": self.time = try scanner.readProtoInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("user_id", self.userID.rawValue)
        writer.writeProtoUInt64("up_to_seq", self.upToSeq)
        writer.writeProtoInt64("time", self.time)
        writer.endObject()
    }
}

extension V2.SendCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "client_msg_id": self.clientMessageID = try scanner.readProtoString()
            case "text": try scanner.readOneof(into: &self.content) { s throws(WireError) in .text(try s.readString()) }
            case "file":
                try scanner.readOneof(into: &self.content) { s throws(WireError) in
                    .file(try V2.FileRef(decodingJSON: &s))
                }
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoString("client_msg_id", self.clientMessageID)
        self.content?.encodeJSON(to: &writer)
        writer.endObject()
    }
}

extension V2.ResumeCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "after_seq": self.afterSeq = try scanner.readProtoUInt64()
            case "epoch": self.epoch = try scanner.readProtoString()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("after_seq", self.afterSeq)
        writer.writeProtoString("epoch", self.epoch)
        writer.endObject()
    }
}

extension V2.TypingCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "typing": self.typing = try scanner.readProtoBool()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoBool("typing", self.typing)
        writer.endObject()
    }
}

extension V2.SeenCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "up_to_seq": self.upToSeq = try scanner.readProtoUInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("up_to_seq", self.upToSeq)
        writer.endObject()
    }
}

extension V2.LeaveCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

extension V2.RefreshTokenCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

extension V2.Ack: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "client_msg_id": self.clientMessageID = try scanner.readProtoString()
            case "seq": self.seq = try scanner.readProtoUInt64()
            case "time": self.time = try scanner.readProtoInt64()
            case "message_id": self.messageID = MessageID(rawValue: try scanner.readProtoUInt64())
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoString("client_msg_id", self.clientMessageID)
        writer.writeProtoUInt64("seq", self.seq)
        writer.writeProtoInt64("time", self.time)
        writer.writeProtoUInt64("message_id", self.messageID.rawValue)
        writer.endObject()
    }
}

extension V2.Resumed: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "resumed": self.resumed = try scanner.readProtoBool()
            case "reason": self.reason = try scanner.readProtoString()
            case "epoch": self.epoch = try scanner.readProtoString()
            case "last_seq": self.lastSeq = try scanner.readProtoUInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoBool("resumed", self.resumed)
        writer.writeProtoString("reason", self.reason)
        writer.writeProtoString("epoch", self.epoch)
        writer.writeProtoUInt64("last_seq", self.lastSeq)
        writer.endObject()
    }
}

extension V2.TokenRefreshed: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "access_token": self.accessToken = try scanner.readProtoString()
            case "expires_at": self.expiresAt = try scanner.readProtoInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoString("access_token", self.accessToken)
        writer.writeProtoInt64("expires_at", self.expiresAt)
        writer.endObject()
    }
}

extension V2.ChatClientFrame: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "id": self.id = try scanner.readProtoUInt32()
            case "send":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .send(try .init(decodingJSON: &s)) }
            case "resume":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .resume(try .init(decodingJSON: &s))
                }
            case "typing":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .typing(try .init(decodingJSON: &s))
                }
            case "seen":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .seen(try .init(decodingJSON: &s)) }
            case "leave":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .leave(try .init(decodingJSON: &s))
                }
            case "refresh_token":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in
                    .refreshToken(try .init(decodingJSON: &s))
                }
            case "pong":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .pong(try .init(decodingJSON: &s)) }
            case "ping":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .ping(try .init(decodingJSON: &s)) }
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt32("id", self.id)
        switch self.command {
        case .send(let value): writer.writeProtoMessage("send", value)
        case .resume(let value): writer.writeProtoMessage("resume", value)
        case .typing(let value): writer.writeProtoMessage("typing", value)
        case .seen(let value): writer.writeProtoMessage("seen", value)
        case .leave(let value): writer.writeProtoMessage("leave", value)
        case .refreshToken(let value): writer.writeProtoMessage("refresh_token", value)
        case .pong(let value): writer.writeProtoMessage("pong", value)
        case .ping(let value): writer.writeProtoMessage("ping", value)
        case nil: break
        }
        writer.endObject()
    }
}

extension V2.ChatServerFrame: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "id": self.id = try scanner.readProtoUInt32()
            case "error":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .error(try .init(decodingJSON: &s)) }
            case "ok":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .ok(try .init(decodingJSON: &s)) }
            case "ack":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .ack(try .init(decodingJSON: &s)) }
            case "resumed":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .resumed(try .init(decodingJSON: &s)) }
            case "token_refreshed":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in
                    .tokenRefreshed(try .init(decodingJSON: &s))
                }
            case "hello":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .hello(try .init(decodingJSON: &s)) }
            case "message":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .message(try .init(decodingJSON: &s)) }
            case "presence":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .presence(try .init(decodingJSON: &s))
                }
            case "typing":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .typing(try .init(decodingJSON: &s)) }
            case "seen":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .seen(try .init(decodingJSON: &s)) }
            case "ping":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .ping(try .init(decodingJSON: &s)) }
            case "pong":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .pong(try .init(decodingJSON: &s)) }
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt32("id", self.id)
        switch self.body {
        case .error(let value): writer.writeProtoMessage("error", value)
        case .ok(let value): writer.writeProtoMessage("ok", value)
        case .ack(let value): writer.writeProtoMessage("ack", value)
        case .resumed(let value): writer.writeProtoMessage("resumed", value)
        case .tokenRefreshed(let value): writer.writeProtoMessage("token_refreshed", value)
        case .hello(let value): writer.writeProtoMessage("hello", value)
        case .message(let value): writer.writeProtoMessage("message", value)
        case .presence(let value): writer.writeProtoMessage("presence", value)
        case .typing(let value): writer.writeProtoMessage("typing", value)
        case .seen(let value): writer.writeProtoMessage("seen", value)
        case .ping(let value): writer.writeProtoMessage("ping", value)
        case .pong(let value): writer.writeProtoMessage("pong", value)
        case nil: break
        }
        writer.endObject()
    }
}

extension V2.HistoryPage: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "messages":
                if try scanner.readNull() { continue }
                self.messages = try scanner.readArray { s throws(WireError) in try V2.ChatMessage(decodingJSON: &s) }
            case "has_more": self.hasMore = try scanner.readProtoBool()
            case "epoch": self.epoch = try scanner.readProtoString()
            case "last_seq": self.lastSeq = try scanner.readProtoUInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        if !self.messages.isEmpty {
            writer.writeKey("messages")
            writer.beginArray()
            for message in self.messages {
                writer.beginElement()
                message.encodeJSON(to: &writer)
            }
            writer.endArray()
        }
        writer.writeProtoBool("has_more", self.hasMore)
        writer.writeProtoString("epoch", self.epoch)
        writer.writeProtoUInt64("last_seq", self.lastSeq)
        writer.endObject()
    }
}

// MARK: Match

extension V2.EnqueueCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

extension V2.CancelCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.readEmptyMessage()
        self.init()
    }

    package func encodeJSON(to writer: inout JSONWriter) { writer.writeEmptyObject() }
}

extension V2.ConfirmCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "match_id": self.matchID = try scanner.readProtoUInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("match_id", self.matchID)
        writer.endObject()
    }
}

extension V2.NextCommand: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "access_token": self.accessToken = try scanner.readProtoString()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoString("access_token", self.accessToken)
        writer.endObject()
    }
}

extension V2.Queued: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "ticket_id": self.ticketID = try scanner.readProtoUInt64()
            case "wait_timeout_ms": self.waitTimeoutMs = try scanner.readProtoUInt32()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("ticket_id", self.ticketID)
        writer.writeProtoUInt32("wait_timeout_ms", self.waitTimeoutMs)
        writer.endObject()
    }
}

extension V2.MatchProposed: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "match_id": self.matchID = try scanner.readProtoUInt64()
            case "peer_id": self.peerID = UserID(rawValue: try scanner.readProtoUInt64())
            case "confirm_timeout_ms": self.confirmTimeoutMs = try scanner.readProtoUInt32()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("match_id", self.matchID)
        writer.writeProtoUInt64("peer_id", self.peerID.rawValue)
        writer.writeProtoUInt32("confirm_timeout_ms", self.confirmTimeoutMs)
        writer.endObject()
    }
}

extension V2.Matched: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "match_id": self.matchID = try scanner.readProtoUInt64()
            case "channel_id": self.channelID = ChannelID(rawValue: try scanner.readProtoUInt64())
            case "peer_id": self.peerID = UserID(rawValue: try scanner.readProtoUInt64())
            case "access_token": self.accessToken = try scanner.readProtoString()
            case "token_expires_at": self.tokenExpiresAt = try scanner.readProtoInt64()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("match_id", self.matchID)
        writer.writeProtoUInt64("channel_id", self.channelID.rawValue)
        writer.writeProtoUInt64("peer_id", self.peerID.rawValue)
        writer.writeProtoString("access_token", self.accessToken)
        writer.writeProtoInt64("token_expires_at", self.tokenExpiresAt)
        writer.endObject()
    }
}

extension V2.MatchVoided: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "match_id": self.matchID = try scanner.readProtoUInt64()
            case "reason": self.reason = try scanner.readProtoString()
            case "requeued": self.requeued = try scanner.readProtoBool()
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt64("match_id", self.matchID)
        writer.writeProtoString("reason", self.reason)
        writer.writeProtoBool("requeued", self.requeued)
        writer.endObject()
    }
}

extension V2.MatchClientFrame: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "id": self.id = try scanner.readProtoUInt32()
            case "enqueue":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in
                    .enqueue(try .init(decodingJSON: &s))
                }
            case "cancel":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .cancel(try .init(decodingJSON: &s))
                }
            case "confirm":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in
                    .confirm(try .init(decodingJSON: &s))
                }
            case "next":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .next(try .init(decodingJSON: &s)) }
            case "pong":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .pong(try .init(decodingJSON: &s)) }
            case "ping":
                try scanner.readOneof(into: &self.command) { s throws(WireError) in .ping(try .init(decodingJSON: &s)) }
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt32("id", self.id)
        switch self.command {
        case .enqueue(let value): writer.writeProtoMessage("enqueue", value)
        case .cancel(let value): writer.writeProtoMessage("cancel", value)
        case .confirm(let value): writer.writeProtoMessage("confirm", value)
        case .next(let value): writer.writeProtoMessage("next", value)
        case .pong(let value): writer.writeProtoMessage("pong", value)
        case .ping(let value): writer.writeProtoMessage("ping", value)
        case nil: break
        }
        writer.endObject()
    }
}

extension V2.MatchServerFrame: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        self.init()
        try scanner.beginObject()
        while let key = try scanner.nextProtoKey() {
            switch key {
            case "id": self.id = try scanner.readProtoUInt32()
            case "error":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .error(try .init(decodingJSON: &s)) }
            case "ok":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .ok(try .init(decodingJSON: &s)) }
            case "queued":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .queued(try .init(decodingJSON: &s)) }
            case "hello":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .hello(try .init(decodingJSON: &s)) }
            case "proposed":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .proposed(try .init(decodingJSON: &s))
                }
            case "matched":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .matched(try .init(decodingJSON: &s)) }
            case "voided":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .voided(try .init(decodingJSON: &s)) }
            case "ping":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .ping(try .init(decodingJSON: &s)) }
            case "pong":
                try scanner.readOneof(into: &self.body) { s throws(WireError) in .pong(try .init(decodingJSON: &s)) }
            default: try scanner.skipValue()
            }
        }
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeProtoUInt32("id", self.id)
        switch self.body {
        case .error(let value): writer.writeProtoMessage("error", value)
        case .ok(let value): writer.writeProtoMessage("ok", value)
        case .queued(let value): writer.writeProtoMessage("queued", value)
        case .hello(let value): writer.writeProtoMessage("hello", value)
        case .proposed(let value): writer.writeProtoMessage("proposed", value)
        case .matched(let value): writer.writeProtoMessage("matched", value)
        case .voided(let value): writer.writeProtoMessage("voided", value)
        case .ping(let value): writer.writeProtoMessage("ping", value)
        case .pong(let value): writer.writeProtoMessage("pong", value)
        case nil: break
        }
        writer.endObject()
    }
}
