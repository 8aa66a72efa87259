extension V2 {
    /// The chat websocket envelope, client → server (`randomchat.v2.ChatClientFrame`).
    public struct ChatClientFrame: Hashable, Sendable {
        /// The frame's command (the `command` oneof).
        public enum Command: Hashable, Sendable {
            /// Send a message.
            case send(SendCommand)
            /// Resume after a reconnect.
            case resume(ResumeCommand)
            /// A typing indicator.
            case typing(TypingCommand)
            /// A read receipt.
            case seen(SeenCommand)
            /// End the channel.
            case leave(LeaveCommand)
            /// Ask for a fresh token.
            case refreshToken(RefreshTokenCommand)
            /// Answer a server ping.
            case pong(Pong)
            /// Probe the server.
            case ping(Ping)
        }

        /// Command id chosen by the client, unique among its pending commands; 0 = no reply wanted.
        public var id: UInt32
        /// The command, or `nil` when the frame carried none.
        public var command: Command?

        /// Creates a frame; each argument sets the property of the same name.
        public init(id: UInt32 = 0, command: Command? = nil) {
            self.id = id
            self.command = command
        }
    }

    /// The chat websocket envelope, server → client (`randomchat.v2.ChatServerFrame`).
    public struct ChatServerFrame: Hashable, Sendable {
        /// The frame's reply or push (the `body` oneof).
        public enum Body: Hashable, Sendable {
            /// A command failed, or the server is about to close.
            case error(V2.Error)
            /// A command succeeded with nothing to report.
            case ok(Ok)
            /// A send was stored.
            case ack(Ack)
            /// The answer to a resume.
            case resumed(Resumed)
            /// A fresh token.
            case tokenRefreshed(TokenRefreshed)
            /// The first frame of a connection.
            case hello(Hello)
            /// A chat message.
            case message(ChatMessage)
            /// A presence event.
            case presence(PresenceEvent)
            /// A typing indicator.
            case typing(TypingEvent)
            /// A read receipt.
            case seen(SeenEvent)
            /// A liveness probe.
            case ping(Ping)
            /// The answer to a client ping.
            case pong(Pong)
        }

        /// The id of the command this frame replies to; 0 for pushes.
        public var id: UInt32
        /// The reply or push, or `nil` when the frame carried none.
        public var body: Body?

        /// Creates a frame; each argument sets the property of the same name.
        public init(id: UInt32 = 0, body: Body? = nil) {
            self.id = id
            self.body = body
        }
    }

    /// A page of history, oldest first within the page (`randomchat.v2.HistoryPage`).
    public struct HistoryPage: Hashable, Sendable {
        /// The messages, oldest first.
        public var messages: [ChatMessage]
        /// True when messages older than the first one in this page exist.
        public var hasMore: Bool
        /// The channel's epoch.
        public var epoch: String
        /// The channel's last sequence number.
        public var lastSeq: UInt64

        /// Creates a page; each argument sets the property of the same name.
        public init(messages: [ChatMessage] = [], hasMore: Bool = false, epoch: String = "", lastSeq: UInt64 = 0) {
            self.messages = messages
            self.hasMore = hasMore
            self.epoch = epoch
            self.lastSeq = lastSeq
        }
    }
}
