// JSON codecs of the v1 (upstream) bodies and frames.
//
// Encoding renders each value exactly as the Go server does: compact, members in Go struct order, ids as quoted
// decimal strings, Go's string escaping (see JSONWriter).
//
// Decoding follows Go's lenient `encoding/json` rules where upstream relies on them: keys match
// case-insensitively, unknown keys are skipped (after validation), a repeated key overwrites the earlier one, and
// `null` for an optional member means "absent". Stricter than Go, by design: members the producer always renders
// are required (absent → `missingField` at the closing brace; `null` → `invalidValue`), and quoted ids reject
// leading zeros.

extension V1.Message: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.beginObject()
        let start = scanner.position
        if let message = try Self(inGoOrder: &scanner) {
            self = message
            return
        }
        scanner.rewind(to: start)
        var messageID: MessageID?
        var event: V1.Event?
        var userID: UserID?
        var payload: String?
        var seen: Bool?
        var time: Int64?
        while let key = try scanner.nextKey() {
            switch key {
            case "message_id": messageID = MessageID(rawValue: try scanner.readQuotedUInt64())
            case "event": event = V1.Event(rawValue: try scanner.readInt64())
            case "user_id": userID = UserID(rawValue: try scanner.readQuotedUInt64())
            case "payload": payload = try scanner.readString()
            case "seen": seen = try scanner.readBool()
            case "time": time = try scanner.readInt64()
            default: try scanner.skipValue()
            }
        }
        guard let messageID, let event, let userID, let payload, let seen, let time else {
            throw scanner.missingField()
        }
        self.init(messageID: messageID, event: event, userID: userID, payload: payload, seen: seen, time: time)
    }

    /// The fast path of decoding, for the members exactly as upstream's Go server renders them: compact, in struct
    /// order, each once. Each key is compared as a literal (``JSONScanner/consumeKey(_:)``) instead of being
    /// scanned and matched; each value goes through the same reader as in the general loop.
    ///
    /// Safe because it takes only input the general loop reads the same way: up to the first key that differs it
    /// makes the same calls on the same bytes, so it returns the same message or throws the same error; at that
    /// key it returns `nil`, and the caller rewinds and reads the object again in the general loop.
    /// - Returns: The message, or `nil` if the members are not in that form.
    private init?(inGoOrder scanner: inout JSONScanner) throws(WireError) {
        guard scanner.consumeKey("message_id") else { return nil }
        let messageID = MessageID(rawValue: try scanner.readQuotedUInt64())
        guard scanner.consumeKey("event") else { return nil }
        let event = V1.Event(rawValue: try scanner.readInt64())
        guard scanner.consumeKey("user_id") else { return nil }
        let userID = UserID(rawValue: try scanner.readQuotedUInt64())
        guard scanner.consumeKey("payload") else { return nil }
        let payload = try scanner.readString()
        guard scanner.consumeKey("seen") else { return nil }
        let seen = try scanner.readBool()
        guard scanner.consumeKey("time") else { return nil }
        let time = try scanner.readInt64()
        guard scanner.consumeObjectEnd() else { return nil }
        self.init(messageID: messageID, event: event, userID: userID, payload: payload, seen: seen, time: time)
    }

    /// Every member at its longest (153 bytes with an empty payload) plus the payload unescaped: one allocation for
    /// a chat frame whose text needs no escaping (upstream's frame is 156 bytes for a 31-byte text).
    package var jsonCapacityHint: Int { 160 + self.payload.utf8.count }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("message_id")
        writer.writeQuotedUInt64(self.messageID.rawValue)
        writer.writeKey("event")
        writer.writeInt64(self.event.rawValue)
        writer.writeKey("user_id")
        writer.writeQuotedUInt64(self.userID.rawValue)
        writer.writeKey("payload")
        writer.writeString(self.payload)
        writer.writeKey("seen")
        writer.writeBool(self.seen)
        writer.writeKey("time")
        writer.writeInt64(self.time)
        writer.endObject()
    }
}

