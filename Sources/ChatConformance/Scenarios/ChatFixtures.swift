import Crypto
import Foundation

/// A guest user the scenario created.
public struct TestUser: Sendable {
    /// The user id (decimal string).
    public var id: String
    /// The session id (`sid` cookie value).
    public var sid: String
}

/// Two users matched into one channel.
public struct MatchedPair: Sendable {
    /// The user who waited.
    public var a: TestUser
    /// The user who arrived second.
    public var b: TestUser
    /// The channel token both received.
    public var token: String
    /// The channel id, from the token's `ChannelID` claim.
    public var channelID: String
}

extension ScenarioContext {
    /// Creates a guest user (`POST /api/user`), remembered for logout at the end.
    /// - Parameter name: The user name.
    /// - Returns: The user.
    /// - Throws: ``ScenarioFailure`` unless the server answers 201 with an id and a `sid` cookie.
    public func signUp(_ name: String = "conformance") async throws -> TestUser {
        let result = try await self.http("POST", "/api/user", body: Array(#"{"name":"\#(name)"}"#.utf8))
        try check(result.status == 201, "POST /api/user: expected 201, got \(result.summary)")
        guard let id = result.json?["id"] as? String else {
            throw ScenarioFailure("POST /api/user: no string id in \(result.text)")
        }
        guard let sid = Self.cookie("sid", in: result) else {
            throw ScenarioFailure("POST /api/user: no sid cookie")
        }
        self.remember(session: sid)
        return TestUser(id: id, sid: sid)
    }

    /// `PUT /api/v2/user/blocks/{blocked}` as `blocker`, the block scenarios' set-up (RC-MATCH-BLOCK-1).
    /// - Parameters:
    ///   - blocked: The user to block.
    ///   - blocker: The user whose list takes them.
    /// - Throws: ``ScenarioSkip`` on a server without block lists (404 other than `user_not_found`; upstream has
    ///   none) or with blocking off (409 `block_limit_reached`: an empty list is full); ``ScenarioFailure`` unless
    ///   204.
    func blockOrSkip(_ blocked: TestUser, by blocker: TestUser) async throws {
        let block = try await self.http(
            "PUT",
            "/api/v2/user/blocks/\(blocked.id)",
            headers: [("Cookie", "sid=\(blocker.sid)")]
        )
        if block.status == 404, block.json?["code"] as? String != "user_not_found" {
            throw ScenarioSkip("no block lists (upstream has none): \(block.summary)")
        }
        if block.status == 409, block.json?["code"] as? String == "block_limit_reached" {
            throw ScenarioSkip("blocking is off (an empty list is full): \(block.summary)")
        }
        try check(block.status == 204, "PUT /api/v2/user/blocks: expected 204, got \(block.summary)")
    }

    /// The value of cookie `name` in the answer's `Set-Cookie` headers.
    static func cookie(_ name: String, in result: HTTPResult) -> String? {
        for (header, value) in result.headerList where header.lowercased() == "set-cookie" {
            let first = value.split(separator: ";").first.map(String.init) ?? ""
            let parts = first.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name { return parts[1] }
        }
        return nil
    }

    /// Opens a match websocket for `user` and returns it (nothing is read).
    /// - Parameter user: The user.
    /// - Returns: The connection.
    /// - Throws: ``ScenarioFailure`` when the upgrade fails.
    public func openMatch(_ user: TestUser) async throws -> WSConnection {
        try await self.webSocket("/api/match", cookie: user.sid)
    }

    /// Reads the match result from a match websocket: one frame `{"access_token"}`.
    /// - Parameters:
    ///   - connection: The match websocket.
    ///   - timeout: How long to wait.
    /// - Returns: The token.
    /// - Throws: ``ScenarioFailure``.
    public func readToken(_ connection: WSConnection, timeout: Duration = .seconds(10)) async throws -> String {
        let frame = try await connection.nextJSON(timeout: timeout)
        guard let token = frame["access_token"] as? String, !token.isEmpty else {
            throw ScenarioFailure("match frame without access_token: \(frame)")
        }
        return token
    }

    /// Matches two fresh users and returns the pair; their match sockets are closed.
    /// - Returns: The pair.
    /// - Throws: ``ScenarioFailure``.
    public func matchedPair() async throws -> MatchedPair {
        let a = try await self.signUp("alice")
        let b = try await self.signUp("bob")
        return try await self.match(a, b)
    }

    /// Matches `a` (who waits first) with `b`.
    /// - Parameters:
    ///   - a: The first user.
    ///   - b: The second user.
    /// - Returns: The pair.
    /// - Throws: ``ScenarioFailure``.
    public func match(_ a: TestUser, _ b: TestUser) async throws -> MatchedPair {
        let first = try await self.openMatch(a)
        try await self.pause(.milliseconds(150))
        let second = try await self.openMatch(b)
        var tokenA = try await self.readToken(first)
        var tokenB = try await self.tryReadToken(second, timeout: .seconds(3)).nilOnFailure
        if tokenB == nil {
            // A was paired with a user still leaving the shared wait list (a previous scenario's socket whose close
            // the server had not processed yet); B is still waiting, so a second tab of A pairs them.
            self.note("setup: the first match went to a departing user; matched again")
            let again = try await self.openMatch(a)
            tokenA = try await self.readToken(again)
            tokenB = try await self.readToken(second)
            try? await again.close()
        }
        try check(tokenA == tokenB, "the two peers of a v1 match got different tokens (RC-MATCH1-3)")
        try? await first.close()
        try? await second.close()
        guard let channel = JWT.channelID(of: tokenA) else {
            throw ScenarioFailure("token has no numeric ChannelID claim: \(JWT.payloadText(of: tokenA) ?? tokenA)")
        }
        return MatchedPair(a: a, b: b, token: tokenA, channelID: channel)
    }

    /// The v1 chat websocket path for `user` with `token`.
    /// - Parameters:
    ///   - user: The user id.
    ///   - token: The token.
    /// - Returns: The path and query.
    public func chatPath(_ user: String, _ token: String) -> String {
        "/api/chat?uid=\(user)&access_token=\(token)"
    }

    /// Opens a v1 chat websocket and checks that its first frame is the user's own `waiting` or `joined`.
    /// - Parameters:
    ///   - user: The user.
    ///   - token: The channel token.
    ///   - expect: The expected first action, or `nil` to accept either.
    /// - Returns: The connection.
    /// - Throws: ``ScenarioFailure``.
    public func joinChat(_ user: TestUser, _ token: String, expect: String? = nil) async throws -> WSConnection {
        let connection = try await self.webSocket(self.chatPath(user.id, token))
        let first = try await connection.nextJSON()
        let payload = first["payload"] as? String
        try check(
            first["event"] as? Int == 1 && first["user_id"] as? String == user.id
                && (payload == "waiting" || payload == "joined"),
            "first chat frame should be the user's own waiting/joined (RC-CHAT1-CONNECT-1), got \(first)"
        )
        if let expect { try check(payload == expect, "expected \(expect) on connect, got \(payload ?? "nil")") }
        return connection
    }

    /// Reads frames until one matches `predicate`, failing after `timeout`.
    /// - Parameters:
    ///   - connection: The connection.
    ///   - what: A description for the failure message.
    ///   - timeout: How long to wait in total.
    ///   - predicate: The condition.
    /// - Returns: The matching frame.
    /// - Throws: ``ScenarioFailure``.
    public func awaitFrame(
        _ connection: WSConnection,
        _ what: String,
        timeout: Duration = .seconds(10),
        where predicate: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var seen: [String] = []
        while ContinuousClock.now < deadline {
            guard let frame = try await connection.nextOrTimeout(deadline - ContinuousClock.now) else { break }
            guard case .text(let text)? = frame else {
                if frame == nil { throw ScenarioFailure("connection closed while waiting for \(what); saw \(seen)") }
                continue
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                seen.append(text)
                continue
            }
            if predicate(object) { return object }
            seen.append(text)
        }
        throw ScenarioFailure("no \(what) within \(timeout); saw \(seen.suffix(5))")
    }

    /// Waits for an action frame (`event` 1) with `payload` by `user`.
    /// - Parameters:
    ///   - connection: The connection.
    ///   - payload: The action.
    ///   - user: The user id.
    ///   - timeout: How long to wait.
    /// - Returns: The frame.
    /// - Throws: ``ScenarioFailure``.
    @discardableResult
    public func awaitAction(
        _ connection: WSConnection,
        _ payload: String,
        by user: String,
        timeout: Duration = .seconds(10)
    ) async throws -> [String: Any] {
        try await self.awaitFrame(connection, "\(payload) by \(user)", timeout: timeout) {
            $0["event"] as? Int == 1 && $0["payload"] as? String == payload && $0["user_id"] as? String == user
        }
    }

    /// Sends a v1 text frame from `user`.
    /// - Parameters:
    ///   - connection: The connection.
    ///   - user: The user id in the frame.
    ///   - text: The text.
    ///   - event: The event number.
    /// - Throws: When the connection is closed.
    public func sendV1(_ connection: WSConnection, from user: String, _ text: String, event: Int = 0) async throws {
        try await connection.send(#"{"event":\#(event),"user_id":"\#(user)","payload":\#(JSONText.quote(text))}"#)
    }

    /// Sends a text message and returns its broadcast as seen on `connection` (the sender's own).
    /// - Parameters:
    ///   - connection: The sender's connection.
    ///   - user: The sender.
    ///   - text: The text.
    /// - Returns: The broadcast frame.
    /// - Throws: ``ScenarioFailure``.
    public func say(_ connection: WSConnection, from user: String, _ text: String) async throws -> [String: Any] {
        try await self.sendV1(connection, from: user, text)
        return try await self.awaitFrame(connection, "the echo of \(text)") {
            $0["event"] as? Int == 0 && $0["payload"] as? String == text
        }
    }

    /// `Authorization: Bearer <token>`.
    /// - Parameter token: The token.
    /// - Returns: The header list.
    public func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

    /// Asserts that nothing matching `predicate` arrives on `connection` within `duration`.
    /// - Parameters:
    ///   - connection: The connection.
    ///   - duration: How long to listen.
    ///   - predicate: The frames that must not arrive.
    /// - Returns: The offending frame, if one arrived.
    /// - Throws: Cancellation.
    public func unwanted(
        _ connection: WSConnection,
        within duration: Duration = .milliseconds(700),
        where predicate: ([String: Any]) -> Bool
    ) async throws -> [String: Any]? {
        try await connection.drain(for: duration).first(where: predicate)
    }
}

/// JSON string quoting for hand-written frames.
enum JSONText {
    static func quote(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        let array = String(decoding: data ?? Data(), as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}

/// Minimal JWT handling: read claims, mint HS256 tokens with a known or a wrong secret.
public enum JWT {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: some StringProtocol) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }

    /// The payload segment as text.
    /// - Parameter token: A compact JWS.
    /// - Returns: The payload JSON text.
    public static func payloadText(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Self.decodeBase64URL(parts[1]) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The `ChannelID` claim's digits, read as text so no precision is lost.
    /// - Parameter token: A compact JWS.
    /// - Returns: The decimal channel id.
    public static func channelID(of token: String) -> String? {
        guard let payload = Self.payloadText(of: token),
            let range = payload.range(of: #""ChannelID"\s*:\s*"?[0-9]+"#, options: .regularExpression)
        else { return nil }
        return String(payload[range].filter(\.isNumber))
    }

    /// Mints an HS256 token.
    /// - Parameters:
    ///   - payload: The payload JSON text.
    ///   - secret: The HMAC key.
    ///   - header: The header JSON text.
    /// - Returns: The compact JWS.
    public static func sign(
        payload: String,
        secret: String,
        header: String = #"{"alg":"HS256","typ":"JWT"}"#
    ) -> String {
        let input = Self.base64URL(Array(header.utf8)) + "." + Self.base64URL(Array(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return input + "." + Self.base64URL(Array(mac))
    }
}
