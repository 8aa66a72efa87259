/// A websocket close code together with what a client should do after seeing it.
///
/// Codes 1000–1015 are RFC 6455's. Codes 4000–4499 are ours and allow a reconnect; codes 4500–4999 are ours
/// and terminal. The full table, with the reason text each carries, is in `docs/PROTOCOL.md` ("Close codes").
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// What a client should do after a connection closed with a given code.
    public enum ReconnectAdvice: String, Hashable, Sendable {
        /// Do not reconnect: the close was intended, or retrying cannot help.
        case never
        /// Reconnect with exponential backoff (first attempt immediate), honouring any `retry_after_ms`.
        case withBackoff = "with_backoff"
        /// Reconnect only after obtaining a fresh channel token.
        case afterTokenRefresh = "after_token_refresh"
    }

    /// The numeric code carried in the close frame.
    public var rawValue: UInt16

    /// Wraps a numeric close code.
    /// - Parameter rawValue: The code.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the conversation is over (leave, or the client closed on purpose).
    public static let normalClosure = Self(rawValue: 1000)
    /// 1001: the server is shutting down or restarting; reconnect after the advised delay.
    public static let goingAway = Self(rawValue: 1001)
    /// 1002: the peer broke the websocket or chat protocol.
    public static let protocolError = Self(rawValue: 1002)
    /// 1003: a frame of a kind the endpoint does not accept (binary on a JSON connection).
    public static let unsupportedData = Self(rawValue: 1003)
    /// 1005: the close frame had no code (upstream sends this on shutdown).
    public static let noStatusReceived = Self(rawValue: 1005)
    /// 1006: the connection dropped without a close frame (never sent on the wire).
    public static let abnormalClosure = Self(rawValue: 1006)
    /// 1007: a text frame was not valid UTF-8.
    public static let invalidPayload = Self(rawValue: 1007)
    /// 1008: a policy was violated.
    public static let policyViolation = Self(rawValue: 1008)
    /// 1009: a message exceeded the size limit.
    public static let messageTooBig = Self(rawValue: 1009)
    /// 1011: the server failed internally.
    public static let internalError = Self(rawValue: 1011)
    /// 1012: the server is restarting.
    public static let serviceRestart = Self(rawValue: 1012)
    /// 1013: the server is overloaded; try again later.
    public static let tryAgainLater = Self(rawValue: 1013)
    /// 4001: the connection's bounded send queue overflowed because it read too slowly.
    public static let slowConsumer = Self(rawValue: 4001)
    /// 4002: no pong or other frame arrived within the dead-link timeout.
    public static let pingTimeout = Self(rawValue: 4002)
    /// 4003: the channel token expired; reconnect with a fresh token.
    public static let tokenExpired = Self(rawValue: 4003)
    /// 4029: too many frames or connections; reconnect after `retry_after_ms`.
    public static let rateLimited = Self(rawValue: 4029)
    /// 4408: nobody was matched (or the match was not confirmed) within the advertised timeout.
    public static let matchTimeout = Self(rawValue: 4408)
    /// 4500: the credentials were missing, forged or revoked.
    public static let unauthorized = Self(rawValue: 4500)
    /// 4501: the channel was deleted; its tokens no longer work.
    public static let channelClosed = Self(rawValue: 4501)
    /// 4502: the user is not (or no longer) a member of the channel.
    public static let notMember = Self(rawValue: 4502)
    /// 4503: no protocol version in common.
    public static let unsupportedVersion = Self(rawValue: 4503)

    /// What a client should do after the connection closed with this code.
    public var reconnectAdvice: ReconnectAdvice {
        switch self.rawValue {
        case 1000, 1002, 1003, 1007, 1008: .never
        case 4003: .afterTokenRefresh
        case 4408: .never
        case 4000..<4500: .withBackoff
        case 4500..<5000: .never
        // 1001, 1005, 1006, 1009, 1011, 1012, 1013 and anything unknown: the link failed, not the request.
        default: .withBackoff
        }
    }

    /// The error a client reports for this close.
    public var errorCode: ChatError.Code {
        if let row = ChatError.Code.table.first(where: { $0.closeCode == self }) { return row.code }
        switch self.rawValue {
        case 1000: return .connectionClosed
        case 1003, 1007, 1008: return .protocolViolation
        case 1012, 1013: return .serverShuttingDown
        default: return .connectionClosed
        }
    }

    /// The numeric code.
    public var description: String { String(self.rawValue) }
}