extension V1.InboundFrame: JSONCodable {
    /// Decodes as upstream's Go server does, except that `event`, `user_id` and `payload` are required.
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        try scanner.beginObject()
        let start = scanner.position
        if let frame = try Self(inBrowserOrder: &scanner) {
            self = frame
            return
        }
        scanner.rewind(to: start)
        var event: V1.Event?
        var userID: UserID?
        var payload: String?
        var messageID: MessageID?
        var seen: Bool?
        var time: Int64?
        while let key = try scanner.nextKey() {
            switch key {
            case "event": event = V1.Event(rawValue: try scanner.readInt64())
            case "user_id": userID = UserID(rawValue: try scanner.readQuotedUInt64())
            case "payload": payload = try scanner.readString()
            case "message_id":
                messageID = try scanner.readOptional { s throws(WireError) in
                    MessageID(rawValue: try s.readQuotedUInt64())
                }
            case "seen": seen = try scanner.readOptional { s throws(WireError) in try s.readBool() }
            case "time": time = try scanner.readOptional { s throws(WireError) in try s.readInt64() }
            default: try scanner.skipValue()
            }
        }
        guard let event, let userID, let payload else { throw scanner.missingField() }
        self.init(event: event, userID: userID, payload: payload, messageID: messageID, seen: seen, time: time)
    }

    /// The fast path of decoding, for the browser's frame exactly as it sends it (and as ``encodeJSON(to:)`` writes
    /// a frame without optional members): `{"event":…,"user_id":"…","payload":"…"}`, compact. As for
    /// ``V1/Message``, it makes the same reads as the general loop up to the first key that differs, and then
    /// returns `nil` for the caller to rewind; a frame with optional members takes the general loop.
    /// - Returns: The frame, or `nil` if the members are not in that form.
    private init?(inBrowserOrder scanner: inout JSONScanner) throws(WireError) {
        guard scanner.consumeKey("event") else { return nil }
        let event = V1.Event(rawValue: try scanner.readInt64())
        guard scanner.consumeKey("user_id") else { return nil }
        let userID = UserID(rawValue: try scanner.readQuotedUInt64())
        guard scanner.consumeKey("payload") else { return nil }
        let payload = try scanner.readString()
        guard scanner.consumeObjectEnd() else { return nil }
        self.init(event: event, userID: userID, payload: payload)
    }

    /// Writes `{"event":…,"user_id":"…","payload":"…"}` (the browser's frame), with the optional members in
    /// ``V1/Message`` order when they are set.
    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        if let messageID = self.messageID {
            writer.writeKey("message_id")
            writer.writeQuotedUInt64(messageID.rawValue)
        }
        writer.writeKey("event")
        writer.writeInt64(self.event.rawValue)
        writer.writeKey("user_id")
        writer.writeQuotedUInt64(self.userID.rawValue)
        writer.writeKey("payload")
        writer.writeString(self.payload)
        if let seen = self.seen {
            writer.writeKey("seen")
            writer.writeBool(seen)
        }
        if let time = self.time {
            writer.writeKey("time")
            writer.writeInt64(time)
        }
        writer.endObject()
    }
}

extension V1.MatchResult: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var accessToken: String?
        var peerID: UserID?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "access_token": accessToken = try scanner.readString()
            case "peer_id":
                // An addition to upstream's frame: a value that is not a quoted id counts as absent (the client then
                // asks for the members) rather than costing the token.
                let start = scanner.position
                do {
                    peerID = try scanner.readOptional { s throws(WireError) in
                        UserID(rawValue: try s.readQuotedUInt64())
                    }
                } catch {
                    scanner.rewind(to: start)
                    try scanner.skipValue()
                }
            default: try scanner.skipValue()
            }
        }
        guard let accessToken else { throw scanner.missingField() }
        self.init(accessToken: accessToken, peerID: peerID)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("access_token")
        writer.writeString(self.accessToken)
        if let peerID = self.peerID {
            writer.writeKey("peer_id")
            writer.writeQuotedUInt64(peerID.rawValue)
        }
        writer.endObject()
    }
}

extension V1.FilePayload: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var fileName: String?
        var objectKey: String?
        var fileURL: String?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "file_name": fileName = try scanner.readString()
            case "object_key": objectKey = try scanner.readOptional { s throws(WireError) in try s.readString() }
            case "file_url": fileURL = try scanner.readOptional { s throws(WireError) in try s.readString() }
            default: try scanner.skipValue()
            }
        }
        guard let fileName else { throw scanner.missingField() }
        self.init(fileName: fileName, objectKey: objectKey, fileURL: fileURL)
    }

    /// Writes `file_name`, then `object_key` and `file_url` when set (the browser's `JSON.stringify` order).
    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("file_name")
        writer.writeString(self.fileName)
        if let objectKey = self.objectKey {
            writer.writeKey("object_key")
            writer.writeString(objectKey)
        }
        if let fileURL = self.fileURL {
            writer.writeKey("file_url")
            writer.writeString(fileURL)
        }
        writer.endObject()
    }
}

extension V1.FilePayload {
    /// Decodes a file payload from the `payload` string of a file event (event 3).
    /// - Parameter payloadString: The frame's `payload`, itself a JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset within the payload's UTF-8.
    public init(payloadString: String) throws {
        self = try Self.decodeDocument(Array(payloadString.utf8), options: JSONDecodingOptions())
    }

    /// Encodes the file payload as the JSON text that travels in a file event's `payload`.
    /// - Returns: The compact JSON text.
    public func payloadString() -> String {
        String(decoding: self.encodeDocument(), as: UTF8.self)
    }
}

extension V1.HistoryPage: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var nextPageState: String?
        var messages: [V1.Message]?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "next_ps": nextPageState = try scanner.readString()
            case "messages":
                messages = try scanner.readArray { s throws(WireError) in try V1.Message(decodingJSON: &s) }
            default: try scanner.skipValue()
            }
        }
        guard let nextPageState, let messages else { throw scanner.missingField() }
        self.init(nextPageState: nextPageState, messages: messages)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("next_ps")
        writer.writeString(self.nextPageState)
        writer.writeKey("messages")
        writer.beginArray()
        for message in self.messages {
            writer.beginElement()
            message.encodeJSON(to: &writer)
        }
        writer.endArray()
        writer.endObject()
    }
}

