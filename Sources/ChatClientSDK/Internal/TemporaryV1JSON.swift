// TEMPORARY: stands in for the v1 JSON codec of ChatProtocol (branch `json`) until it reaches main, with the
// same names (`init(jsonBytes:)`, `jsonBytes()`, `V1.FilePayload(payloadString:)`,
// `ChannelTokenClaims(unverifiedJWT:)`). Delete this file when merging main brings the real codec in.
import ChatProtocol
import Foundation

private func object(_ bytes: [UInt8]) throws -> [String: Any] {
    guard let value = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
        throw WireError(.malformedJSON, at: 0)
    }
    return value
}

private func string(_ object: [String: Any], _ key: String) throws -> String {
    guard let value = object[key] as? String else { throw WireError(.missingField, at: 0) }
    return value
}

private func decimal(_ object: [String: Any], _ key: String) throws -> UInt64 {
    guard let text = object[key] as? String, let value = UInt64(strictDecimal: text) else {
        throw WireError(.invalidNumber, at: 0)
    }
    return value
}

private func encode(_ object: [String: Any]) -> [UInt8] {
    (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))) ?? []
}

extension V1.Message {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        guard let event = (o["event"] as? NSNumber)?.int64Value else { throw WireError(.missingField, at: 0) }
        self.init(
            messageID: MessageID(try decimal(o, "message_id")),
            event: V1.Event(rawValue: event),
            userID: UserID(try decimal(o, "user_id")),
            payload: try string(o, "payload"),
            seen: (o["seen"] as? Bool) ?? false,
            time: (o["time"] as? NSNumber)?.int64Value ?? 0
        )
    }
}

extension V1.InboundFrame {
    func jsonBytes() -> [UInt8] {
        encode(["event": self.event.rawValue, "user_id": self.userID.description, "payload": self.payload])
    }
}

extension V1.MatchResult {
    init(jsonBytes: [UInt8]) throws {
        self.init(accessToken: try string(try object(jsonBytes), "access_token"))
    }
}

extension V1.User {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        self.init(id: UserID(try decimal(o, "id")), name: try string(o, "name"), picture: (o["picture"] as? String) ?? "")
    }
}

extension V1.CreateUserRequest {
    func jsonBytes() -> [UInt8] { encode(["name": self.name]) }
}

extension V1.UserIDList {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        let ids = (o["user_ids"] as? [String]) ?? []
        self.init(userIDs: try ids.map { text in
            guard let id = UserID(decimal: text) else { throw WireError(.invalidNumber, at: 0) }
            return id
        })
    }
}

extension V1.HistoryPage {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        let messages = (o["messages"] as? [Any]) ?? []
        self.init(
            nextPageState: (o["next_ps"] as? String) ?? "",
            messages: try messages.map { item in
                let data = try JSONSerialization.data(withJSONObject: item)
                return try V1.Message(jsonBytes: Array(data))
            }
        )
    }
}

extension V1.PresignedUpload {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        self.init(objectKey: try string(o, "object_key"), url: try string(o, "url"))
    }
}

extension V1.PresignedDownload {
    init(jsonBytes: [UInt8]) throws {
        self.init(url: try string(try object(jsonBytes), "url"))
    }
}

extension V1.ErrorBody {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        self.init(
            msg: try string(o, "msg"),
            code: o["code"] as? String,
            temporary: o["temporary"] as? Bool,
            retryAfterMs: (o["retry_after_ms"] as? NSNumber)?.uint32Value
        )
    }
}

extension V1.FilePayload {
    init(payloadString: String) throws {
        let o = try object(Array(payloadString.utf8))
        self.init(
            fileName: (o["file_name"] as? String) ?? "",
            objectKey: o["object_key"] as? String,
            fileURL: o["file_url"] as? String
        )
    }

    func payloadString() -> String {
        var o: [String: Any] = ["file_name": self.fileName]
        if let key = self.objectKey { o["object_key"] = key }
        if let url = self.fileURL { o["file_url"] = url }
        return String(decoding: encode(o), as: UTF8.self)
    }
}

extension ChannelTokenClaims {
    init(unverifiedJWT token: String) throws {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw WireError(.malformedJSON, at: 0) }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { throw WireError(.malformedJSON, at: 0) }
        let text = String(decoding: data, as: UTF8.self)
        // ChannelID can exceed 2^53: read its digits directly.
        guard let range = text.range(of: "\"ChannelID\":") else { throw WireError(.missingField, at: 0) }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        guard let channel = UInt64(strictDecimal: digits) else { throw WireError(.invalidNumber, at: 0) }
        let o = try object(Array(data))
        self.init(channelID: ChannelID(channel), expiresAt: (o["exp"] as? NSNumber)?.int64Value)
    }
}
