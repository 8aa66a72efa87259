public import Logging
import NIOCore

/// Everything the reference server can be configured with; every field has a working default.
///
/// `chat-server` fills it from flags, `CHAT_*` environment variables and an optional JSON file (in that order of
/// precedence); tests build it directly.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The port to listen on; `0` picks a free one (tests).
    public var port: Int = 8080
    /// Where the SQLite database, uploaded objects and the generated JWT secret live.
    public var dataDirectory: String = "./data"
    /// The HS256 secret for channel tokens and upload signatures (at least 32 bytes). `nil` means: read
    /// `<dataDirectory>/jwt-secret`, generating it on first start.
    public var jwtSecret: String?
    /// How long a channel token is valid.
    public var tokenLifetime: Duration = .seconds(86_400)
    /// A session unused for this long is dropped; every use extends it (sliding expiry). The last use is recorded
    /// at a granularity of a tenth of this (at most a minute), so that looking a session up is not a database write.
    public var sessionIdleTimeout: Duration = .seconds(30 * 86_400)
    /// `Max-Age` of the `sid` cookie; refreshed on every `GET /api/user/me`.
    public var cookieMaxAge: Int = 86_400
    /// `Domain` of the cookies; `nil` (the default) leaves it out, so the cookie binds to the serving host.
    public var cookieDomain: String?
    /// Whether cookies carry `Secure` (turn on behind TLS).
    public var secureCookies: Bool = false
    /// The public origin (`http://host:port`) used in presigned URLs; `nil` uses the request's `Host` header.
    public var publicBaseURL: String?

    /// OAuth2 / OIDC provider settings for the "Google" login endpoints.
    public var oauth = OAuthConfiguration()
    /// Sizes, caps and rates.
    public var limits = Limits()
    /// Which protocol versions the websockets speak (`--protocols`); v1-only modes let clients test their fallback.
    public var protocols: ProtocolSupport = .v1AndV2
    /// Exposes `/conformance/echo`, a websocket echo on the chat socket's stack (Autobahn runs); loopback only.
    public var conformanceEcho: Bool = false
    /// The log level.
    public var logLevel: Logger.Level = .info
    /// Event-loop threads for connections (HTTP and websockets; chat messages are handled on them). `nil`, the
    /// default, shares a group of ``defaultEventLoopThreads`` threads among the process's servers; a number gives the
    /// server a group of its own.
    public var eventLoopThreads: Int?

    /// The default number of event-loop threads: half the cores, at least one. Chat traffic is many small messages,
    /// and at chat rates most of a message's server CPU is waking a sleeping thread: a message that crosses from
    /// its sender's loop to its peer's wakes two (BENCHMARKS.md, B4, on a 2-core box: one loop cost 51–57 % of the
    /// CPU per v1 message of two loops, 54–87 % per v2 message). The price is the ceiling: one loop's core caps the
    /// rate (v2 saturated at 8,000–12,000 msg/s with one loop, 12,000–16,000 with two; v1 at 16,000 with either).
    /// The other half of the cores runs the Swift tasks (HTTP handlers, the matchmaker, the message store's writer).
    public static var defaultEventLoopThreads: Int { max(1, System.coreCount / 2) }
    /// The listening socket's accept queue (`listen(2)` backlog; the kernel caps it at `net.core.somaxconn`). A
    /// burst of connects beyond it is dropped and retried by the clients' TCP a second later, so it is sized for a
    /// thousand match sockets opened at once (B6) rather than Hummingbird's 256.
    public var listenBacklog: Int = 4096
    /// How often the server checks glibc's heap and gives freed memory back to the kernel with `malloc_trim`
    /// (Linux with glibc only; `nil` turns it off). See docs/SERVER.md, "Memory".
    public var memoryReclaimInterval: Duration? = .seconds(10)
    /// The least freed memory, and the least growth of resident memory beyond the live heap's since the last trim,
    /// in bytes, that makes the check trim.
    public var memoryReclaimThreshold: Int = 8 << 20
    /// How long a channel's messages and uploaded files are kept after the channel ends (`nil`: forever, as
    /// upstream). Nothing reaches them through the protocol once the channel ended; the window is for the operator
    /// (abuse reports). Default 24 hours. With retention on, a channel nobody ended is ended once every token of it
    /// has expired and no socket of it is open. See docs/SERVER.md, "Retention".
    public var endedChannelRetention: Duration? = .seconds(86_400)
    /// How often the server deletes what ``endedChannelRetention`` no longer keeps (default 60 s).
    public var retentionSweepInterval: Duration = .seconds(60)

    /// Creates the default configuration.
    public init() {}

    /// The protocol versions a server speaks on its websockets (§2.2).
    public enum ProtocolSupport: String, Sendable, CaseIterable {
        /// v1 and both v2 encodings (the default).
        case v1AndV2 = "v1,v2"
        /// v1 only, as a conforming v1-only server: an offer of v2 subprotocols is refused with 400
        /// `unsupported_version` (RC-VER-NEG-5).
        case v1Only = "v1"
        /// v1 only, like upstream: `Sec-WebSocket-Protocol` is ignored and every websocket speaks v1 (a `101`
        /// without a subprotocol: a v2-only client rejects it, one that speaks v1 too goes on in v1, RC-VER-NEG-6).
        case v1IgnoringSubprotocols = "v1-legacy"
    }

    /// OAuth2 authorization-code settings; any OAuth2/OIDC provider with a userinfo endpoint works.
    public struct OAuthConfiguration: Sendable {
        /// The client id registered with the provider.
        public var clientID: String = ""
        /// The client secret.
        public var clientSecret: String = ""
        /// The provider's authorization endpoint.
        public var authorizationURL: String = "https://accounts.google.com/o/oauth2/auth"
        /// The provider's token endpoint.
        public var tokenURL: String = "https://oauth2.googleapis.com/token"
        /// The provider's userinfo endpoint (JSON with `email`, `name`, `picture`).
        public var userInfoURL: String = "https://www.googleapis.com/oauth2/v3/userinfo"
        /// Where the provider sends the browser back to.
        public var redirectURL: String = "http://localhost:8080/api/user/oauth2/google/callback"
        /// The scopes requested.
        public var scopes: [String] = [
            "https://www.googleapis.com/auth/userinfo.email",
            "https://www.googleapis.com/auth/userinfo.profile",
        ]
        /// Creates the default provider settings (Google).
        public init() {}
    }

    /// Sizes, caps and rates, all bounded.
    public struct Limits: Sendable {
        /// Largest inbound chat websocket message (v1: 4096; larger closes with 1009).
        public var maxChatFrameSize: Int = 4096
        /// Largest inbound match websocket message (v1: 512; larger closes with 1009).
        public var maxMatchFrameSize: Int = 512
        /// Messages a channel may store; further text/file frames are refused.
        public var maxMessagesPerChannel: Int = 5000
        /// Messages per history page.
        public var historyPageSize: Int = 5000
        /// Frames queued for one websocket before it is closed with 4001 (slow consumer).
        public var maxQueuedFrames: Int = 256
        /// Interval of server pings; a peer that misses a pong for one interval is dropped.
        public var pingInterval: Duration = .seconds(30)
        /// Largest upload, for presigned PUT and each multipart request.
        public var maxUploadSize: Int = 64 << 20
        /// What a channel's stored uploads may add up to, in bytes; 0 means no quota (default 1 GiB). Each object
        /// counts as at least 4 KiB; uploads in flight count with their size. Past it, presigns with a `size` and
        /// uploads are refused with 413 `upload_quota_exceeded`, nothing stored.
        public var maxChannelUploadBytes: Int = 1 << 30
        /// Files one multipart request may carry (default 100): more answer 400 `invalid_parameter` and none of the
        /// request's files is kept. Each file is an object on disk and an entry of the answer, so a body of many tiny
        /// parts would otherwise cost far more than its size.
        public var maxFilesPerUpload: Int = 100
        /// Users one block list may hold (default 1,000): blocking one more answers 409 `block_limit_reached`; 0
        /// turns blocking off (every block answers 409). It also bounds the matcher's work: users who all blocked
        /// each other wait unpaired, and there can be at most twice this many of them plus one (lists filled under
        /// a higher limit keep their users, and count with their size).
        public var maxBlocksPerUser: Int = 1_000
        /// Block-list writes (`PUT` and `DELETE`) per second per user (token-bucket refill rate; default 5); past the
        /// burst they answer 429 `rate_limited` with `Retry-After`. Each is a database write.
        public var blockWriteRate: Double = 5
        /// Token-bucket capacity per user for block-list writes (default 50).
        public var blockWriteBurst: Int = 50
        /// Lifetime of presigned upload and download URLs.
        public var presignLifetime: Duration = .seconds(900)
        /// Upload/download presign requests per second per channel (token-bucket refill rate).
        public var uploadRate: Double = 200
        /// Token-bucket capacity per channel.
        public var uploadBurst: Int = 50
        /// Largest inbound v2 websocket message, chat and match (`hello.limits.max_frame_bytes`; default 65536).
        public var maxV2FrameSize: Int = 65_536
        /// Largest v2 text body in UTF-8 bytes (`max_text_bytes`; default 16384).
        public var maxTextBytes: Int = 16_384
        /// v2 sends per connection per second (`max_sends_per_second`; default 20).
        public var maxSendsPerSecond: Int = 20
        /// Unanswered v2 sends a client may have (`max_inflight_sends`; default 100, enforced by clients).
        public var maxInflightSends: Int = 100
        /// Shortest interval between accepted v2 `typing:true` commands of one connection (default 1 s).
        public var typingMinInterval: Duration = .seconds(1)
        /// A v2 typing indicator expires this long after the last `typing:true` (default 5 s).
        public var typingTimeout: Duration = .seconds(5)
        /// Default v2 history page (`history_page_default`; default 50).
        public var historyPageDefault: Int = 50
        /// Largest v2 history page; larger `limit`s are clamped (`history_page_max`; default 500).
        public var historyPageMax: Int = 500
        /// How long resume is guaranteed to work after a disconnect (`resume_window_ms`; default 120 s; in practice
        /// the channel's lifetime).
        public var resumeWindow: Duration = .seconds(120)
        /// Refuse a `resume` (`resumed:false`, reason `too_old`) when the first message the client missed was stored
        /// more than ``resumeWindow`` ago, as a server that trims its replay buffer would (RC-CHAT-RESUME-2). Off by
        /// default (resume then works for the channel's lifetime); tests turn it on to exercise a client's back-fill.
        public var refusesResumeBeyondWindow: Bool = false
        /// How long a v2 match ticket may wait unmatched; `.zero` means forever (default 300 s).
        public var matchWaitTimeout: Duration = .seconds(300)
        /// How long both peers of a v2 proposal have to confirm (default 10 s).
        public var matchConfirmTimeout: Duration = .seconds(10)
        /// How long an HTTP connection may stay idle — before its first byte, or between requests on a kept-alive
        /// connection — before the server closes it (default 75 s: longer than the SDK's HTTP pool keeps an idle
        /// connection, 60 s, so the client closes first). A request or response in progress does not count as idle.
        /// Websockets have their own liveness (pings) instead.
        public var idleTimeout: Duration = .seconds(75)
        /// Creates the default limits.
        public init() {}
    }
}
