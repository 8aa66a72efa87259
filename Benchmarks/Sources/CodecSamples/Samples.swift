public import ChatProtocol
public import SwiftProtobufGenerated

/// The one chat message every benchmark encodes and decodes, in each codec's own types.
///
/// A server → client chat push as a peer receives it: ids of about 2^60 (upstream's Snowflake range), a 31-byte
/// ASCII text, a server time in Unix milliseconds and, in v2, the sender's 36-byte UUID `client_msg_id` (the copy
/// the author's other connections get, RC-CHAT-SEND-3). ``withoutClientMessageID`` is the push the peer and the
/// acknowledged sender get, and the v1-shaped variant (the sample of performance-notes.md §3.1) for the byte
/// comparison.
public enum Samples {
    /// The message's id.
    public static let messageID: UInt64 = 1_847_563_543_227_432_961
    /// The author's id.
    public static let userID: UInt64 = 1_847_563_419_017_314_305
    /// The per-channel sequence number (v2 only).
    public static let seq: UInt64 = 17
    /// The text: 31 bytes of ASCII.
    public static let text = "hello, how are you doing today?"

    /// The texts B1 is measured with; the targets are stated for ``ascii31``, the others are informational
    /// (performance-notes.md §4 B1: 31 B ASCII, 1 KB mixed UTF-8, 4,000 B near upstream's 4,096-byte limit).
    public enum Payload: String, CaseIterable, Sendable {
        /// ``Samples/text``: 31 bytes of ASCII.
        case ascii31 = "31B-ascii"
        /// About 1,000 bytes of Cyrillic, accented Latin, CJK and emoji text (no character JSON escapes).
        case utf8Mixed1K = "1KB-utf8"
        /// 4,000 bytes of ASCII text.
        case ascii4000 = "4000B-ascii"

        /// The text.
        public var text: String {
            switch self {
            case .ascii31: return Samples.text
            case .utf8Mixed1K: return Self.repeated("Привет, как дела? Ça va très bien — 你好世界 👋🏽 ", toBytes: 1_000)
            case .ascii4000: return Self.repeated("the quick brown fox jumps over the lazy dog. ", toBytes: 4_000)
            }
        }

        private static func repeated(_ unit: String, toBytes limit: Int) -> String {
            var text = ""
            for character in String(repeating: unit, count: limit / unit.utf8.count + 1) {
                guard text.utf8.count + String(character).utf8.count <= limit else { break }
                text.append(character)
            }
            return text
        }
    }
    /// Server time, Unix milliseconds.
    public static let time: Int64 = 1_700_000_000_123
    /// The sender's idempotency key (v2 only): a UUID, as the protocol recommends.
    public static let clientMessageID = "3f2b8c1e-7d4a-4e0b-9a6f-2c5d8e1f0a7b"

    /// The v2 frame in the hand-written codec's types.
    /// - Parameters:
    ///   - text: The message text.
    ///   - withClientMessageID: Whether the frame carries ``clientMessageID``.
    /// - Returns: The frame.
    public static func handFrame(text: String = text, withClientMessageID: Bool = true) -> V2.ChatServerFrame {
        let message = V2.ChatMessage(
            messageID: MessageID(messageID),
            seq: seq,
            userID: UserID(userID),
            content: .text(text),
            time: time,
            clientMessageID: withClientMessageID ? clientMessageID : "",
            seen: false
        )
        return V2.ChatServerFrame(id: 0, body: .message(message))
    }

    /// The v2 frame in swift-protobuf's generated types.
    /// - Parameters:
    ///   - text: The message text.
    ///   - withClientMessageID: Whether the frame carries ``clientMessageID``.
    /// - Returns: The frame.
    public static func swiftProtobufFrame(
        text: String = text,
        withClientMessageID: Bool = true
    ) -> Randomchat_V2_ChatServerFrame {
        var message = Randomchat_V2_ChatMessage()
        message.messageID = messageID
        message.seq = seq
        message.userID = userID
        message.text = text
        message.time = time
        message.clientMsgID = withClientMessageID ? clientMessageID : ""
        message.seen = false
        var frame = Randomchat_V2_ChatServerFrame()
        frame.id = 0
        frame.message = message
        return frame
    }

    /// The v1 chat frame in the hand-written codec's types.
    /// - Parameter text: The message text.
    /// - Returns: The frame.
    public static func v1Message(text: String = text) -> V1.Message {
        V1.Message(
            messageID: MessageID(messageID),
            event: .text,
            userID: UserID(userID),
            payload: text,
            seen: false,
            time: time
        )
    }

    /// The v1 chat frame as a Foundation `Codable` value.
    /// - Parameter text: The message text.
    /// - Returns: The frame.
    public static func foundationMessage(text: String = text) -> FoundationV1Message {
        FoundationV1Message(messageID: messageID, event: 0, userID: userID, payload: text, seen: false, time: time)
    }
}
