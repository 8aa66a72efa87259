import ChatProtocol
import Testing

@Suite("Error table")
struct ErrorMappingTests {
    @Test("every code has exactly one row, with a unique v2 number")
    func everyCodeHasOneRow() {
        let codes = ChatError.Code.allCodes
        #expect(ChatError.Code.table.count == codes.count)
        #expect(Set(ChatError.Code.table.map(\.number)).count == codes.count)
        for code in codes {
            #expect(ChatError.Code.table.filter { $0.code == code }.count == 1, "\(code)")
            #expect(ChatError.Code(number: code.mapping.number) == code)
            #expect(ChatError.Code(wireName: code.wireName) == code)
        }
    }

    @Test("upstream msg strings map to the codes a v1 client expects")
    func upstreamMessages() {
        let golden: [(String, ChatError.Code, Int)] = [
            ("invalid parameter", .invalidParameter, 400),
            ("server error", .serverError, 500),
            ("unauthorized", .unauthorized, 401),
            ("token expired", .tokenExpired, 401),
            ("error user not found", .userNotFound, 404),
            ("error channel or user not found", .channelNotFound, 404),
            ("fail to open file", .fileNotReadable, 400),
            ("fail to upload file", .uploadFailed, 500),
            ("no file is received", .noFileReceived, 400),
            ("invalid token", .invalidToken, 401),
            ("error session not found", .sessionNotFound, 401),
            ("error exceed max number of messages", .messageCapReached, 409),
        ]
        for (msg, code, status) in golden {
            #expect(code.mapping.message == msg)
            #expect(code.mapping.httpStatus == status)
            let parsed = ChatError(httpStatus: status, message: msg)
            #expect(parsed.code == code)
            #expect(parsed.message == msg)
        }
        // Ours: the per-channel upload quota has its own text, so a 413 tells a full channel from a large file.
        let quota = ChatError(httpStatus: 413, message: "channel upload quota exceeded")
        #expect(quota.code == .uploadQuotaExceeded)
        #expect(ChatError(httpStatus: 413, message: "file too large").code == .uploadTooLarge)
        #expect(ChatError.Code.uploadQuotaExceeded.mapping.number == 28)
        #expect(!ChatError.Code.uploadQuotaExceeded.mapping.isTemporary)
        // Ours: a full block list is a 409 of its own, not the message cap's.
        #expect(ChatError(httpStatus: 409, message: "block list full").code == .blockLimitReached)
        #expect(ChatError(httpStatus: 409, message: "error exceed max number of messages").code == .messageCapReached)
        #expect(ChatError.Code.blockLimitReached.mapping.number == 29)
        // Upstream's bodyless 401 is an authorisation failure.
        #expect(ChatError(httpStatus: 401, message: nil).code == .unauthorized)
        #expect(ChatError(httpStatus: 429, message: nil).code == .rateLimited)
    }

    @Test("close codes carry the documented reconnect advice")
    func closeCodeAdvice() {
        let golden: [(WebSocketCloseCode, WebSocketCloseCode.ReconnectAdvice, ChatError.Code)] = [
            (.normalClosure, .never, .connectionClosed),
            (.goingAway, .withBackoff, .serverShuttingDown),
            (.abnormalClosure, .withBackoff, .connectionClosed),
            (.messageTooBig, .withBackoff, .messageTooLarge),
            (.internalError, .withBackoff, .serverError),
            (.slowConsumer, .withBackoff, .slowConsumer),
            (.pingTimeout, .withBackoff, .pingTimeout),
            (.tokenExpired, .afterTokenRefresh, .tokenExpired),
            (.rateLimited, .withBackoff, .rateLimited),
            (.matchTimeout, .never, .matchTimeout),
            (.unauthorized, .never, .unauthorized),
            (.channelClosed, .never, .channelClosed),
            (.notMember, .never, .channelNotFound),
            (.unsupportedVersion, .never, .unsupportedVersion),
            (.protocolError, .never, .protocolViolation),
        ]
        for (close, advice, code) in golden {
            #expect(close.reconnectAdvice == advice, "\(close)")
            #expect(close.errorCode == code, "\(close)")
        }
    }
}

@Suite("Version negotiation")
struct VersionNegotiationTests {
    @Test("no subprotocol means v1; the client's first supported offer wins")
    func negotiation() {
        #expect(WebSocketSubprotocol.negotiate(offered: []) == .v1)
        #expect(WebSocketSubprotocol.negotiate(offered: ["rc.v2.proto"]) == .v2Protobuf)
        #expect(WebSocketSubprotocol.negotiate(offered: ["rc.v2.json, rc.v2.proto"]) == .v2JSON)
        #expect(WebSocketSubprotocol.negotiate(offered: ["x", "rc.v2.proto", "rc.v2.json"]) == .v2Protobuf)
        #expect(WebSocketSubprotocol.negotiate(offered: ["chat.example"]) == nil)
        #expect(WebSocketSubprotocol.negotiate(offered: ["rc.v2.proto"], supported: [.v1]) == nil)
        #expect(WebSocketSubprotocol.negotiate(offered: [], supported: [.v2JSON]) == nil)
        #expect(WebSocketSubprotocol.accepted(nil) == .v1)
        #expect(WebSocketSubprotocol.accepted("rc.v2.json") == .v2JSON)
        #expect(WebSocketSubprotocol.accepted("bogus") == nil)
        #expect(NegotiatedProtocol.v2Protobuf.subprotocol == "rc.v2.proto")
        #expect(NegotiatedProtocol.v1.subprotocol == nil)
    }

    @Test("strict decimal ids reject leading zeros, signs and overflow")
    func strictDecimal() {
        #expect(UserID(decimal: "0")?.rawValue == 0)
        #expect(UserID(decimal: "18446744073709551615")?.rawValue == UInt64.max)
        #expect(UserID(decimal: "18446744073709551616") == nil)
        #expect(UserID(decimal: "007") == nil)
        #expect(UserID(decimal: "") == nil)
        #expect(UserID(decimal: "+1") == nil)
        #expect(UserID(decimal: "-1") == nil)
        #expect(UserID(decimal: "1.0") == nil)
        #expect(UserID(decimal: " 1") == nil)
        #expect(ChannelID(decimal: "1847563543227432961")?.description == "1847563543227432961")
    }
}
