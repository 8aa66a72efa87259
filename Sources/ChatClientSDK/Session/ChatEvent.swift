public import Foundation

/// Something that happened in a chat session, in the order it happened.
///
/// Every text and file message of the channel arrives exactly once as ``message(_:)``, including your own
/// (the server's echo, which confirms a send) and those the session recovered from history after a reconnect.
public enum ChatEvent: Hashable, Sendable {
    /// A text or file message.
    case message(ChatMessage)
    /// A message was seen by its recipient.
    /// - Parameters:
    ///   - messageID: The message that was seen.
    ///   - authorID: Who wrote it.
    case seen(messageID: MessageID, authorID: UserID)
    /// A member started typing.
    case typingStarted(UserID)
    /// A member stopped typing.
    case typingStopped(UserID)
    /// A member came online while the other member was online.
    case joined(UserID)
    /// A member came online alone; they are waiting for the other member.
    case waiting(UserID)
    /// A member went offline.
    case offline(UserID)
    /// A member ended the channel; the session ends after this event.
    case left(UserID)
    /// An action string this SDK does not know, relayed verbatim by the server.
    case action(String, from: UserID)
    /// The connection changed state.
    case connection(ChatConnectionState)
    /// v2: the server stored a message this session sent; `seq` is its place in the channel. Its
    /// ``message(_:)`` follows.
    /// - Parameters:
    ///   - localID: What ``ChatSession/send(text:)`` returned.
    ///   - seq: The message's sequence number.
    case sendAcknowledged(ChatLocalMessageID, seq: UInt64)
    /// v2: the server refused a send for good (for example `ChatError.Code.messageCapReached`), or the session
    /// refused it before sending (a limit from the server's `hello`). It will not be retried.
    /// - Parameters:
    ///   - localID: What ``ChatSession/send(text:)`` returned.
    ///   - error: Why.
    case sendFailed(ChatLocalMessageID, ChatError)
}

/// The state of a session's connection, as reported in ``ChatEvent/connection(_:)``.
public enum ChatConnectionState: Hashable, Sendable {
    /// Opening the websocket.
    case connecting
    /// The websocket is open; messages missed while disconnected follow as ordinary message events.
    case connected
    /// The connection dropped; the session retries after `delay`.
    /// - Parameters:
    ///   - attempt: The retry number, starting at 1.
    ///   - delay: How long the session waits before the attempt.
    case reconnecting(attempt: Int, delay: Duration)
    /// The session is over and will not reconnect; the reason says why.
    case disconnected(ChatError)
}

/// A stable, local identifier for a message this session sent, known before the server assigns its id.
public struct ChatLocalMessageID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number, unique within the process.
    public var rawValue: UInt64

    /// Wraps a local id.
    /// - Parameter rawValue: The number.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `local-N`.
    public var description: String { "local-\(self.rawValue)" }
}

/// A file shared in a chat: its display name and where it is stored.
public struct ChatFile: Hashable, Sendable {
    /// The original file name, for display.
    public var name: String
    /// The object key of an upload (`<channel id>/<uuid>.<ext>`); resolve it with ``ChatSession/downloadURL(for:)``.
    public var objectKey: String?
    /// The public URL of a file shared by a legacy client.
    public var legacyURL: String?

    /// Creates a file reference.
    /// - Parameters:
    ///   - name: The display name.
    ///   - objectKey: The uploaded object's key.
    ///   - legacyURL: A legacy public URL.
    public init(name: String, objectKey: String? = nil, legacyURL: String? = nil) {
        self.name = name
        self.objectKey = objectKey
        self.legacyURL = legacyURL
    }

    /// The lower-cased extension of the object key (or name), for example `"png"`.
    public var fileExtension: String {
        let source = self.objectKey ?? self.name
        guard let dot = source.lastIndex(of: "."), !source[dot...].contains("/") else { return "" }
        return source[source.index(after: dot)...].lowercased()
    }

    /// Whether the file is an image a chat shows inline (jpg, jpeg, png, gif, webp).
    public var isImage: Bool { ["jpg", "jpeg", "png", "gif", "webp"].contains(self.fileExtension) }
}

/// A text or file message of a channel.
public struct ChatMessage: Hashable, Sendable, Identifiable {
    /// What a message carries.
    public enum Content: Hashable, Sendable {
        /// Text.
        case text(String)
        /// A shared file.
        case file(ChatFile)
    }

    /// The server-assigned id (unique in the channel; ordered by creation time).
    public var id: MessageID
    /// The author.
    public var senderID: UserID
    /// The text or file.
    public var content: Content
    /// Server time of the message.
    public var sentAt: Date
    /// Whether the recipient has seen it (as of when it was received or fetched).
    public var isSeen: Bool
    /// For a message this session sent, the id ``ChatSession/send(text:)`` returned.
    public var localID: ChatLocalMessageID?
    /// v2: the message's place in the channel (1, 2, 3, … with no gaps); `nil` for messages received over v1.
    public var seq: UInt64?

    /// Creates a message.
    /// - Parameters:
    ///   - id: The server id.
    ///   - senderID: The author.
    ///   - content: The text or file.
    ///   - sentAt: Server time.
    ///   - isSeen: The seen flag.
    ///   - localID: The local id of a send that this message confirms.
    ///   - seq: The v2 sequence number.
    public init(
        id: MessageID,
        senderID: UserID,
        content: Content,
        sentAt: Date,
        isSeen: Bool = false,
        localID: ChatLocalMessageID? = nil,
        seq: UInt64? = nil
    ) {
        self.id = id
        self.senderID = senderID
        self.content = content
        self.sentAt = sentAt
        self.isSeen = isSeen
        self.localID = localID
        self.seq = seq
    }

    /// The text, when this is a text message.
    public var text: String? {
        if case .text(let text) = self.content { return text }
        return nil
    }

    /// The file, when this is a file message.
    public var file: ChatFile? {
        if case .file(let file) = self.content { return file }
        return nil
    }
}

extension ChatMessage {
    /// Builds a message from a v1 text (0) or file (3) event; `nil` for other events.
    init?(v1 message: V1.Message) {
        let content: Content
        switch message.event {
        case .text:
            content = .text(message.payload)
        case .file:
            let payload = (try? V1.FilePayload(payloadString: message.payload)) ?? V1.FilePayload(fileName: "file")
            content = .file(ChatFile(name: payload.fileName, objectKey: payload.objectKey, legacyURL: payload.fileURL))
        default:
            return nil
        }
        self.init(
            id: message.messageID,
            senderID: message.userID,
            content: content,
            sentAt: Date(timeIntervalSince1970: Double(message.time) / 1000),
            isSeen: message.seen
        )
    }
}

extension ChatMessage {
    /// Builds a message from a v2 `ChatMessage`; `nil` when it carries no content.
    init?(v2 message: V2.ChatMessage) {
        let content: Content
        switch message.content {
        case .text(let text): content = .text(text)
        case .file(let file):
            content = .file(ChatFile(name: file.fileName.isEmpty ? "file" : file.fileName, objectKey: file.objectKey))
        case nil: return nil
        }
        self.init(
            id: message.messageID,
            senderID: message.userID,
            content: content,
            sentAt: Date(timeIntervalSince1970: Double(message.time) / 1000),
            isSeen: message.seen,
            seq: message.seq
        )
    }
}
