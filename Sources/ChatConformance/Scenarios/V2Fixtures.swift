import Foundation

/// Two users matched over v2 match sockets, each with their own v2 token.
public struct V2Pair: Sendable {
    /// The first user.
    public var a: TestUser
    /// The second user.
    public var b: TestUser
    /// A's token (`sub` = A).
    public var tokenA: String
    /// B's token (`sub` = B).
    public var tokenB: String
    /// The channel id (decimal).
    public var channelID: String
}

extension ScenarioContext {
    /// Skips unless the server echoes `rc.v2.json` on a `/api/match` upgrade (a v1-only server refuses or ignores it).
    /// - Throws: ``ScenarioSkip``.
    func requireV2() async throws {
        let user = try await self.signUp("v2probe")
        let (answer, socket) = try await self.rawHandshake(
            "/api/match",
            cookie: user.sid,
            headers: [("Sec-WebSocket-Protocol", V2Encoding.json.rawValue)]
        )
        socket?.drop()
        guard answer.status == 101, answer.header("sec-websocket-protocol") == V2Encoding.json.rawValue else {
            throw ScenarioSkip("server does not offer rc.v2.* (answered \(answer.status))")
        }
    }

    /// Opens a v2 match socket and checks that its first frame is `hello` (RC-MATCH-HELLO-1).
    /// - Parameters:
    ///   - user: The user.
    ///   - encoding: The encoding to offer.
    /// - Returns: The socket and the `hello` body.
    /// - Throws: ``ScenarioFailure``.
    func v2Match(_ user: TestUser, _ encoding: V2Encoding) async throws -> (V2Socket, [String: Any]) {
        let connection = try await self.webSocket(
            "/api/match",
            cookie: user.sid,
            headers: [("Sec-WebSocket-Protocol", encoding.rawValue)]
        )
        let socket = V2Socket(connection: connection, encoding: encoding, isChat: false)
        let first = try await socket.next()
        let hello = try must(first["hello"] as? [String: Any], "first match frame is not hello: \(first)")
        return (socket, hello)
    }

    /// Opens a v2 chat socket with the token in the `Authorization` header; checks `hello` first, then the user's own
    /// WAITING/JOINED (RC-CHAT-HELLO-1/2).
    /// - Parameters:
    ///   - user: The user.
    ///   - token: The user's v2 token.
    ///   - encoding: The encoding to offer.
    /// - Returns: The socket and the `hello` body.
    /// - Throws: ``ScenarioFailure``.
    func v2Chat(_ user: TestUser, _ token: String, _ encoding: V2Encoding) async throws -> (V2Socket, [String: Any]) {
        let connection = try await self.webSocket(
            "/api/chat",
            headers: [("Sec-WebSocket-Protocol", encoding.rawValue), ("Authorization", "Bearer \(token)")]
        )
        let socket = V2Socket(connection: connection, encoding: encoding, isChat: true)
        let first = try await socket.next()
        let hello = try must(first["hello"] as? [String: Any], "first chat frame is not hello: \(first)")
        try await socket.await("presence") { frame in
            let presence = frame["presence"] as? [String: Any]
            return presence?["user_id"] as? String == user.id
                && ["WAITING", "JOINED"].contains(presence?["kind"] as? String ?? "")
        }
        return (socket, hello)
    }

    /// Enqueues on `socket` and returns the `queued` body.
    func enqueue(_ socket: V2Socket, id: Int) async throws -> [String: Any] {
        try await socket.send(["id": id, "enqueue": [String: Any]()])
        let reply = try await socket.await("queued") { $0["id"] as? Int == id }
        return try must(reply["queued"] as? [String: Any], "queued body")
    }

