extension V2 {
    /// A typed error (`randomchat.v2.Error`): the reply to a failed command, or a push just before the server
    /// closes the connection.
    public struct Error: Hashable, Sendable {
        /// A machine-readable error code (`randomchat.v2.Error.Code`), an open enum: numbers this version does
        /// not know are kept as they are, so they survive decoding and re-encoding.
        public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
            /// The enum's number on the wire.
            public var rawValue: Int32

            /// Wraps a wire number, known or not.
            /// - Parameter rawValue: The number.
            public init(rawValue: Int32) { self.rawValue = rawValue }

            /// The wire number of a ``ChatError/Code``, taken from ``ChatError/Code/table``.
            /// - Parameter code: The error code.
            public init(_ code: ChatError.Code) { self.rawValue = code.mapping.number }

            /// `CODE_UNSPECIFIED` (0): the sender set no code.
            public static var unspecified: Self { Self(rawValue: 0) }

            /// The ``ChatError/Code`` with this number, or `nil` for 0 and numbers this version does not know.
            public var chatErrorCode: ChatError.Code? { ChatError.Code(number: self.rawValue) }

            /// The code's wire name, or its number when this version does not know it.
            public var description: String { self.chatErrorCode?.wireName ?? String(self.rawValue) }
        }

        /// What went wrong.
        public var code: Code
        /// Human-readable text (proto field `msg`); for codes that exist upstream, upstream's exact string.
        public var message: String
        /// True when the same command may succeed later unchanged.
        public var temporary: Bool
        /// Wait at least this many milliseconds before retrying (0 = no advice).
        public var retryAfterMs: UInt32

