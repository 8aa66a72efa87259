/// The upstream-compatible protocol (go-random-chat), spoken as v1.
///
/// Every type here mirrors one JSON body or frame of `docs/PROTOCOL.md` (v1 sections) exactly; the codecs in
/// `ChatProtocol` render them byte-for-byte as the Go server does (compact, struct field order, ids as decimal
/// strings).
public enum V1 {}

extension V1 {
    /// The `event` number of a chat frame.
    ///
    /// Unknown numbers decode (the value is kept) so that a server can drop them as upstream does.
    public struct Event: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The number on the wire.
        public var rawValue: Int64

        /// Wraps an event number.
        /// - Parameter rawValue: The number.
        public init(rawValue: Int64) { self.rawValue = rawValue }

        /// 0: a text message; `payload` is the text.
        public static let text = Self(rawValue: 0)
        /// 1: an action; `payload` is one of the ``V1/Action`` strings.
        public static let action = Self(rawValue: 1)
        /// 2: a seen receipt; `payload` is the decimal id of the seen message, `user_id` its author.
        public static let seen = Self(rawValue: 2)
        /// 3: a file message; `payload` is a JSON-encoded ``V1/FilePayload``.
        public static let file = Self(rawValue: 3)

        /// Whether this is one of the four events upstream knows.
        public var isKnown: Bool { (0...3).contains(self.rawValue) }

        /// The number.
        public var description: String { String(self.rawValue) }
    }

    /// The payload of an action event (event 1).
    public struct Action: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The string on the wire.
        public var rawValue: String

        /// Wraps an action string.
        /// - Parameter rawValue: The string.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The connecting user is the only member online.
        public static let waiting = Self(rawValue: "waiting")
        /// A member came online while another is online.
        public static let joined = Self(rawValue: "joined")
        /// A member started typing (client-originated).
        public static let isTyping = Self(rawValue: "istyping")
        /// A member stopped typing (client-originated).
        public static let endTyping = Self(rawValue: "endtyping")
        /// A member went offline.
        public static let offline = Self(rawValue: "offline")
        /// A member ended the channel (upstream spells it `leaved`).
        public static let left = Self(rawValue: "leaved")

        /// The actions a client may send: upstream relays anything, our server only these two (D3).
        public static let clientActions: Set<Action> = [.isTyping, .endTyping]

        /// The string.
        public var description: String { self.rawValue }
    }

    /// A chat event as the server sends it, and as a history page lists it.
    ///
    /// `{"message_id":"…","event":0,"user_id":"…","payload":"hello","seen":false,"time":1700000000123}`
    public struct Message: Hashable, Sendable {
        /// A fresh id for every event; for text and file events the stored message's id.
        public var messageID: MessageID
        /// The kind of event.
        public var event: Event
        /// For text, file and action events the sender; for seen events the author of the seen message.
        public var userID: UserID
        /// The text, action string, seen message id, or JSON-encoded file payload.
        public var payload: String
        /// `true` for seen events; for stored messages, whether the message was seen.
        public var seen: Bool
        /// Server time of the event, Unix milliseconds.
        public var time: Int64

        /// Creates an event.
        /// - Parameters:
        ///   - messageID: The event's id.
        ///   - event: The kind of event.
        ///   - userID: The user the event is about.
        ///   - payload: The event's payload.
        ///   - seen: The seen flag.
        ///   - time: Server time, Unix milliseconds.
        public init(messageID: MessageID, event: Event, userID: UserID, payload: String, seen: Bool, time: Int64) {
            self.messageID = messageID
            self.event = event
            self.userID = userID
            self.payload = payload
            self.seen = seen
            self.time = time
        }
    }

    /// A frame a client sends on the chat websocket: `{"event":0,"user_id":"<id>","payload":"hello"}`.
    ///
    /// Upstream decodes leniently: unknown keys are ignored and keys match case-insensitively; `message_id`,
    /// `seen` and `time` are accepted (and type-checked) but ignored.
    public struct InboundFrame: Hashable, Sendable {
        /// The kind of event.
        public var event: Event
        /// The user the client claims to be (or, for seen events, the author of the seen message).
        public var userID: UserID
        /// The payload.
        public var payload: String
        /// Ignored by the server; present when a client echoes a whole ``V1/Message``.
        public var messageID: MessageID?
        /// Ignored by the server.
        public var seen: Bool?
        /// Ignored by the server (it stamps its own time).
        public var time: Int64?

        /// Creates an inbound frame.
        /// - Parameters:
        ///   - event: The kind of event.
        ///   - userID: The claimed user (the author for seen events).
        ///   - payload: The payload.
        ///   - messageID: An ignored message id.
        ///   - seen: An ignored seen flag.
        ///   - time: An ignored time.
        public init(
            event: Event,
            userID: UserID,
            payload: String,
            messageID: MessageID? = nil,
            seen: Bool? = nil,
            time: Int64? = nil
        ) {
            self.event = event
            self.userID = userID
            self.payload = payload
            self.messageID = messageID
            self.seen = seen
            self.time = time
        }
    }

    /// The one frame of the match websocket: `{"access_token":"<JWT>","peer_id":"<id>"}`.
    ///
    /// Upstream sends only `access_token`; the reference server adds `peer_id` (the receiver's peer, a quoted
    /// decimal like every v1 id) so a client need not ask `GET /api/chat/users` for it. Upstream clients ignore the
    /// extra key.
    public struct MatchResult: Hashable, Sendable {
        /// The channel token both peers receive.
        public var accessToken: String
        /// The other member of the new channel, when the server says (the reference server does; upstream does
        /// not).
        public var peerID: UserID?

        /// Creates a match result.
        /// - Parameters:
        ///   - accessToken: The channel token.
        ///   - peerID: The receiver's peer, or `nil` to send upstream's frame.
        public init(accessToken: String, peerID: UserID? = nil) {
            self.accessToken = accessToken
            self.peerID = peerID
        }
    }

    /// The payload of a file message (event 3), itself carried as a JSON string in the frame's `payload`:
    /// `{"file_name":"cat.png","object_key":"<cid>/<uuid>.png"}`.
    public struct FilePayload: Hashable, Sendable {
        /// The original file name, for display.
        public var fileName: String
        /// The object key of the presigned-upload flow, `<channel id>/<uuid>.<ext>`.
        public var objectKey: String?
        /// The public URL of the deprecated multipart flow (legacy clients).
        public var fileURL: String?

        /// Creates a file payload.
        /// - Parameters:
        ///   - fileName: The original file name.
        ///   - objectKey: The uploaded object's key.
        ///   - fileURL: The legacy public URL.
        public init(fileName: String, objectKey: String? = nil, fileURL: String? = nil) {
            self.fileName = fileName
            self.objectKey = objectKey
            self.fileURL = fileURL
        }
    }

    /// One page of channel history, newest message first: `{"next_ps":"…","messages":[…]}`.
    public struct HistoryPage: Hashable, Sendable {
        /// The opaque page state of the next (older) page, or `""` when there is none.
        public var nextPageState: String
        /// The messages, newest first; never `null` on the wire.
        public var messages: [Message]

        /// Creates a page.
        /// - Parameters:
        ///   - nextPageState: The opaque state of the next page, `""` at the end.
        ///   - messages: The messages, newest first.
        public init(nextPageState: String, messages: [Message]) {
            self.nextPageState = nextPageState
            self.messages = messages
        }
    }
}
