extension ChatError.Code {
    /// One row of the error table: how a ``ChatError/Code`` travels over each channel of the protocol.
    public struct Mapping: Hashable, Sendable {
        /// The code this row describes.
        public var code: ChatError.Code
        /// The value of the code in the v2 protobuf `Error.Code` enum (`proto/randomchat/v2/common.proto`).
        public var number: Int32
        /// The HTTP status a server answers with, or `nil` for client-side codes that never come from a server.
        public var httpStatus: Int?
        /// The text of the `{"msg": …}` body. For codes that exist upstream this is upstream's exact string.
        public var message: String
        /// The websocket close code that ends a connection for this reason, or `nil` when the condition is
        /// reported without closing (an error frame, an HTTP answer).
        public var closeCode: WebSocketCloseCode?
        /// Whether the same request may succeed later without the caller changing anything.
        public var isTemporary: Bool
    }

    /// This code's row of the table.
    public var mapping: Mapping {
        // The table is small and fixed; a linear scan keeps it in one readable literal.
        Self.table.first { $0.code == self }
            ?? Mapping(
                code: self,
                number: 0,
                httpStatus: 500,
                message: "server error",
                closeCode: nil,
                isTemporary: false
            )
    }

    /// The code whose v2 enum value is `number`, if any.
    /// - Parameter number: A v2 `ErrorCode` value.
    public init?(number: Int32) {
        guard let row = Self.table.first(where: { $0.number == number }) else { return nil }
        self = row.code
    }

    /// The single table of code ↔ v2 number ↔ HTTP status ↔ `msg` ↔ close code ↔ temporary, used by server and
    /// SDK alike. Documented in `docs/PROTOCOL.md` ("Errors") and checked by a golden test.
    public static let table: [Mapping] = [
        row(.invalidParameter, 1, 400, "invalid parameter", nil, false),
        row(.unauthorized, 2, 401, "unauthorized", .unauthorized, false),
        row(.invalidToken, 3, 401, "invalid token", .unauthorized, false),
        row(.tokenExpired, 4, 401, "token expired", .tokenExpired, false),
        row(.sessionNotFound, 5, 401, "error session not found", .unauthorized, false),
        row(.userNotFound, 6, 404, "error user not found", nil, false),
        row(.channelNotFound, 7, 404, "error channel or user not found", .notMember, false),
        row(.channelClosed, 8, 410, "channel closed", .channelClosed, false),
        row(.notFound, 9, 404, "not found", nil, false),
        row(.rateLimited, 10, 429, "too many requests", .rateLimited, true),
        row(.messageTooLarge, 11, 413, "message too large", .messageTooBig, false),
        row(.messageCapReached, 12, 409, "error exceed max number of messages", nil, false),
        row(.uploadTooLarge, 13, 413, "file too large", nil, false),
        row(.fileNotReadable, 14, 400, "fail to open file", nil, false),
        row(.noFileReceived, 15, 400, "no file is received", nil, false),
        row(.uploadFailed, 16, 500, "fail to upload file", nil, true),
        row(.protocolViolation, 17, 400, "protocol violation", .protocolError, false),
        row(.unsupportedVersion, 18, 400, "unsupported protocol version", .unsupportedVersion, false),
        row(.matchTimeout, 19, 408, "no match found in time", .matchTimeout, true),
        row(.slowConsumer, 20, nil, "send queue overflow", .slowConsumer, true),
        row(.pingTimeout, 21, nil, "ping timeout", .pingTimeout, true),
        row(.serverShuttingDown, 22, 503, "server shutting down", .goingAway, true),
        row(.serverError, 23, 500, "server error", .internalError, true),
        row(.connectionClosed, 24, nil, "connection closed", nil, true),
        row(.timeout, 25, nil, "timed out", nil, true),
        row(.cancelled, 26, nil, "cancelled", nil, false),
        row(.invalidState, 27, nil, "invalid state", nil, false),
        row(.uploadQuotaExceeded, 28, 413, "channel upload quota exceeded", nil, false),
        row(.blockLimitReached, 29, 409, "block list full", nil, false),
    ]

    private static func row(
        _ code: ChatError.Code,
        _ number: Int32,
        _ httpStatus: Int?,
        _ message: String,
        _ closeCode: WebSocketCloseCode?,
        _ isTemporary: Bool
    ) -> Mapping {
        Mapping(
            code: code,
            number: number,
            httpStatus: httpStatus,
            message: message,
            closeCode: closeCode,
            isTemporary: isTemporary
        )
    }
}

extension ChatError {
    /// Interprets an HTTP error answer: the status plus the `{"msg": …}` text when the body had one.
    ///
    /// Upstream sends many 401s with no body; those map to ``ChatError/Code/unauthorized``.
    /// - Parameters:
    ///   - httpStatus: The response status.
    ///   - message: The `msg` field of the body, or `nil` when the body was empty or not an error body.
    ///   - retryAfter: The `Retry-After` advice, if the response carried one.
    public init(httpStatus: Int, message: String?, retryAfter: Duration? = nil) {
        let code: Code
        if let message, let row = Code.table.first(where: { $0.message == message }) {
            code = row.code
        } else if let row = Code.table.first(where: { $0.httpStatus == httpStatus }) {
            code = row.code
        } else {
            code = httpStatus >= 500 ? .serverError : .invalidParameter
        }
        self.init(code: code, message: message, httpStatus: httpStatus, retryAfter: retryAfter)
    }
}
