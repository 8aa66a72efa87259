extension V2 {
    /// A file attached to a message (`randomchat.v2.FileRef`), uploaded through the presigned flow first.
    public struct FileRef: Hashable, Sendable {
        /// The file's name as the user chose it.
        public var fileName: String
        /// The object storage key.
        public var objectKey: String
        /// The size in bytes.
        public var size: UInt64
        /// The MIME type.
        public var contentType: String

        /// Creates a file reference; each argument sets the property of the same name.
        public init(fileName: String = "", objectKey: String = "", size: UInt64 = 0, contentType: String = "") {
            self.fileName = fileName
            self.objectKey = objectKey
            self.size = size
            self.contentType = contentType
        }
    }

    /// A stored chat message (`randomchat.v2.ChatMessage`), pushed live, replayed on resume, and returned by
    /// history.
    public struct ChatMessage: Hashable, Sendable {
        /// The body of a message: the `content` oneof of ``V2/ChatMessage`` and ``V2/SendCommand``.
        public enum Content: Hashable, Sendable {
            /// A text body.
            case text(String)
            /// A file attachment.
            case file(FileRef)
        }

        /// The message's id.
        public var messageID: MessageID
        /// Dense per-channel position: 1, 2, 3, … with no gaps.
        public var seq: UInt64
        /// The author, stamped by the server.
        public var userID: UserID
        /// The body, or `nil` when the frame carried none.
        public var content: Content?
        /// Server time, Unix milliseconds.
        public var time: Int64
        /// The sender's idempotency key (proto field `client_msg_id`).
        public var clientMessageID: String
        /// Whether the other member has seen the message.
        public var seen: Bool

        /// Creates a message; each argument sets the property of the same name.
        public init(
            messageID: MessageID = MessageID(0),
            seq: UInt64 = 0,
            userID: UserID = UserID(0),
            content: Content? = nil,
            time: Int64 = 0,
            clientMessageID: String = "",
            seen: Bool = false
        ) {
            self.messageID = messageID
            self.seq = seq
            self.userID = userID
            self.content = content
            self.time = time
            self.clientMessageID = clientMessageID
            self.seen = seen
        }
    }

    /// A presence or lifecycle event of a channel member (`randomchat.v2.PresenceEvent`).
    public struct PresenceEvent: Hashable, Sendable {
        /// What happened (`randomchat.v2.PresenceEvent.Kind`), an open enum that keeps unknown numbers.
        public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
            /// The enum's number on the wire.
            public var rawValue: Int32

            /// Wraps a wire number, known or not.
            /// - Parameter rawValue: The number.
            public init(rawValue: Int32) { self.rawValue = rawValue }

            /// `KIND_UNSPECIFIED` (0).
            public static var unspecified: Self { Self(rawValue: 0) }
            /// `WAITING` (1): the connecting user is the only member online.
            public static var waiting: Self { Self(rawValue: 1) }
            /// `JOINED` (2): a member came online and the other is online too.
            public static var joined: Self { Self(rawValue: 2) }
            /// `OFFLINE` (3): a member went offline.
            public static var offline: Self { Self(rawValue: 3) }
            /// `LEFT` (4): a member ended the channel.
            public static var left: Self { Self(rawValue: 4) }

            /// The kind's name, or its number when this version does not know it.
            public var description: String {
                switch self.rawValue {
                case 0: "unspecified"
                case 1: "waiting"
                case 2: "joined"
                case 3: "offline"
                case 4: "left"
                default: String(self.rawValue)
                }
            }
        }

        /// What happened.
        public var kind: Kind
        /// The member it happened to.
        public var userID: UserID
        /// When, Unix milliseconds.
        public var time: Int64

        /// Creates an event; each argument sets the property of the same name.
        public init(kind: Kind = .unspecified, userID: UserID = UserID(0), time: Int64 = 0) {
            self.kind = kind
            self.userID = userID
            self.time = time
        }
    }

    /// A typing indicator (`randomchat.v2.TypingEvent`); ephemeral, never stored.
    public struct TypingEvent: Hashable, Sendable {
        /// The member who is typing.
        public var userID: UserID
        /// Whether they are typing now.
        public var typing: Bool

        /// Creates an event; each argument sets the property of the same name.
        public init(userID: UserID = UserID(0), typing: Bool = false) {
            self.userID = userID
            self.typing = typing
        }
    }

    /// A read receipt (`randomchat.v2.SeenEvent`): `userID` has seen every message of the other member up to
    /// and including `upToSeq`.
    public struct SeenEvent: Hashable, Sendable {
        /// The reader.
        public var userID: UserID
        /// The last sequence number seen.
        public var upToSeq: UInt64
        /// When, Unix milliseconds.
        public var time: Int64

        /// Creates an event; each argument sets the property of the same name.
        public init(userID: UserID = UserID(0), upToSeq: UInt64 = 0, time: Int64 = 0) {
            self.userID = userID
            self.upToSeq = upToSeq
            self.time = time
        }
    }

    /// Send a text or file message (`randomchat.v2.SendCommand`), idempotent per `clientMessageID`.
    public struct SendCommand: Hashable, Sendable {
        /// A client-chosen unique key of at most 64 bytes (proto field `client_msg_id`).
        public var clientMessageID: String
        /// The body, or `nil` when the frame carried none.
        public var content: ChatMessage.Content?

        /// Creates a command; each argument sets the property of the same name.
        public init(clientMessageID: String = "", content: ChatMessage.Content? = nil) {
            self.clientMessageID = clientMessageID
            self.content = content
        }
    }

    /// Replay everything stored after `afterSeq` if `epoch` is still the channel's (`randomchat.v2.ResumeCommand`).
    public struct ResumeCommand: Hashable, Sendable {
        /// The last sequence number the client holds.
        public var afterSeq: UInt64
        /// The channel epoch the client's sequence numbers belong to.
        public var epoch: String

        /// Creates a command; each argument sets the property of the same name.
        public init(afterSeq: UInt64 = 0, epoch: String = "") {
            self.afterSeq = afterSeq
            self.epoch = epoch
        }
    }

    /// Start or stop a typing indicator (`randomchat.v2.TypingCommand`).
    public struct TypingCommand: Hashable, Sendable {
        /// Whether the user is typing.
        public var typing: Bool

        /// Creates a command; each argument sets the property of the same name.
        public init(typing: Bool = false) { self.typing = typing }
    }

    /// Mark messages as seen (`randomchat.v2.SeenCommand`).
    public struct SeenCommand: Hashable, Sendable {
        /// The last sequence number seen.
        public var upToSeq: UInt64

        /// Creates a command; each argument sets the property of the same name.
        public init(upToSeq: UInt64 = 0) { self.upToSeq = upToSeq }
    }

    /// End the channel for both members (`randomchat.v2.LeaveCommand`).
    public struct LeaveCommand: Hashable, Sendable {
        /// Creates a command.
        public init() {}
    }

    /// Ask for a fresh channel token (`randomchat.v2.RefreshTokenCommand`).
    public struct RefreshTokenCommand: Hashable, Sendable {
        /// Creates a command.
        public init() {}
    }

    /// The reply to a ``V2/SendCommand`` (`randomchat.v2.Ack`).
    public struct Ack: Hashable, Sendable {
        /// The send's idempotency key (proto field `client_msg_id`).
        public var clientMessageID: String
        /// The stored message's sequence number.
        public var seq: UInt64
        /// The stored message's time, Unix milliseconds.
        public var time: Int64
        /// The stored message's id.
        public var messageID: MessageID

        /// Creates an ack; each argument sets the property of the same name.
        public init(clientMessageID: String = "", seq: UInt64 = 0, time: Int64 = 0, messageID: MessageID = MessageID(0))
        {
            self.clientMessageID = clientMessageID
            self.seq = seq
            self.time = time
            self.messageID = messageID
        }
    }

    /// The reply to a ``V2/ResumeCommand`` (`randomchat.v2.Resumed`).
    public struct Resumed: Hashable, Sendable {
        /// True when every message after `afterSeq` follows right after this reply.
        public var resumed: Bool
        /// Why not, when `resumed` is false (`"epoch_changed"`, `"too_old"`).
        public var reason: String
        /// The channel's current epoch.
        public var epoch: String
        /// The channel's last sequence number.
        public var lastSeq: UInt64

        /// Creates a reply; each argument sets the property of the same name.
        public init(resumed: Bool = false, reason: String = "", epoch: String = "", lastSeq: UInt64 = 0) {
            self.resumed = resumed
            self.reason = reason
            self.epoch = epoch
            self.lastSeq = lastSeq
        }
    }

    /// The reply to a ``V2/RefreshTokenCommand`` (`randomchat.v2.TokenRefreshed`).
    public struct TokenRefreshed: Hashable, Sendable {
        /// The new channel token.
        public var accessToken: String
        /// When it expires, Unix milliseconds.
        public var expiresAt: Int64

        /// Creates a reply; each argument sets the property of the same name.
        public init(accessToken: String = "", expiresAt: Int64 = 0) {
            self.accessToken = accessToken
            self.expiresAt = expiresAt
        }
    }
}
