import Foundation

/// §5: the match websocket and the wait list, v1.
enum MatchScenarios {
    static let area = "matching"

    /// The members of the channel named by `token`.
    static func members(_ context: ScenarioContext, _ token: String) async throws -> Set<String> {
        let result = try await context.http("GET", "/api/chat/users", headers: context.bearer(token))
        try check(result.status == 200, "GET /api/chat/users: \(result.summary)")
        return Set(result.json?["user_ids"] as? [String] ?? [])
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-MATCH1-3_pairing_one_token",
                area: area,
                section: "§5.2",
                "Two waiting users get one frame {\"access_token\"} each, the same v1 token, and become the members; "
                    + "a frame that also names \"peer_id\" (the reference server's addition) names the other user"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let first = try await context.openMatch(a)
                try await context.pause(.milliseconds(150))
                let second = try await context.openMatch(b)
                let frameA = try await first.nextJSON()
                let frameB = try await second.nextJSON()
                for frame in [frameA, frameB] {
                    let keys = frame.keys.sorted()
                    try check(keys == ["access_token"] || keys == ["access_token", "peer_id"], "frame keys: \(keys)")
                }
                let peers = (frameA["peer_id"], frameB["peer_id"])
                if peers.0 != nil || peers.1 != nil {
                    try check(peers.0 as? String == b.id, "alice's peer_id \(peers.0 ?? "absent"), expected \(b.id)")
                    try check(peers.1 as? String == a.id, "bob's peer_id \(peers.1 ?? "absent"), expected \(a.id)")
                }
                let token = try must(frameA["access_token"] as? String, "access_token")
                try check(token == frameB["access_token"] as? String, "the peers got different tokens")
                let payload = try must(JWT.payloadText(of: token), "a JWT payload")
                try check(JWT.channelID(of: token) != nil, "no numeric ChannelID claim: \(payload)")
                try check(payload.contains(#""exp""#), "no exp claim: \(payload)")
                try check(!payload.contains(#""sub""#), "a v1 token must not carry sub (RC-AUTH-JWT-1): \(payload)")
                let members = try await members(context, token)
                try check(members == [a.id, b.id], "members \(members), expected \([a.id, b.id]) (RC-CHAT-REST-1, D9)")
                return peers.0 == nil ? nil : "with peer_id"
            },
            Scenario(
                "RC-MATCH-BLOCK-1_blocked_pair_never_paired",
                area: area,
                section: "§4.1.7, §5.4",
                "A user blocked with PUT /api/v2/user/blocks/{uid} is never paired with the blocker: a newcomer pairs "
                    + "with the oldest user neither blocked, and an unblock pairs two waiting users at once"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let c = try await context.signUp("carol")
                let bobs = [("Cookie", "sid=\(b.sid)")]
                try await context.blockOrSkip(a, by: b)
                let list = try await context.http("GET", "/api/v2/user/blocks", headers: bobs)
                try check(list.status == 200, "GET /api/v2/user/blocks: \(list.summary)")
                try check(list.json?["user_ids"] as? [String] == [a.id], "block list \(list.text), expected [\(a.id)]")
                let first = try await context.openMatch(a)
                try await context.pause(.milliseconds(150))
                let second = try await context.openMatch(b)
                let early = try await second.drain(for: .milliseconds(500))
                try check(early.isEmpty, "bob was paired although he blocked alice: \(early)")
                // Carol pairs with the oldest of the two (Alice, unless Bob's socket joined the list first); the other
                // keeps waiting.
                let third = try await context.openMatch(c)
                let tokenC = try await context.readToken(third)
                let toAlice = try await first.drain(for: .seconds(1)).compactMap { $0["access_token"] as? String }
                let toBob = try await second.drain(for: .seconds(1)).compactMap { $0["access_token"] as? String }
                try check(
                    (toAlice == [tokenC]) != (toBob == [tokenC]),
                    "carol's token should reach exactly one of alice and bob: alice \(toAlice), bob \(toBob)"
                )
                // The one paired comes back and waits too, still blocked from the other; the unblock pairs them.
                let (waiting, returning) = toAlice == [tokenC] ? (second, a) : (first, b)
                let again = try await context.openMatch(returning)
                let blocked = try await again.drain(for: .milliseconds(500))
                try check(blocked.isEmpty, "alice and bob were paired although bob blocked alice: \(blocked)")
                let unblock = try await context.http("DELETE", "/api/v2/user/blocks/\(a.id)", headers: bobs)
                try check(unblock.status == 204, "DELETE /api/v2/user/blocks: expected 204, got \(unblock.summary)")
                let token = try await context.readToken(waiting)
                try check(token == (try await context.readToken(again)), "alice and bob got different tokens")
                let repeated = try await context.http("DELETE", "/api/v2/user/blocks/\(a.id)", headers: bobs)
                try check(repeated.status == 204, "a second DELETE: expected 204, got \(repeated.summary)")
                return nil
            },
            Scenario(
                "RC-MATCH1-4_close_after_token",
                area: area,
                section: "§5.2",
                "After the token frame the server closes the match socket with 1000 (upstream never closes, D18)"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let first = try await context.openMatch(a)
                try await context.pause(.milliseconds(150))
                let second = try await context.openMatch(b)
                _ = try await context.readToken(first)
                _ = try await context.readToken(second)
                let code: UInt16?
                do { code = try await first.closeCode(within: .seconds(2)) } catch {
                    return try context.upstream("upstream D18: socket left open after the token")
                }
                try check(code == 1000, "close code \(code.map(String.init) ?? "none"), expected 1000")
                return "fixed: closed with 1000"
            },
            Scenario(
                "RC-MATCH1-1_inbound_frames_ignored",
                area: area,
                section: "§5.2",
                "A small frame sent on the match socket is ignored; the user still gets matched"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let first = try await context.openMatch(a)
                try await first.send(#"{"hello":"server"}"#)
                try await context.pause(.milliseconds(150))
                let second = try await context.openMatch(b)
                let token = try await context.readToken(first)
                try check(token == (try await context.readToken(second)), "different tokens")
                return nil
            },
            Scenario(
                "RC-MATCH1-2_second_tab_idempotent",
                area: area,
                section: "§5.2",
                "A second match socket of a waiting user does not pair the user with themselves; every tab gets the token"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let tab1 = try await context.openMatch(a)
                try await context.pause(.milliseconds(150))
                let tab2 = try await context.openMatch(a)
                let early = try await tab2.drain(for: .milliseconds(500))
                try check(early.isEmpty, "a user was matched with themselves (RC-MATCH-SELF-1): \(early)")
                let other = try await context.openMatch(b)
                let tokenB = try await context.readToken(other)
                let token1 = try await context.readToken(tab1)
                let token2 = try await context.readToken(tab2)
                try check(token1 == tokenB && token2 == tokenB, "tabs got different tokens")
                let members = try await members(context, tokenB)
                try check(members == [a.id, b.id], "members \(members)")
                return nil
            },
            Scenario(
                "RC-MATCH1-5_close_while_waiting",
                area: area,
                section: "§5.2",
                "A user who closes the match socket while waiting is not matched afterwards"
            ) { context in
                let ghost = try await context.signUp("ghost")
                let waiting = try await context.openMatch(ghost)
                try await context.pause(.milliseconds(150))
                try await waiting.close()
                _ = try? await waiting.closeCode(within: .seconds(2))
                try await context.pause(.milliseconds(200))
                let pair = try await context.matchedPair()
                let members = try await members(context, pair.token)
                try check(!members.contains(ghost.id), "matched with a user who had left: \(members)")
                return nil
            },
            Scenario(
                "RC-MATCH1-5_drop_while_waiting",
                area: area,
                section: "§5.2",
                "A user whose match socket drops without a close frame leaves the wait list (upstream ghosts, D4)",
                timeout: .seconds(30)
            ) { context in
                let ghost = try await context.signUp("ghost")
                let socket = try await context.rawWebSocket("/api/match", cookie: ghost.sid)
                try await context.pause(.milliseconds(150))
                socket.drop()
                try await context.pause(.milliseconds(300))
                let b = try await context.signUp("bob")
                let c = try await context.signUp("carol")
                let first = try await context.openMatch(b)
                let tokenB = try await context.tryReadToken(first, timeout: .milliseconds(700)).nilOnFailure
                if let tokenB {
                    let members = try await members(context, tokenB)
                    if members.contains(ghost.id) {
                        return try context.upstream("upstream D4: matched with the dropped user")
                    }
                    throw ScenarioFailure("matched with an unexpected channel: \(members)")
                }
                let second = try await context.openMatch(c)
                let token = try await context.readToken(first)
                try check(token == (try await context.readToken(second)), "different tokens")
                return "fixed: the dropped user left the wait list"
            },
            Scenario(
                "RC-MATCH1-5_one_of_two_tabs_closes",
                area: area,
                section: "§5.2",
                "Closing one of two match tabs keeps the user waiting (upstream removes them, D46)"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let tab1 = try await context.openMatch(a)
                let tab2 = try await context.openMatch(a)
                try await context.pause(.milliseconds(150))
                try await tab1.close()
                _ = try? await tab1.closeCode(within: .seconds(2))
                try await context.pause(.milliseconds(200))
                let other = try await context.openMatch(b)
                guard let token = try await context.tryReadToken(other, timeout: .seconds(1)).nilOnFailure else {
                    return try context.upstream("upstream D46: closing one tab removed the user from the wait list")
                }
                try check(token == (try await context.readToken(tab2)), "the remaining tab got another token")
                return "fixed: the remaining tab was matched"
            },
            Scenario(
                "RC-MATCH1-race_concurrent_arrivals",
                area: area,
                section: "§5.2",
                "Six users arriving at once form three channels of two distinct users; nobody is matched twice"
            ) { context in
                try await context.flushWaitList()
                var users: [TestUser] = []
                for index in 0..<6 { users.append(try await context.signUp("racer\(index)")) }
                let sockets = try await withThrowingTaskGroup(of: WSConnection.self) { group in
                    for user in users { group.addTask { try await context.openMatch(user) } }
                    var all: [WSConnection] = []
                    for try await socket in group { all.append(socket) }
                    return all
                }
                var tokens: [String] = []
                for socket in sockets { tokens.append(try await context.readToken(socket)) }
                let distinct = Set(tokens)
                try check(distinct.count == 3, "expected 3 channels, got \(distinct.count)")
                var everyone: Set<String> = []
                for token in distinct {
                    let members = try await members(context, token)
                    try check(members.count == 2, "a channel with members \(members)")
                    try check(everyone.isDisjoint(with: members), "a user is in two channels")
                    everyone.formUnion(members)
                }
                try check(everyone == Set(users.map(\.id)), "members \(everyone) are not the six racers")
                return nil
            },
            Scenario(
                "RC-MATCH1-race_drop_at_pairing",
                area: area,
                section: "§5.2",
                "A waiter who vanishes just as a peer arrives is never handed to the peer as a live match"
            ) { context in
                let a = try await context.signUp("alice")
                let b = try await context.signUp("bob")
                let c = try await context.signUp("carol")
                let socket = try await context.rawWebSocket("/api/match", cookie: a.sid)
                try await context.pause(.milliseconds(150))
                socket.drop(reset: true)
                let second = try await context.openMatch(b)
                if let token = try await context.tryReadToken(second, timeout: .milliseconds(700)).nilOnFailure {
                    let members = try await members(context, token)
                    try check(members == [a.id, b.id], "unexpected members \(members)")
                    return "the drop raced the pairing: matched with the vanished user (allowed, RC-MATCH1-6)"
                }
                let third = try await context.openMatch(c)
                let token = try await context.readToken(third)
                try check(token == (try await context.readToken(second)), "different tokens")
                return "the vanished user was gone before the pairing"
            },
            Scenario(
                "RC-MATCH1-handshake_no_cookie_401",
                area: area,
                section: "§5.1",
                "The match upgrade without a session is refused with 401 before upgrading"
            ) { context in
                let (answer, socket) = try await context.rawHandshake("/api/match")
                socket?.drop()
                try check(answer.status == 401, "expected 401, got \(answer.summary)")
                return nil
            },
            Scenario(
                "RC-MATCH1-handshake_bad_cookie_401",
                area: area,
                section: "§5.1",
                "The match upgrade with an unknown session is refused with 401"
            ) { context in
                let (answer, socket) = try await context.rawHandshake("/api/match", cookie: "bogus")
                socket?.drop()
                try check(answer.status == 401, "expected 401, got \(answer.summary)")
                return nil
            },
            Scenario(
                "RC-MATCH1-handshake_no_failure_spill_D20",
                area: area,
                section: "§5.1",
                "Many bad cookies do not lock out a good one (upstream's circuit breaker, D20)"
            ) { context in
                for _ in 0..<8 {
                    let (answer, socket) = try await context.rawHandshake("/api/match", cookie: "bogus")
                    socket?.drop()
                    try check(answer.status == 401, "bad cookie: \(answer.summary)")
                }
                let user = try await context.signUp("alice")
                let (answer, socket) = try await context.rawHandshake("/api/match", cookie: user.sid)
                socket?.drop()
                try check(answer.status == 101, "a valid session was refused after bad ones: \(answer.summary)")
                return nil
            },
        ]
    }
}

extension Result where Failure == any Error {
    /// The success value, or `nil`.
    var nilOnFailure: Success? { try? self.get() }
}

extension ScenarioContext {
    /// Takes any user still leaving the shared wait list (a previous scenario's socket whose close the server has not
    /// processed yet) out of it: a probe user waits 300 ms and is matched with such a user if one is there.
    func flushWaitList() async throws {
        let probe = try await self.signUp("probe")
        let socket = try await self.openMatch(probe)
        if try await self.tryReadToken(socket, timeout: .milliseconds(300)).nilOnFailure != nil {
            self.note("setup: a departing user was still in the wait list")
        }
        try? await socket.close()
        _ = try? await socket.closeCode(within: .seconds(2))
        try await self.pause(.milliseconds(100))
    }

    /// Reads a token, returning a `Result` instead of failing (for defect-aware scenarios).
    func tryReadToken(_ connection: WSConnection, timeout: Duration) async throws -> Result<String, any Error> {
        do { return .success(try await self.readToken(connection, timeout: timeout)) } catch let error
            as ScenarioFailure
        {
            return .failure(error)
        }
    }
}
