public import ChatProtocol
public import SwiftProtobufGenerated

/// The one chat message every benchmark encodes and decodes, in each codec's own types.
///
/// A server → client chat push as a peer receives it: ids of about 2^60 (upstream's Snowflake range), a 31-byte
/// ASCII text, a server time in Unix milliseconds and, in v2, the sender's 36-byte UUID `client_msg_id` (the server
/// pushes it to every member, RC-CHAT-SEND-3). ``withoutClientMessageID`` is the v1-shaped variant (the sample of
/// performance-notes.md §3.1) for the byte comparison.
public enum Samples {
    /// The message's id.
    public static let messageID: UInt64 = 1_847_563_543_227_432_961
    /// The author's id.
    public static let userID: UInt64 = 1_847_563_419_017_314_305
    /// The per-channel sequence number (v2 only).
    public static let seq: UInt64 = 17
    /// The text: 31 bytes of ASCII.
    public static let text = "hello, how are you doing today?"
    /// Server time, Unix milliseconds.
    public static let time: Int64 = 1_700_000_000_123
    /// The sender's idempotency key (v2 only): a UUID, as the protocol recommends.
    public static let clientMessageID = "3f2b8c1e-7d4a-4e0b-9a6f-2c5d8e1f0a7b"

    /// The v2 frame in the hand-written codec's types.
    /// - Parameter withClientMessageID: Whether the frame carries ``clientMessageID``.
    /// - Returns: The frame.
    public static func handFrame(withClientMessageID: Bool = true) -> V2.ChatServerFrame {
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
    /// - Parameter withClientMessageID: Whether the frame carries ``clientMessageID``.
    /// - Returns: The frame.
    public static func swiftProtobufFrame(withClientMessageID: Bool = true) -> Randomchat_V2_ChatServerFrame {
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
    /// - Returns: The frame.
    public static func v1Message() -> V1.Message {
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
    /// - Returns: The frame.
    public static func foundationMessage() -> FoundationV1Message {
        FoundationV1Message(messageID: messageID, event: 0, userID: userID, payload: text, seen: false, time: time)
    }
}
