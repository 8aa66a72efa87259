public import Logging

extension ChatClient {
    /// Everything a ``ChatClient`` needs: where the server is, and the limits and timings it works with.
    public struct Configuration: Sendable {
        /// The server's base URL, for example `"https://chat.example.com"`; websockets use the matching
        /// `ws`/`wss` scheme.
        public var baseURL: String
        /// A session cookie (`sid`) saved from an earlier run, so the user stays signed in.
        public var sessionCookie: String?
        /// The protocols the client offers, most preferred first (default: v2 protobuf, v2 JSON, then v1).
        ///
        /// The v2 entries are offered as websocket subprotocols. When `NegotiatedProtocol.v1` is in the list too,
        /// the client falls back to it against a server that only speaks v1: one that refuses the offer with
        /// `400 unsupported_version`, or one that ignores it and answers without a subprotocol (a chat connection
        /// is then closed with 4503 and a v1 connection opened instead; a match connection is kept as the v1 match
        /// socket it already is, so the user's place on the server's wait list is not left behind). Without `.v1`
        /// in the list such a server fails with `ChatError.Code.unsupportedVersion`. Set `[.v1]` to speak v1 only.
        public var protocolPreference: [NegotiatedProtocol]
        /// How sessions space their reconnection attempts.
        public var reconnectPolicy: ReconnectPolicy
        /// Seeds the sessions' backoff jitter (tests only; `nil`: system randomness).
        var reconnectJitterSeed: UInt64?
        /// How often the client pings the server; a link that leaves a ping unanswered for one interval is
        /// considered dead and reconnected. A connection's first ping comes after half to all of an interval, at
        /// random, so clients that connect together (after a server restart) do not ping in one burst. `nil` relies
        /// on the server's pings alone. A v2 chat connection pings only when that notices a dead link sooner than
        /// its own deadline: the server's `ping` pushes already probe the link, and the session drops a link silent
        /// for the server's `ping_interval_ms` (25 s until its `hello` says otherwise) + 10 s, so it pings when
        /// twice this interval is shorter than that.
        public var pingInterval: Duration?
        /// How long a new chat connection may stay silent before the session gives up on it and reconnects (a v1
        /// server greets every connection at once).
        public var firstFrameTimeout: Duration
        /// The timeout of each HTTP request, from the call to the whole answer: the wait for one of the connections
        /// the SDK keeps per server (8, shared by every client in the process) counts too. A request that runs out
        /// fails with `ChatError.Code.timeout`.
        public var requestTimeout: Duration
        /// How many sends may wait for the server's confirmation before ``ChatSession/send(text:)`` refuses more.
        public var maxQueuedMessages: Int
        /// How many events may wait for the app's loop before the session stops reading (back-pressure). A message
        /// taken while the buffer still had room adds all its events, which may pass the bound (usually by one; a
        /// seen receipt or a message that fills a gap releases several); then at most 16 more messages wait
        /// undecoded before the connection stops reading the socket.
        public var maxBufferedEvents: Int
        /// The largest v1 chat frame the server accepts, in bytes (4096); larger sends fail before sending. v2 sessions
        /// use the limits the server advertises in its `hello` instead.
        public var maxMessageSize: Int
        /// The largest file ``ChatSession/sendFile(_:named:progress:)`` uploads, in bytes.
        public var maxUploadSize: Int
        /// How long before a channel token's expiry the session stops and reports
        /// `ChatError.Code.tokenExpired`, so the failure never shows up as silently dropped frames.
        public var tokenExpiryMargin: Duration
        /// Where sessions keep transcripts and matches; `nil` keeps nothing beyond the session.
        public var store: (any ChatSessionStore)?
        /// The logger; discards everything by default.
        public var logger: Logger

        /// Creates a configuration with defaults for everything but the server address.
        /// - Parameter baseURL: The server's base URL.
        public init(baseURL: String) {
            self.baseURL = baseURL
            self.sessionCookie = nil
            self.protocolPreference = [.v2Protobuf, .v2JSON, .v1]
            self.reconnectPolicy = .default
            self.pingInterval = .seconds(25)
            self.firstFrameTimeout = .seconds(10)
            self.requestTimeout = .seconds(30)
            self.maxQueuedMessages = 100
            self.maxBufferedEvents = 256
            self.maxMessageSize = 4096
            self.maxUploadSize = 64 * 1024 * 1024
            self.tokenExpiryMargin = .seconds(30)
            self.store = nil
            self.logger = Logger(label: "chat-client", factory: { _ in SwiftLogNoOpLogHandler() })
        }
    }
}