extension V1.CreateUserRequest: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var name: String?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "name": name = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard let name else { throw scanner.missingField() }
        self.init(name: name)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("name")
        writer.writeString(self.name)
        writer.endObject()
    }
}

extension V1.User: JSONCodable {
    /// `picture` may be absent (it decodes as `""`); `id` and `name` are required.
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var id: UserID?
        var name: String?
        var picture = ""
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "id": id = UserID(rawValue: try scanner.readQuotedUInt64())
            case "name": name = try scanner.readString()
            case "picture": picture = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard let id, let name else { throw scanner.missingField() }
        self.init(id: id, name: name, picture: picture)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("id")
        writer.writeQuotedUInt64(self.id.rawValue)
        writer.writeKey("name")
        writer.writeString(self.name)
        writer.writeKey("picture")
        writer.writeString(self.picture)
        writer.endObject()
    }
}

extension V1.UserIDList: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var userIDs: [UserID]?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "user_ids":
                userIDs = try scanner.readArray { s throws(WireError) in UserID(rawValue: try s.readQuotedUInt64()) }
            default: try scanner.skipValue()
            }
        }
        guard let userIDs else { throw scanner.missingField() }
        self.init(userIDs: userIDs)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("user_ids")
        writer.beginArray()
        for id in self.userIDs {
            writer.beginElement()
            writer.writeQuotedUInt64(id.rawValue)
        }
        writer.endArray()
        writer.endObject()
    }
}

extension V1.PresignedUpload: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var objectKey: String?
        var url: String?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "object_key": objectKey = try scanner.readString()
            case "url": url = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard let objectKey, let url else { throw scanner.missingField() }
        self.init(objectKey: objectKey, url: url)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("object_key")
        writer.writeString(self.objectKey)
        writer.writeKey("url")
        writer.writeString(self.url)
        writer.endObject()
    }
}

extension V1.PresignedDownload: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var url: String?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "url": url = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard let url else { throw scanner.missingField() }
        self.init(url: url)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("url")
        writer.writeString(self.url)
        writer.endObject()
    }
}

extension V1.UploadedFiles.File: JSONCodable {
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var name: String?
        var url: String?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "name": name = try scanner.readString()
            case "url": url = try scanner.readString()
            default: try scanner.skipValue()
            }
        }
        guard let name, let url else { throw scanner.missingField() }
        self.init(name: name, url: url)
    }

    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("name")
        writer.writeString(self.name)
        writer.writeKey("url")
        writer.writeString(self.url)
        writer.endObject()
    }
}

extension V1.UploadedFiles: JSONCodable {
    /// `uploaded_files` is required; `null` decodes as `nil`.
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var files: [File]?
        var sawFiles = false
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "uploaded_files":
                sawFiles = true
                files = try scanner.readOptional { s throws(WireError) in
                    try s.readArray { e throws(WireError) in try File(decodingJSON: &e) }
                }
            default: try scanner.skipValue()
            }
        }
        guard sawFiles else { throw scanner.missingField() }
        self.init(files: files)
    }

    /// Writes `{"uploaded_files":[…]}`, or `{"uploaded_files":null}` for `nil`, as upstream does.
    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("uploaded_files")
        if let files = self.files {
            writer.beginArray()
            for file in files {
                writer.beginElement()
                file.encodeJSON(to: &writer)
            }
            writer.endArray()
        } else {
            writer.writeNull()
        }
        writer.endObject()
    }
}

extension V1.ErrorBody: JSONCodable {
    /// `msg` is required; `code`, `temporary` and `retry_after_ms` are optional (`null` means absent).
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var msg: String?
        var code: String?
        var temporary: Bool?
        var retryAfterMs: UInt32?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "msg": msg = try scanner.readString()
            case "code": code = try scanner.readOptional { s throws(WireError) in try s.readString() }
            case "temporary": temporary = try scanner.readOptional { s throws(WireError) in try s.readBool() }
            case "retry_after_ms":
                retryAfterMs = try scanner.readOptional { s throws(WireError) in try s.readUInt32() }
            default: try scanner.skipValue()
            }
        }
        guard let msg else { throw scanner.missingField() }
        self.init(msg: msg, code: code, temporary: temporary, retryAfterMs: retryAfterMs)
    }

    /// Writes `{"msg":…}`, then `code`, `temporary` and `retry_after_ms`, each only when set.
    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("msg")
        writer.writeString(self.msg)
        if let code = self.code {
            writer.writeKey("code")
            writer.writeString(code)
        }
        if let temporary = self.temporary {
            writer.writeKey("temporary")
            writer.writeBool(temporary)
        }
        if let retryAfterMs = self.retryAfterMs {
            writer.writeKey("retry_after_ms")
            writer.writeUInt64(UInt64(retryAfterMs))
        }
        writer.endObject()
    }
}
