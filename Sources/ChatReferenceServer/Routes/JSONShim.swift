// TEMPORARY: stands in for ChatProtocol's hand-written v1 JSON codec until that branch is merged; delete this
// file then (same entry points: `init(jsonBytes:)`, `jsonBytes()`, `FilePayload(payloadString:)`).
import ChatProtocol
import Foundation

private func quoted(_ string: String) -> String {
    var out = "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "<": out += "\\u003c"
        case ">": out += "\\u003e"
        case "&": out += "\\u0026"
        case "\u{2028}": out += "\\u2028"
        case "\u{2029}": out += "\\u2029"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

private struct ShimError: Error {}

private func object(_ bytes: [UInt8]) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw ShimError() }
    return object
}

extension V1.ErrorBody {
    func jsonBytes() -> [UInt8] {
        var s = "{\"msg\":\(quoted(msg))"
        if let code { s += ",\"code\":\(quoted(code))" }
        if let temporary { s += ",\"temporary\":\(temporary)" }
        if let retryAfterMs { s += ",\"retry_after_ms\":\(retryAfterMs)" }
        return Array((s + "}").utf8)
    }
}

extension V1.User {
    func jsonBytes() -> [UInt8] {
        Array("{\"id\":\"\(id)\",\"name\":\(quoted(name)),\"picture\":\(quoted(picture))}".utf8)
    }
}

extension V1.CreateUserRequest {
    init(jsonBytes: [UInt8]) throws {
        guard let name = try object(jsonBytes)["name"] as? String else { throw ShimError() }
        self.init(name: name)
    }
}

extension V1.UserIDList {
    func jsonBytes() -> [UInt8] {
        Array("{\"user_ids\":[\(userIDs.map { "\"\($0)\"" }.joined(separator: ","))]}".utf8)
    }
}

extension V1.Message {
    func jsonBytes() -> [UInt8] {
        Array(
            ("{\"message_id\":\"\(messageID)\",\"event\":\(event.rawValue),\"user_id\":\"\(userID)\","
                + "\"payload\":\(quoted(payload)),\"seen\":\(seen),\"time\":\(time)}").utf8
        )
    }
}

extension V1.HistoryPage {
    func jsonBytes() -> [UInt8] {
        let items = messages.map { String(decoding: $0.jsonBytes(), as: UTF8.self) }.joined(separator: ",")
        return Array("{\"next_ps\":\(quoted(nextPageState)),\"messages\":[\(items)]}".utf8)
    }
}

extension V1.InboundFrame {
    init(jsonBytes: [UInt8]) throws {
        let o = try object(jsonBytes)
        guard let event = o["event"] as? Int, let uid = o["user_id"] as? String, let user = UserID(decimal: uid),
            let payload = o["payload"] as? String
        else { throw ShimError() }
        self.init(event: .init(rawValue: Int64(event)), userID: user, payload: payload)
    }
}

extension V1.MatchResult {
    func jsonBytes() -> [UInt8] { Array("{\"access_token\":\(quoted(accessToken))}".utf8) }
}

extension V1.PresignedUpload {
    func jsonBytes() -> [UInt8] { Array("{\"object_key\":\(quoted(objectKey)),\"url\":\(quoted(url))}".utf8) }
}

extension V1.PresignedDownload {
    func jsonBytes() -> [UInt8] { Array("{\"url\":\(quoted(url))}".utf8) }
}

extension V1.UploadedFiles {
    func jsonBytes() -> [UInt8] {
        guard let files else { return Array("{\"uploaded_files\":null}".utf8) }
        let items = files.map { "{\"name\":\(quoted($0.name)),\"url\":\(quoted($0.url))}" }.joined(separator: ",")
        return Array("{\"uploaded_files\":[\(items)]}".utf8)
    }
}

extension V1.FilePayload {
    init(payloadString: String) throws {
        let o = try object(Array(payloadString.utf8))
        guard let name = o["file_name"] as? String else { throw ShimError() }
        self.init(fileName: name, objectKey: o["object_key"] as? String, fileURL: o["file_url"] as? String)
    }
}