        /// Creates an error; each argument sets the property of the same name.
        public init(code: Code = .unspecified, message: String = "", temporary: Bool = false, retryAfterMs: UInt32 = 0)
        {
            self.code = code
            self.message = message
            self.temporary = temporary
            self.retryAfterMs = retryAfterMs
        }
    }

    /// Everything that can bounce a request (`randomchat.v2.Limits`), advertised in ``V2/Hello``.
    public struct Limits: Hashable, Sendable {
        /// Largest inbound websocket message the server accepts, in bytes.
        public var maxFrameBytes: UInt32
        /// Largest text message body, in UTF-8 bytes.
        public var maxTextBytes: UInt32
        /// Largest upload, in bytes.
        public var maxUploadBytes: UInt64
        /// Default history page size.
        public var historyPageDefault: UInt32
        /// Maximum history page size.
        public var historyPageMax: UInt32
        /// Messages a channel can hold.
        public var maxMessagesPerChannel: UInt32
        /// Bound of the server's per-connection outbound queue.
        public var maxQueuedFrames: UInt32
        /// Unacknowledged sends a client may have in flight.
        public var maxInflightSends: UInt32
        /// Minimum interval between typing indicators, in milliseconds.
        public var typingMinIntervalMs: UInt32
        /// How long a typing indicator lasts, in milliseconds.
        public var typingTimeoutMs: UInt32
        /// Sends per second per connection before `RATE_LIMITED`.
        public var maxSendsPerSecond: UInt32
        /// What a channel's stored uploads may add up to, in bytes, both members together (each object counts as
        /// at least 4 KiB); past it uploads fail with `upload_quota_exceeded`. 0: no quota, or not advertised.
        public var maxChannelUploadBytes: UInt64
        /// Files one multipart upload request may carry. 0: not advertised.
        public var maxFilesPerUpload: UInt32
        /// Users one block list may hold; past it a block fails with `block_limit_reached`. 0: blocking is off, or
        /// not advertised.
        public var maxBlocksPerUser: UInt32

        /// Creates limits; each argument sets the property of the same name.
        public init(
            maxFrameBytes: UInt32 = 0,
            maxTextBytes: UInt32 = 0,
            maxUploadBytes: UInt64 = 0,
            historyPageDefault: UInt32 = 0,
            historyPageMax: UInt32 = 0,
            maxMessagesPerChannel: UInt32 = 0,
            maxQueuedFrames: UInt32 = 0,
            maxInflightSends: UInt32 = 0,
            typingMinIntervalMs: UInt32 = 0,
            typingTimeoutMs: UInt32 = 0,
            maxSendsPerSecond: UInt32 = 0,
            maxChannelUploadBytes: UInt64 = 0,
            maxFilesPerUpload: UInt32 = 0,
            maxBlocksPerUser: UInt32 = 0
        ) {
            self.maxFrameBytes = maxFrameBytes
            self.maxTextBytes = maxTextBytes
            self.maxUploadBytes = maxUploadBytes
            self.historyPageDefault = historyPageDefault
            self.historyPageMax = historyPageMax
            self.maxMessagesPerChannel = maxMessagesPerChannel
            self.maxQueuedFrames = maxQueuedFrames
            self.maxInflightSends = maxInflightSends
            self.typingMinIntervalMs = typingMinIntervalMs
            self.typingTimeoutMs = typingTimeoutMs
            self.maxSendsPerSecond = maxSendsPerSecond
            self.maxChannelUploadBytes = maxChannelUploadBytes
            self.maxFilesPerUpload = maxFilesPerUpload
            self.maxBlocksPerUser = maxBlocksPerUser
        }
    }

    /// The first frame the server sends on every v2 connection (`randomchat.v2.Hello`).
    public struct Hello: Hashable, Sendable {
        /// The protocol version the server chose (2).
        public var version: UInt32
        /// The server's name and version, for logs.
        public var server: String
        /// The server's limits, or `nil` when absent.
        public var limits: Limits?
        /// The server pings this often, in milliseconds.
        public var pingIntervalMs: UInt32
        /// How long after a disconnect a resume is guaranteed to replay, in milliseconds.
        public var resumeWindowMs: UInt32
        /// Chat connections: the user the token names.
        public var userID: UserID
        /// Chat connections: the channel.
        public var channelID: ChannelID
        /// Chat connections: the channel's epoch.
        public var epoch: String
        /// Chat connections: the channel's last sequence number.
        public var lastSeq: UInt64
        /// When the connection's token expires, Unix milliseconds.
        public var tokenExpiresAt: Int64
        /// Match connections: how long a ticket may wait, in milliseconds.
        public var matchWaitTimeoutMs: UInt32
        /// Match connections: how long both peers have to confirm a match, in milliseconds.
        public var matchConfirmTimeoutMs: UInt32

        /// Creates a hello; each argument sets the property of the same name.
        public init(
            version: UInt32 = 0,
            server: String = "",
            limits: Limits? = nil,
            pingIntervalMs: UInt32 = 0,
            resumeWindowMs: UInt32 = 0,
            userID: UserID = UserID(0),
            channelID: ChannelID = ChannelID(0),
            epoch: String = "",
            lastSeq: UInt64 = 0,
            tokenExpiresAt: Int64 = 0,
            matchWaitTimeoutMs: UInt32 = 0,
            matchConfirmTimeoutMs: UInt32 = 0
        ) {
            self.version = version
            self.server = server
            self.limits = limits
            self.pingIntervalMs = pingIntervalMs
            self.resumeWindowMs = resumeWindowMs
            self.userID = userID
            self.channelID = channelID
            self.epoch = epoch
            self.lastSeq = lastSeq
            self.tokenExpiresAt = tokenExpiresAt
            self.matchWaitTimeoutMs = matchWaitTimeoutMs
            self.matchConfirmTimeoutMs = matchConfirmTimeoutMs
        }
    }

    /// A liveness probe (`randomchat.v2.Ping`), both directions.
    public struct Ping: Hashable, Sendable {
        /// Creates a ping.
        public init() {}
    }

    /// The answer to a ``V2/Ping`` (`randomchat.v2.Pong`).
    public struct Pong: Hashable, Sendable {
        /// Creates a pong.
        public init() {}
    }

    /// The empty success reply (`randomchat.v2.Ok`).
    public struct Ok: Hashable, Sendable {
        /// Creates an ok.
        public init() {}
    }
}
