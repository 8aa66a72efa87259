/// An error from the chat service, the protocol, or the client itself.
///
/// One type for server and client alike: the server renders it as an HTTP status with a `{"msg": …}` body,
/// a websocket close code or a v2 error frame; the SDK turns each of those back into the same value, so an
/// app handles one error type whichever way a failure arrived. ``ChatError/Code`` is the stable, machine-
/// readable part; see ``ChatError/Code/mapping`` for the table that links every code to its HTTP status,
/// upstream `msg` string, close code and retry advice.
public struct ChatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A broad, stable classification. New codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        package enum Wrapped: String, Sendable, CaseIterable {
            case invalidParameter = "invalid_parameter"
            case unauthorized = "unauthorized"
            case invalidToken = "invalid_token"
            case tokenExpired = "token_expired"
            case sessionNotFound = "session_not_found"
            case userNotFound = "user_not_found"
            case channelNotFound = "channel_not_found"
            case channelClosed = "channel_closed"
            case notFound = "not_found"
            case rateLimited = "rate_limited"
            case messageTooLarge = "message_too_large"
            case messageCapReached = "message_cap_reached"
            case uploadTooLarge = "upload_too_large"
            case fileNotReadable = "file_not_readable"
            case noFileReceived = "no_file_received"
            case uploadFailed = "upload_failed"
            case protocolViolation = "protocol_violation"
            case unsupportedVersion = "unsupported_version"
            case matchTimeout = "match_timeout"
            case slowConsumer = "slow_consumer"
            case pingTimeout = "ping_timeout"
            case serverShuttingDown = "server_shutting_down"
            case serverError = "server_error"
            case connectionClosed = "connection_closed"
            case timeout = "timeout"
            case cancelled = "cancelled"
            case invalidState = "invalid_state"
            case uploadQuotaExceeded = "upload_quota_exceeded"
            case blockLimitReached = "block_limit_reached"
        }

        package let wrapped: Wrapped

        package init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Parses the snake_case wire name of a code (the `code` field of a v2 error), or returns `nil` for a
        /// name this version does not know.
        /// - Parameter wireName: The name, for example `"rate_limited"`.
        public init?(wireName: String) {
            guard let wrapped = Wrapped(rawValue: wireName) else { return nil }
            self.wrapped = wrapped
        }

        /// The snake_case name used on the wire, for example `"rate_limited"`.
        public var wireName: String { self.wrapped.rawValue }

        /// The snake_case name used on the wire.
        public var description: String { self.wrapped.rawValue }

        /// Every code this version knows, in table order.
        public static var allCodes: [Code] { Wrapped.allCases.map(Code.init) }

        /// A request parameter, body field or frame field was missing or malformed (upstream `"invalid parameter"`).
        public static var invalidParameter: Self { Self(.invalidParameter) }
        /// Authorisation failed: no credentials, or credentials that do not grant this request (upstream
        /// `"unauthorized"`, or a 401 with no body).
        public static var unauthorized: Self { Self(.unauthorized) }
        /// A channel token was malformed, forged or signed with another key.
        public static var invalidToken: Self { Self(.invalidToken) }
        /// A channel token's signature is valid but its `exp` has passed (upstream `"token expired"`).
        public static var tokenExpired: Self { Self(.tokenExpired) }
        /// The session cookie names no live session.
        public static var sessionNotFound: Self { Self(.sessionNotFound) }
        /// The user id is unknown (upstream `"error user not found"`).
        public static var userNotFound: Self { Self(.userNotFound) }
        /// The channel is unknown or the user is not one of its members (upstream
        /// `"error channel or user not found"`).
        public static var channelNotFound: Self { Self(.channelNotFound) }
        /// The channel was deleted: its tokens no longer work and a client must not reconnect to it.
        public static var channelClosed: Self { Self(.channelClosed) }
        /// The path or object does not exist.
        public static var notFound: Self { Self(.notFound) }
        /// Too many requests; wait for ``ChatError/retryAfter`` before trying again.
        public static var rateLimited: Self { Self(.rateLimited) }
        /// A frame or message is larger than the negotiated limit (websocket close 1009).
        public static var messageTooLarge: Self { Self(.messageTooLarge) }
        /// The channel holds its maximum number of messages; nothing more can be stored.
        public static var messageCapReached: Self { Self(.messageCapReached) }
        /// An upload is larger than the advertised maximum upload size.
        public static var uploadTooLarge: Self { Self(.uploadTooLarge) }
        /// A multipart file part could not be read (upstream `"fail to open file"`).
        public static var fileNotReadable: Self { Self(.fileNotReadable) }
        /// A multipart upload carried no file (upstream `"no file is received"`).
        public static var noFileReceived: Self { Self(.noFileReceived) }
        /// The server could not store an uploaded file (upstream `"fail to upload file"`).
        public static var uploadFailed: Self { Self(.uploadFailed) }
        /// The peer sent bytes that do not follow the protocol (a ``WireError`` is the usual cause).
        public static var protocolViolation: Self { Self(.protocolViolation) }
        /// The peer offered no protocol version this side speaks.
        public static var unsupportedVersion: Self { Self(.unsupportedVersion) }
        /// Nobody was matched within the server's advertised wait timeout, or a match was not confirmed in time.
        public static var matchTimeout: Self { Self(.matchTimeout) }
        /// The connection read too slowly and its bounded send queue overflowed; reconnect and resume.
        public static var slowConsumer: Self { Self(.slowConsumer) }
        /// The peer stopped answering pings; the link is considered dead.
        public static var pingTimeout: Self { Self(.pingTimeout) }
        /// The server is shutting down or restarting; reconnect after the advised delay.
        public static var serverShuttingDown: Self { Self(.serverShuttingDown) }
        /// The server failed internally (upstream `"server error"`).
        public static var serverError: Self { Self(.serverError) }
        /// The connection closed, by either side, and the operation cannot complete.
        public static var connectionClosed: Self { Self(.connectionClosed) }
        /// An operation did not complete in time.
        public static var timeout: Self { Self(.timeout) }
        /// The calling task was cancelled.
        public static var cancelled: Self { Self(.cancelled) }
        /// The API was used in a state that does not allow the call (a second iterator, a send on a closed
        /// session, running a client twice); the message says how to fix it.
        public static var invalidState: Self { Self(.invalidState) }
        /// The upload does not fit in what is left of the server's per-channel storage quota; nothing was stored.
        /// Files already shared stay; a smaller file may still fit.
        public static var uploadQuotaExceeded: Self { Self(.uploadQuotaExceeded) }
        /// The user's block list is full (the server's `max_blocks_per_user`); nobody was added. Unblock someone first.
        public static var blockLimitReached: Self { Self(.blockLimitReached) }
    }

    /// The stable classification of the failure.
    public var code: Code
    /// Human-readable text: the server's `{"msg": …}` when one came back, otherwise a description.
    public var message: String
    /// The HTTP status, when the failure came from an HTTP response.
    public var httpStatus: Int?
    /// The websocket close code, when the failure came from a websocket close.
    public var closeCode: UInt16?
    /// How long the server asked the client to wait before retrying, when it said so.
    public var retryAfter: Duration?
    /// The underlying error, for example a ``WireError``. Left out of `==` and `hash(into:)`.
    public var cause: (any Error)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The classification.
    ///   - message: Human-readable text; defaults to the code's standard message.
    ///   - httpStatus: The HTTP status the failure came with, if any.
    ///   - closeCode: The websocket close code the failure came with, if any.
    ///   - retryAfter: The server's retry advice, if any.
    ///   - cause: The underlying error, if any.
    public init(
        code: Code,
        message: String? = nil,
        httpStatus: Int? = nil,
        closeCode: UInt16? = nil,
        retryAfter: Duration? = nil,
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message ?? code.mapping.message
        self.httpStatus = httpStatus
        self.closeCode = closeCode
        self.retryAfter = retryAfter
        self.cause = cause
    }

    /// Whether trying the same operation again later may succeed (network trouble, rate limits, restarts).
    public var isTemporary: Bool { self.code.mapping.isTemporary }

    /// `code: message`, plus the status or close code when there is one.
    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let status = self.httpStatus { text += " (HTTP \(status))" }
        if let close = self.closeCode { text += " (close \(close))" }
        if let cause = self.cause { text += " caused by \(cause)" }
        return text
    }

    /// Compares code, message, status, close code and retry advice; the cause is ignored.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.httpStatus == rhs.httpStatus
            && lhs.closeCode == rhs.closeCode && lhs.retryAfter == rhs.retryAfter
    }

    /// Hashes the same fields `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
        hasher.combine(self.message)
        hasher.combine(self.httpStatus)
        hasher.combine(self.closeCode)
        hasher.combine(self.retryAfter)
    }
}