    /// Enqueues A, then B, and waits until they are proposed to each other (re-enqueuing when a departing user of an
    /// earlier scenario was proposed instead). Returns the match id.
    func propose(
        _ a: (TestUser, V2Socket),
        _ b: (TestUser, V2Socket)
    ) async throws -> String {
        for _ in 0..<5 {
            _ = try await self.enqueue(a.1, id: 1)
            _ = try await self.enqueue(b.1, id: 2)
            let proposedA = try await a.1.await("proposed")["proposed"] as? [String: Any]
            if proposedA?["peer_id"] as? String == b.0.id {
                let proposedB = try await b.1.await("proposed")["proposed"] as? [String: Any]
                try check(
                    proposedB?["match_id"] as? String == proposedA?["match_id"] as? String
                        && proposedB?["peer_id"] as? String == a.0.id,
                    "the peers' proposals differ (RC-MATCH-PAIR-1): \(proposedA ?? [:]) vs \(proposedB ?? [:])"
                )
                return try must(proposedA?["match_id"] as? String, "match_id")
            }
            self.note("setup: proposed to a departing user; enqueued again")
            try await a.1.send(["id": 9, "cancel": [String: Any]()])
            try await b.1.send(["id": 9, "cancel": [String: Any]()])
            _ = try await a.1.drain(for: .milliseconds(300))
            _ = try await b.1.drain(for: .milliseconds(300))
        }
        throw ScenarioFailure("A and B were never proposed to each other")
    }

    /// Two fresh users matched over v2 (A on `encodingA`, B on `encodingB`); their match sockets stay open until the
    /// scenario ends.
    func v2Pair(_ encodingA: V2Encoding = .json, _ encodingB: V2Encoding = .proto) async throws -> V2Pair {
        let a = try await self.signUp("alice2")
        let b = try await self.signUp("bob2")
        let (matchA, _) = try await self.v2Match(a, encodingA)
        let (matchB, _) = try await self.v2Match(b, encodingB)
        let matchID = try await self.propose((a, matchA), (b, matchB))
        try await matchA.send(["id": 3, "confirm": ["match_id": matchID]])
        try await matchB.send(["id": 3, "confirm": ["match_id": matchID]])
        let matchedA = try await matchA.await("matched")["matched"] as? [String: Any]
        let matchedB = try await matchB.await("matched")["matched"] as? [String: Any]
        let tokenA = try must(matchedA?["access_token"] as? String, "A's matched token")
        let tokenB = try must(matchedB?["access_token"] as? String, "B's matched token")
        let channel = try must(matchedA?["channel_id"] as? String, "matched.channel_id")
        return V2Pair(a: a, b: b, tokenA: tokenA, tokenB: tokenB, channelID: channel)
    }

    /// Sends a text and returns the `ack` body.
    func v2Send(_ socket: V2Socket, id: Int, key: String, _ text: String) async throws -> [String: Any] {
        try await socket.send(["id": id, "send": ["client_msg_id": key, "text": text]])
        let reply = try await socket.await("ack") { $0["id"] as? Int == id || $0["error"] != nil }
        if let error = reply["error"] { throw ScenarioFailure("send \(key) failed: \(error)") }
        return try must(reply["ack"] as? [String: Any], "ack body")
    }

    /// Sends a command and returns the reply with its `id` (an `error` reply included).
    func v2Command(_ socket: V2Socket, _ frame: [String: Any]) async throws -> [String: Any] {
        let id = try must(frame["id"] as? Int, "command id")
        try await socket.send(frame)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let reply = try await socket.next(timeout: deadline - ContinuousClock.now)
            if reply["id"] as? Int == id { return reply }
        }
        throw ScenarioFailure("no reply to command \(id)")
    }
}

extension JWT {
    /// The payload claims as a dictionary (`ChannelID` as its digits, read without precision loss).
    static func claims(of token: String) -> [String: Any]? {
        guard let text = Self.payloadText(of: token),
            var object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return nil }
        object["ChannelID"] = Self.channelID(of: token)
        return object
    }
}

/// The `code` of an `error` body.
func errorCode(_ frame: [String: Any]) -> String? {
    (frame["error"] as? [String: Any])?["code"] as? String
}
