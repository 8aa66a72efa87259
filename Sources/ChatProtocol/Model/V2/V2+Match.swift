extension V2 {
    /// Join the wait list (`randomchat.v2.EnqueueCommand`); idempotent while a ticket is live.
    public struct EnqueueCommand: Hashable, Sendable {
        /// Creates a command.
        public init() {}
    }

    /// Leave the wait list or abandon a proposed match (`randomchat.v2.CancelCommand`).
    public struct CancelCommand: Hashable, Sendable {
        /// Creates a command.
        public init() {}
    }

    /// Accept a proposed match (`randomchat.v2.ConfirmCommand`).
    public struct ConfirmCommand: Hashable, Sendable {
        /// The proposed match's id.
        public var matchID: UInt64

        /// Creates a command; each argument sets the property of the same name.
        public init(matchID: UInt64 = 0) { self.matchID = matchID }
    }

    /// Leave the current channel and re-queue, atomically (`randomchat.v2.NextCommand`).
    public struct NextCommand: Hashable, Sendable {
        /// The token of the channel being left.
        public var accessToken: String

        /// Creates a command; each argument sets the property of the same name.
        public init(accessToken: String = "") { self.accessToken = accessToken }
    }

    /// The reply to enqueue and next: a live ticket (`randomchat.v2.Queued`).
    public struct Queued: Hashable, Sendable {
        /// The ticket's id.
        public var ticketID: UInt64
        /// The ticket expires this many milliseconds after enqueue (0 = never).
        public var waitTimeoutMs: UInt32

        /// Creates a reply; each argument sets the property of the same name.
        public init(ticketID: UInt64 = 0, waitTimeoutMs: UInt32 = 0) {
            self.ticketID = ticketID
            self.waitTimeoutMs = waitTimeoutMs
        }
    }

    /// A proposed match to confirm in time (`randomchat.v2.MatchProposed`).
    public struct MatchProposed: Hashable, Sendable {
        /// The match's id.
        public var matchID: UInt64
        /// The proposed peer.
        public var peerID: UserID
        /// Milliseconds both peers have to confirm.
        public var confirmTimeoutMs: UInt32

        /// Creates a push; each argument sets the property of the same name.
        public init(matchID: UInt64 = 0, peerID: UserID = UserID(0), confirmTimeoutMs: UInt32 = 0) {
            self.matchID = matchID
            self.peerID = peerID
            self.confirmTimeoutMs = confirmTimeoutMs
        }
    }

    /// Both peers confirmed: the channel exists (`randomchat.v2.Matched`).
    public struct Matched: Hashable, Sendable {
        /// The match's id.
        public var matchID: UInt64
        /// The new channel.
        public var channelID: ChannelID
        /// The other member.
        public var peerID: UserID
        /// This member's channel token.
        public var accessToken: String
        /// When the token expires, Unix milliseconds.
        public var tokenExpiresAt: Int64

        /// Creates a push; each argument sets the property of the same name.
        public init(
            matchID: UInt64 = 0,
            channelID: ChannelID = ChannelID(0),
            peerID: UserID = UserID(0),
            accessToken: String = "",
            tokenExpiresAt: Int64 = 0
        ) {
            self.matchID = matchID
            self.channelID = channelID
            self.peerID = peerID
            self.accessToken = accessToken
            self.tokenExpiresAt = tokenExpiresAt
        }
    }

    /// A proposed match fell through (`randomchat.v2.MatchVoided`).
    public struct MatchVoided: Hashable, Sendable {
        /// The match's id.
        public var matchID: UInt64
        /// Why it fell through.
        public var reason: String
        /// True when this client is back at the head of the wait list and keeps its ticket.
        public var requeued: Bool

        /// Creates a push; each argument sets the property of the same name.
        public init(matchID: UInt64 = 0, reason: String = "", requeued: Bool = false) {
            self.matchID = matchID
            self.reason = reason
            self.requeued = requeued
        }
    }

    /// The match websocket envelope, client → server (`randomchat.v2.MatchClientFrame`).
    public struct MatchClientFrame: Hashable, Sendable {
        /// The frame's command (the `command` oneof).
        public enum Command: Hashable, Sendable {
            /// Join the wait list.
            case enqueue(EnqueueCommand)
            /// Leave the wait list.
            case cancel(CancelCommand)
            /// Accept a proposed match.
            case confirm(ConfirmCommand)
            /// Leave the channel and re-queue.
            case next(NextCommand)
            /// Answer a server ping.
            case pong(Pong)
            /// Probe the server.
            case ping(Ping)
        }

        /// Command id chosen by the client; 0 = no reply wanted.
        public var id: UInt32
        /// The command, or `nil` when the frame carried none.
        public var command: Command?

        /// Creates a frame; each argument sets the property of the same name.
        public init(id: UInt32 = 0, command: Command? = nil) {
            self.id = id
            self.command = command
        }
    }

    /// The match websocket envelope, server → client (`randomchat.v2.MatchServerFrame`).
    public struct MatchServerFrame: Hashable, Sendable {
        /// The frame's reply or push (the `body` oneof).
        public enum Body: Hashable, Sendable {
            /// A command failed, or the server is about to close.
            case error(V2.Error)
            /// A command succeeded with nothing to report.
            case ok(Ok)
            /// A ticket is live.
            case queued(Queued)
            /// The first frame of a connection.
            case hello(Hello)
            /// A match was proposed.
            case proposed(MatchProposed)
            /// A match was confirmed by both peers.
            case matched(Matched)
            /// A proposed match fell through.
            case voided(MatchVoided)
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
}
