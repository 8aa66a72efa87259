import Foundation

extension ScenarioContext {
    /// Sends a real websocket upgrade for `path` and checks it is refused with `status` (and, when the body is not
    /// empty, `msg`), as §2.4 requires: errors are answered before the upgrade. On a mismatch the failure also says
    /// what the same request without upgrade headers gets, which tells a server's routing from its websocket layer.
    /// - Parameters:
    ///   - path: Path and query.
    ///   - status: The required status.
    ///   - msg: The required `msg` when the body is JSON.
    ///   - cookie: A session id.
    ///   - headers: Extra headers.
    /// - Returns: The answer.
    /// - Throws: ``ScenarioFailure``.
    @discardableResult
    public func expectRefusal(
        _ path: String,
        status: Int,
        msg: String? = nil,
        cookie: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> HandshakeAnswer {
        let (answer, socket) = try await self.rawHandshake(path, cookie: cookie, headers: headers)
        socket?.drop()
        if answer.status != status {
            var plainHeaders = headers
            if let cookie { plainHeaders.append(("Cookie", "sid=\(cookie)")) }
            let plain = try await self.http("GET", path, headers: plainHeaders)
            throw ScenarioFailure(
                "upgrade request: expected \(status), got \(answer.summary); without upgrade headers: \(plain.summary)"
            )
        }
        if let msg, let json = answer.json {
            try check(json["msg"] as? String == msg, "msg must be \"\(msg)\": \(answer.body)")
        }
        return answer
    }

    /// An HS256 token for `channel` with `exp` `expiresIn` seconds from now, signed with the configured secret.
    func mintToken(channel: String, expiresIn: Int) throws -> String {
        let secret = try self.require(self.configuration.jwtSecret, "--jwt-secret")
        let exp = Int(Date().timeIntervalSince1970) + expiresIn
        return JWT.sign(payload: #"{"ChannelID":\#(channel),"exp":\#(exp)}"#, secret: secret)
    }
}

/// §6.1.1 and §3.4–3.5: the v1 chat handshake and every token failure.
enum ChatHandshakeScenarios {
    static let area = "auth"

    static func forged(_ channel: String) -> String {
        JWT.sign(payload: #"{"ChannelID":\#(channel),"exp":4102444800}"#, secret: "not-the-server-secret-0123456789ab")
    }

    static func algNone(_ channel: String) -> String {
        let header = JWT.base64URL(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = JWT.base64URL(Array(#"{"ChannelID":\#(channel),"exp":4102444800}"#.utf8))
        return "\(header).\(payload)."
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-CHAT1-CONNECT_upgrade_101_no_subprotocol",
                area: area,
                section: "§2.2",
                "A v1 chat upgrade succeeds with 101 and no Sec-WebSocket-Protocol header (RC-VER-NEG-3)"
            ) { context in
                let pair = try await context.matchedPair()
                let (answer, socket) = try await context.rawHandshake(context.chatPath(pair.a.id, pair.token))
                socket?.drop()
                try check(answer.status == 101, "expected 101, got \(answer.summary)")
                try check(answer.header("sec-websocket-protocol") == nil, "a subprotocol was echoed to a v1 client")
                return nil
            },
            Scenario(
                "RC-CHAT1-CONNECT_malformed_uid_400",
                area: area,
                section: "§6.1.1",
                "A chat upgrade with uid=abc is refused with 400 \"invalid parameter\""
            ) { context in
                let pair = try await context.matchedPair()
                try await context.expectRefusal("/api/chat?uid=abc&access_token=\(pair.token)", status: 400)
                return nil
            },
            Scenario(
                "RC-CHAT1-CONNECT_unknown_user_404",
                area: area,
                section: "§6.1.1",
                "A chat upgrade for an unknown uid is refused with 404 \"error user not found\""
            ) { context in
                let pair = try await context.matchedPair()
                try await context.expectRefusal(
                    "/api/chat?uid=42&access_token=\(pair.token)",
                    status: 404,
                    msg: "error user not found"
                )
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_missing_token_401",
                area: area,
                section: "§3.5",
                "A chat upgrade without access_token is refused with 401"
            ) { context in
                let pair = try await context.matchedPair()
                try await context.expectRefusal("/api/chat?uid=\(pair.a.id)", status: 401, msg: "unauthorized")
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_malformed_token_401",
                area: area,
                section: "§3.5",
                "A chat upgrade with a token that is not a JWT is refused with 401 \"unauthorized\""
            ) { context in
                let pair = try await context.matchedPair()
                try await context.expectRefusal(
                    "/api/chat?uid=\(pair.a.id)&access_token=x.y.z",
                    status: 401,
                    msg: "unauthorized"
                )
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_forged_token_401",
                area: area,
                section: "§3.4",
                "A chat upgrade with a token signed by another key is refused with 401"
            ) { context in
                let pair = try await context.matchedPair()
                try await context.expectRefusal(
                    "/api/chat?uid=\(pair.a.id)&access_token=\(forged(pair.channelID))",
                    status: 401,
                    msg: "unauthorized"
                )
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_alg_none_401",
                area: area,
                section: "§3.4",
                "A chat upgrade with an unsigned alg:none token is refused with 401"
            ) { context in
                let pair = try await context.matchedPair()
                try await context.expectRefusal(
                    "/api/chat?uid=\(pair.a.id)&access_token=\(algNone(pair.channelID))",
                    status: 401
                )
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-5_expired_token_401",
                area: area,
                section: "§3.5",
                "A chat upgrade with an expired token is refused with 401 \"token expired\", answered once (D1)"
            ) { context in
                let pair = try await context.matchedPair()
                let expired = try context.mintToken(channel: pair.channelID, expiresIn: -60)
                let answer = try await context.expectRefusal(
                    "/api/chat?uid=\(pair.a.id)&access_token=\(expired)",
                    status: 401
                )
                if answer.json == nil && answer.body.contains("token expired") {
                    return try context.upstream("upstream D1: two JSON objects concatenated")
                }
                if let msg = answer.json?["msg"] as? String {
                    try check(msg == "token expired", "msg \(msg)")
                }
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_other_channels_token_404",
                area: area,
                section: "§6.1.1",
                "A chat upgrade with the token of a channel the user is not in is refused with 404"
            ) { context in
                let first = try await context.matchedPair()
                let second = try await context.matchedPair()
                try await context.expectRefusal(
                    "/api/chat?uid=\(first.a.id)&access_token=\(second.token)",
                    status: 404,
                    msg: "error channel or user not found"
                )
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_valid_self_minted_token",
                area: area,
                section: "§3.4",
                "A token minted with the server's secret in upstream's exact shape is accepted (golden Go token shape)"
            ) { context in
                let pair = try await context.matchedPair()
                let token = try context.mintToken(channel: pair.channelID, expiresIn: 3600)
                let chat = try await context.joinChat(pair.a, token)
                try await chat.close()
                return nil
            },
            Scenario(
                "RC-AUTH-BEARER-1_rest_missing_header_401",
                area: area,
                section: "§3.5",
                "GET /api/chat/users without Authorization answers 401"
            ) { context in
                let result = try await context.http("GET", "/api/chat/users")
                try check(result.status == 401, "expected 401, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-AUTH-BEARER-1_rest_wrong_scheme_401",
                area: area,
                section: "§3.5",
                "A token under the Basic scheme answers 401 (upstream accepts any scheme word, D29)"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "GET",
                    "/api/chat/users",
                    headers: [("Authorization", "Basic \(pair.token)")]
                )
                if result.status == 200 { return try context.upstream("upstream D29: any scheme word accepted") }
                try check(result.status == 401, "expected 401, got \(result.summary)")
                return "fixed: Bearer required"
            },
            Scenario(
                "RC-AUTH-BEARER-1_rest_forged_401",
                area: area,
                section: "§3.5",
                "A forged token on REST answers 401, never 5xx"
            ) { context in
                let pair = try await context.matchedPair()
                for path in ["/api/chat/users", "/api/chat/users/online", "/api/chat/channel/messages"] {
                    let result = try await context.http("GET", path, headers: context.bearer(forged(pair.channelID)))
                    try check(result.status == 401, "\(path): expected 401, got \(result.summary)")
                }
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-5_rest_expired_401",
                area: area,
                section: "§3.5",
                "An expired token on REST answers 401 \"token expired\""
            ) { context in
                let pair = try await context.matchedPair()
                let expired = try context.mintToken(channel: pair.channelID, expiresIn: -60)
                let result = try await context.http("GET", "/api/chat/users", headers: context.bearer(expired))
                try check(result.status == 401, "expected 401, got \(result.summary)")
                if result.body.isEmpty { return try context.upstream("upstream: empty 401 body") }
                try check(result.msg == "token expired", "msg: \(result.text)")
                return nil
            },
            Scenario(
                "RC-AUTH-JWT-4_rest_other_channels_token",
                area: area,
                section: "§4.2",
                "A token names only its own channel: another channel's token lists that channel and cannot delete ours"
            ) { context in
                let mine = try await context.matchedPair()
                let other = try await context.matchedPair()
                let members = try await MatchScenarios.members(context, other.token)
                try check(members == [other.a.id, other.b.id], "members \(members)")
                let delete = try await context.http(
                    "DELETE",
                    "/api/chat/channel?delby=\(mine.a.id)",
                    headers: context.bearer(other.token)
                )
                try check(delete.status == 400, "DELETE with another channel's token: \(delete.summary)")
                try check(delete.msg == "error channel or user not found", "msg: \(delete.text)")
                let still = try await MatchScenarios.members(context, mine.token)
                try check(still == [mine.a.id, mine.b.id], "our channel changed: \(still)")
                return nil
            },
            Scenario(
                "RC-AUTH-FWD_forwardauth",
                area: area,
                section: "§4.2.1",
                "ANY /api/chat/forwardauth answers 200 with X-Channel-Id for a valid token and 401 without one"
            ) { context in
                let pair = try await context.matchedPair()
                for method in ["GET", "POST"] {
                    let result = try await context.http(
                        method,
                        "/api/chat/forwardauth",
                        headers: context.bearer(pair.token)
                    )
                    try check(result.status == 200, "\(method): expected 200, got \(result.summary)")
                    try check(result.header("X-Channel-Id") == pair.channelID, "X-Channel-Id \(result.headerList)")
                }
                let denied = try await context.http("GET", "/api/chat/forwardauth")
                try check(denied.status == 401, "without a token: \(denied.summary)")
                return nil
            },
        ]
    }
}
