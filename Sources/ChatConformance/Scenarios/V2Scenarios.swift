import Foundation

/// The v2 profile (§2.2, §3.3, §5.3–§6.17, §12). Each scenario first checks that the server offers `rc.v2.json` and
/// skips, with the reason, when it does not. Scenarios drive both encodings: where two users take part, one speaks
/// `rc.v2.json` and the other `rc.v2.proto`, and single-socket checks run once per encoding.
enum V2Scenarios {
    static let area = "v2"

    static func scenario(
        _ id: String,
        _ section: String,
        _ summary: String,
        timeout: Duration = .seconds(30),
        _ body: @escaping @Sendable (ScenarioContext) async throws -> String?
    ) -> Scenario {
        Scenario(id, area: area, section: section, summary, profile: .v2, timeout: timeout) { context in
            try await context.requireV2()
            return try await body(context)
        }
    }

    static var all: [Scenario] {
        negotiation + matching + chat + history + compatibility + deadlines + files
    }

    // MARK: Negotiation (§2.2)

    static let negotiation: [Scenario] = [
        scenario("RC-VER-NEG-4_echo_first_supported", "§2.2", "the first supported offered token is echoed") {
            context in
            let user = try await context.signUp("neg")
            let (answer, socket) = try await context.rawHandshake(
                "/api/match",
                cookie: user.sid,
                headers: [("Sec-WebSocket-Protocol", "rc.v9.future, rc.v2.proto, rc.v2.json")]
            )
            socket?.drop()
            try check(answer.status == 101, "expected 101, got \(answer.summary)")
            try check(
                answer.header("sec-websocket-protocol") == "rc.v2.proto",
                "expected rc.v2.proto echoed, got \(answer.header("sec-websocket-protocol") ?? "none")"
            )
            let pair = try await context.v2Pair()
            let (chat, chatSocket) = try await context.rawHandshake(
                "/api/chat",
                headers: [("Sec-WebSocket-Protocol", "rc.v2.json, rc.bearer.\(pair.tokenA)")]
            )
            chatSocket?.drop()
            try check(chat.status == 101, "bearer subprotocol upgrade: expected 101, got \(chat.summary)")
            try check(
                chat.header("sec-websocket-protocol") == "rc.v2.json",
                "RC-VER-NEG-2: only rc.v2.json may be echoed, got \(chat.header("sec-websocket-protocol") ?? "none")"
            )
            return nil
        },
        scenario("RC-VER-NEG-5_unsupported_only_400", "§2.2", "only unsupported tokens: 400 unsupported_version") {
            context in
            let user = try await context.signUp("neg")
            var notes: [String] = []
            for offer in ["rc.v9.future", "rc.bearer.abc"] {
                let (answer, socket) = try await context.rawHandshake(
                    "/api/match",
                    cookie: user.sid,
                    headers: [("Sec-WebSocket-Protocol", offer)]
                )
                socket?.drop()
                try check(answer.status == 400, "offer \(offer): expected 400, got \(answer.summary)")
                if let code = answer.json?["code"] as? String {
                    try check(code == "unsupported_version", "offer \(offer): code \(code)")
                } else {
                    notes.append("offer \(offer): 400 without the error body")
                }
            }
            return notes.isEmpty ? nil : notes.joined(separator: "; ")
        },
        scenario("RC-AUTH-BEARER-3_no_token_in_url", "§3.5", "v2 chat upgrades refuse credentials in the URL") {
            context in
            let pair = try await context.v2Pair()
            let (answer, socket) = try await context.rawHandshake(
                "/api/chat?uid=\(pair.a.id)&access_token=\(pair.tokenA)",
                headers: [("Sec-WebSocket-Protocol", "rc.v2.json")]
            )
            socket?.drop()
            try check(answer.status == 400, "expected 400, got \(answer.summary)")
            let v1Token = try await context.matchedPair().token
            let (noSub, noSubSocket) = try await context.rawHandshake(
                "/api/chat",
                headers: [("Sec-WebSocket-Protocol", "rc.v2.json"), ("Authorization", "Bearer \(v1Token)")]
            )
            noSubSocket?.drop()
            try check(noSub.status != 101, "RC-AUTH-JWT-3: a v1 token (no sub) opened a v2 chat socket")
            return nil
        },
    ]

    // MARK: Matching (§5.3–§5.6)

    static let matching: [Scenario] = [
        scenario("RC-MATCH-HELLO-1_hello_first", "§5.3", "the match socket's first frame is hello (both encodings)") {
            context in
            let user = try await context.signUp("hello")
            for encoding in V2Encoding.allCases {
                let (_, hello) = try await context.v2Match(user, encoding)
                try check(hello["version"] as? Int == 2, "\(encoding.rawValue): hello.version \(hello)")
                try check((hello["ping_interval_ms"] as? Int ?? 0) > 0, "\(encoding.rawValue): no ping_interval_ms")
                try check(hello["match_wait_timeout_ms"] != nil, "\(encoding.rawValue): no match_wait_timeout_ms")
                try check(
                    (hello["match_confirm_timeout_ms"] as? Int ?? 0) > 0,
                    "\(encoding.rawValue): no match_confirm_timeout_ms"
                )
                try check(hello["channel_id"] == nil && hello["epoch"] == nil, "chat-only fields in match hello")
            }
            return nil
        },
        scenario("RC-MATCH-ENQ-1_idempotent_enqueue", "§5.4", "enqueue twice yields the same ticket") { context in
            let user = try await context.signUp("enq")
            let (socket, hello) = try await context.v2Match(user, .json)
            let first = try await context.enqueue(socket, id: 1)
            let second = try await context.enqueue(socket, id: 2)
            try check(first["ticket_id"] as? String != nil, "queued without ticket_id: \(first)")
            try check(first["ticket_id"] as? String == second["ticket_id"] as? String, "enqueue twice: new ticket")
            try check(
                (first["wait_timeout_ms"] as? Int ?? 0) == (hello["match_wait_timeout_ms"] as? Int ?? 0),
                "queued.wait_timeout_ms differs from hello"
            )
            return nil
        },
        scenario("RC-MATCH-CONFIRM-1_match_handshake", "§5.4", "proposed, confirm, matched with per-user tokens") {
            context in
            let pair = try await context.v2Pair(.json, .proto)
            for (user, token) in [(pair.a, pair.tokenA), (pair.b, pair.tokenB)] {
                let claims = try must(JWT.claims(of: token), "token payload")
                try check(claims["sub"] as? String == user.id, "RC-AUTH-JWT-2: sub is not the recipient: \(claims)")
                try check(claims["cid"] as? String == pair.channelID, "cid differs from matched.channel_id")
                try check(claims["ChannelID"] as? String == pair.channelID, "ChannelID differs from cid")
                try check(claims["jti"] as? String != nil && claims["iat"] != nil && claims["exp"] != nil, "claims")
            }
            try check(pair.tokenA != pair.tokenB, "both peers got the same token (each gets their own)")
            let members = try await context.http("GET", "/api/chat/users", headers: context.bearer(pair.tokenA))
            let ids = members.json?["user_ids"] as? [String] ?? []
            try check(Set(ids) == [pair.a.id, pair.b.id], "channel members \(ids)")
            return nil
        },
        scenario("RC-MATCH-CONFIRM-2_stale_confirm", "§5.4", "confirm of an unknown match is NOT_FOUND") { context in
            let user = try await context.signUp("stale")
            let (socket, _) = try await context.v2Match(user, .proto)
            _ = try await context.enqueue(socket, id: 1)
            let reply = try await context.v2Command(socket, ["id": 2, "confirm": ["match_id": "12345"]])
            try check(errorCode(reply) == "NOT_FOUND", "expected error NOT_FOUND, got \(reply)")
            return nil
        },
        scenario("RC-MATCH-CANCEL-1_cancel", "§5.4", "cancel voids the proposal; the peer is requeued at the head") {
            context in
            let a = try await context.signUp("a")
            let b = try await context.signUp("b")
            let (matchA, _) = try await context.v2Match(a, .json)
            let (matchB, _) = try await context.v2Match(b, .proto)
            let matchID = try await context.propose((a, matchA), (b, matchB))
            let ok = try await context.v2Command(matchA, ["id": 5, "cancel": [String: Any]()])
            try check(ok["ok"] != nil, "cancel: expected ok, got \(ok)")
            let voided = try await matchB.await("voided")["voided"] as? [String: Any]
            try check(voided?["reason"] as? String == "peer_cancelled", "voided reason \(voided ?? [:])")
            try check(voided?["requeued"] as? Bool == true, "B not requeued: \(voided ?? [:])")
            let stale = try await context.v2Command(matchA, ["id": 6, "confirm": ["match_id": matchID]])
            try check(errorCode(stale) == "NOT_FOUND", "confirm after cancel: \(stale)")
            // B is at the head: a newcomer is proposed to B.
            let c = try await context.signUp("c")
            let (matchC, _) = try await context.v2Match(c, .json)
            _ = try await context.enqueue(matchC, id: 1)
            let proposed = try await matchC.await("proposed")["proposed"] as? [String: Any]
            try check(proposed?["peer_id"] as? String == b.id, "the newcomer was not proposed to B: \(proposed ?? [:])")
            let again = try await context.v2Command(matchA, ["id": 7, "cancel": [String: Any]()])
            try check(again["ok"] != nil, "cancel without a ticket: expected ok, got \(again)")
            return nil
        },
        scenario(
            "RC-MATCH-BLOCK-1_v2_blocked_pair_never_proposed",
            "§4.1.7, §5.4",
            "v2 users who blocked each other are never proposed; a newcomer is; an unblock proposes them at once"
        ) { context in
            let a = try await context.signUp("a")
            let b = try await context.signUp("b")
            let c = try await context.signUp("c")
            try await context.blockOrSkip(a, by: b)
            let (matchA, hello) = try await context.v2Match(a, .json)
            // 0 is left out of the wire, so a present value is the limit; absent says nothing.
            let advertised = (hello["limits"] as? [String: Any])?["max_blocks_per_user"] as? Int
            let (matchB, _) = try await context.v2Match(b, .proto)
            _ = try await context.enqueue(matchA, id: 1)
            _ = try await context.enqueue(matchB, id: 1)
            func proposed(_ frames: [[String: Any]], to peer: TestUser) -> Bool {
                frames.contains { ($0["proposed"] as? [String: Any])?["peer_id"] as? String == peer.id }
            }
            func neverProposedToEachOther(_ step: String) async throws {
                let toA = try await matchA.drain(for: .milliseconds(400))
                let toB = try await matchB.drain(for: .milliseconds(100))
                try check(!proposed(toA, to: b) && !proposed(toB, to: a), "a blocked pair was proposed \(step)")
            }
            try await neverProposedToEachOther("while both waited")
            // A newcomer is proposed to one of them (the one waiting longer, unless a departing user of an earlier
            // scenario is older still); its cancel requeues that one at the head.
            let (matchC, _) = try await context.v2Match(c, .json)
            _ = try await context.enqueue(matchC, id: 1)
            let offer = try await matchC.await("proposed") { frame in
                let peer = (frame["proposed"] as? [String: Any])?["peer_id"] as? String
                return peer == a.id || peer == b.id
            }
            let cancelled = try await context.v2Command(matchC, ["id": 2, "cancel": [String: Any]()])
            try check(cancelled["ok"] != nil, "cancel: expected ok, got \(cancelled)")
            try await neverProposedToEachOther("after the newcomer's proposal was voided (\(V2Socket.describe(offer)))")
            // Enqueue is idempotent: this changes nothing unless a proposal to a departing user of an earlier scenario
            // timed out and took a ticket away (voided, not requeued).
            _ = try await context.enqueue(matchA, id: 3)
            _ = try await context.enqueue(matchB, id: 3)
            let unblock = try await context.http(
                "DELETE",
                "/api/v2/user/blocks/\(a.id)",
                headers: [("Cookie", "sid=\(b.sid)")]
            )
            try check(unblock.status == 204, "DELETE /api/v2/user/blocks: expected 204, got \(unblock.summary)")
            let toA = try await matchA.await("proposed", timeout: .seconds(3)) { frame in
                (frame["proposed"] as? [String: Any])?["peer_id"] as? String == b.id
            }
            let toB = try await matchB.await("proposed", timeout: .seconds(3)) { frame in
                (frame["proposed"] as? [String: Any])?["peer_id"] as? String == a.id
            }
            let ids = [toA, toB].map { ($0["proposed"] as? [String: Any])?["match_id"] as? String }
            try check(ids[0] != nil && ids[0] == ids[1], "the unblocked pair got different proposals: \(ids)")
            return advertised.map { "advertised max_blocks_per_user \($0)" }
        },
        scenario("RC-MATCH-RACE-1_drop_after_proposed", "§5.5", "a peer dropping after proposed voids it for the other")
        {
            context in
            let a = try await context.signUp("a")
            let b = try await context.signUp("b")
            let (matchA, _) = try await context.v2Match(a, .proto)
            let (matchB, _) = try await context.v2Match(b, .json)
            _ = try await context.propose((a, matchA), (b, matchB))
            try await matchA.connection.close()
            let voided = try await matchB.await("voided")["voided"] as? [String: Any]
            try check(voided?["reason"] as? String == "peer_disconnected", "voided reason \(voided ?? [:])")
            try check(voided?["requeued"] as? Bool == true, "B not requeued: \(voided ?? [:])")
            return nil
        },
        scenario(
            "RC-MATCH-VOID-2_confirm_timeout",
            "§5.4",
            "only one confirms: peer_timeout (requeued) and confirm_timeout",
            timeout: .seconds(60)
        ) { context in
            let a = try await context.signUp("a")
            let b = try await context.signUp("b")
            let (matchA, hello) = try await context.v2Match(a, .json)
            let (matchB, _) = try await context.v2Match(b, .proto)
            let confirmTimeout = hello["match_confirm_timeout_ms"] as? Int ?? 0
            guard confirmTimeout <= 30_000 else { throw ScenarioSkip("match_confirm_timeout_ms over 30 s") }
            let matchID = try await context.propose((a, matchA), (b, matchB))
            let ok = try await context.v2Command(matchA, ["id": 4, "confirm": ["match_id": matchID]])
            try check(ok["ok"] != nil, "confirm: \(ok)")
            let wait = Duration.milliseconds(confirmTimeout + 5000)
            let voidedA = try await matchA.await("voided", timeout: wait)["voided"] as? [String: Any]
            let voidedB = try await matchB.await("voided", timeout: wait)["voided"] as? [String: Any]
            try check(
                voidedA?["reason"] as? String == "peer_timeout" && voidedA?["requeued"] as? Bool == true,
                "the confirming user: \(voidedA ?? [:])"
            )
            try check(
                voidedB?["reason"] as? String == "confirm_timeout" && voidedB?["requeued"] as? Bool != true,
                "the silent user: \(voidedB ?? [:])"
            )
            return nil
        },
        scenario("RC-MATCH-TABS-1_two_tabs", "§5.4", "a second tab's enqueue takes the ticket over") { context in
            let user = try await context.signUp("tabs")
            let (tab1, _) = try await context.v2Match(user, .json)
            let (tab2, _) = try await context.v2Match(user, .proto)
            let first = try await context.enqueue(tab1, id: 1)
            let second = try await context.enqueue(tab2, id: 1)
            try check(first["ticket_id"] as? String == second["ticket_id"] as? String, "takeover changed the ticket")
            let voided = try await tab1.await("voided")["voided"] as? [String: Any]
            try check(voided?["reason"] as? String == "replaced", "old tab: \(voided ?? [:])")
            try check(voided?["requeued"] as? Bool != true, "old tab must not be requeued")
            // The first tab no longer holds the ticket: closing it changes nothing (RC-MATCH-RACE-7).
            try await tab1.connection.close()
            let again = try await context.enqueue(tab2, id: 2)
            try check(again["ticket_id"] as? String == first["ticket_id"] as? String, "ticket lost with the old tab")
            return nil
        },
        scenario("RC-MATCH-NEXT-1_next", "§5.4", "next ends the channel and enqueues; bad tokens change nothing") {
            context in
            let pair = try await context.v2Pair(.json, .proto)
            let (chatB, _) = try await context.v2Chat(pair.b, pair.tokenB, .json)
            let (match, _) = try await context.v2Match(pair.a, .proto)
            let empty = try await context.v2Command(match, ["id": 1, "next": ["access_token": ""]])
            try check(errorCode(empty) == "INVALID_PARAMETER", "empty token: \(empty)")
            let forged = try await context.v2Command(match, ["id": 2, "next": ["access_token": "a.b.c"]])
            try check(errorCode(forged) == "INVALID_TOKEN", "forged token: \(forged)")
            let other = try await context.v2Command(match, ["id": 3, "next": ["access_token": pair.tokenB]])
            try check(errorCode(other) == "UNAUTHORIZED", "another user's token: \(other)")
            let queued = try await context.v2Command(match, ["id": 4, "next": ["access_token": pair.tokenA]])
            try check(queued["queued"] != nil, "next: expected queued, got \(queued)")
            try await chatB.await("presence") {
                ($0["presence"] as? [String: Any])?["kind"] as? String == "LEFT"
            }
            let closed = try await chatB.await("error")
            try check(errorCode(closed) == "CHANNEL_CLOSED", "expected CHANNEL_CLOSED push, got \(closed)")
            let code = try await chatB.connection.closeCode()
            try check(code == 4501, "expected close 4501, got \(code.map(String.init) ?? "none")")
            _ = try await context.v2Command(match, ["id": 5, "cancel": [String: Any]()])
            return nil
        },
        scenario("RC-MATCH-MIX-1_v1_and_v2_wait_list", "§5.6", "a v1 waiter is matched with a v2 user") { context in
            let v1User = try await context.signUp("v1")
            let v2User = try await context.signUp("v2")
            let v1Socket = try await context.openMatch(v1User)
            try await context.pause(.milliseconds(150))
            let (v2Socket, _) = try await context.v2Match(v2User, .json)
            var proposed: [String: Any] = [:]
            for _ in 0..<5 {
                _ = try await context.enqueue(v2Socket, id: 1)
                proposed = try await v2Socket.await("proposed")["proposed"] as? [String: Any] ?? [:]
                if proposed["peer_id"] as? String == v1User.id { break }
                _ = try await context.v2Command(v2Socket, ["id": 9, "cancel": [String: Any]()])
                try await context.pause(.milliseconds(300))
            }
            try check(proposed["peer_id"] as? String == v1User.id, "not proposed to the v1 waiter: \(proposed)")
            try await v2Socket.send(["id": 2, "confirm": ["match_id": proposed["match_id"] ?? ""]])
            let matched = try await v2Socket.await("matched")["matched"] as? [String: Any]
            let v2Token = try must(matched?["access_token"] as? String, "v2 token")
            let v1Token = try await context.readToken(v1Socket)
            try check(JWT.claims(of: v1Token)?["sub"] == nil, "the v1 peer got a token with sub (§3.2)")
            try check(JWT.claims(of: v2Token)?["sub"] as? String == v2User.id, "v2 token sub")
            try check(
                JWT.channelID(of: v1Token) == JWT.channelID(of: v2Token),
                "the two tokens name different channels"
            )
            let code = try await v1Socket.closeCode()
            try check(code == 1000, "v1 match socket: expected close 1000, got \(code.map(String.init) ?? "none")")
            return nil
        },
    ]

    // MARK: Chat (§6.6–§6.17)

    static let chat: [Scenario] = [
        scenario("RC-CHAT-HELLO-1_hello_first", "§6.7", "the chat socket's first frame is hello with limits") {
            context in
            let pair = try await context.v2Pair()
            let expected = try must(JWT.claims(of: pair.tokenA), "token claims")
            for encoding in V2Encoding.allCases {
                let (_, hello) = try await context.v2Chat(pair.a, pair.tokenA, encoding)
                let name = encoding.rawValue
                try check(hello["version"] as? Int == 2, "\(name): version")
                try check(hello["user_id"] as? String == pair.a.id, "\(name): user_id is not the token's sub")
                try check(hello["channel_id"] as? String == pair.channelID, "\(name): channel_id")
                try check(!(hello["epoch"] as? String ?? "").isEmpty, "\(name): empty epoch")
                try check((hello["last_seq"] as? String ?? "0") == "0", "\(name): last_seq of an empty channel")
                try check(
                    hello["token_expires_at"] as? String == "\((expected["exp"] as? Int ?? 0) * 1000)",
                    "\(name): token_expires_at is not exp in ms"
                )
                try check((hello["ping_interval_ms"] as? Int ?? 0) > 0, "\(name): ping_interval_ms")
                try check(hello["resume_window_ms"] as? Int ?? 0 >= 120_000, "\(name): resume_window_ms below 120 s")
                let limits = try must(hello["limits"] as? [String: Any], "\(name): limits")
                // Fields 1-11 are required; 12-14 (upload quota, files per upload, block limit) may be 0, which the
                // wire leaves out, or unknown to a server built to an earlier spec.
                for field in V2Schema.limits.fields where field.number <= 11 && limits[field.name] == nil {
                    throw ScenarioFailure("\(name): limits.\(field.name) missing")
                }
            }
            return nil
        },
        scenario("RC-CHAT-SEND-3_ack_before_push", "§6.8", "send is acked before its message push, pushed to all") {
            context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .proto)
            let (otherA, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            try await a.send(["id": 7, "send": ["client_msg_id": "k1", "text": "hi <3"]])
            var sawAck = false
            var ack: [String: Any] = [:]
            while true {
                let frame = try await a.next()
                if frame["id"] as? Int == 7, let body = frame["ack"] as? [String: Any] {
                    sawAck = true
                    ack = body
                } else if let message = frame["message"] as? [String: Any] {
                    try check(sawAck, "the message push came before the ack (RC-CHAT-SEND-3)")
                    try check(message["seq"] as? String == ack["seq"] as? String, "push seq differs from ack")
                    try check(
                        message["client_msg_id"] == nil,
                        "the push after the ack repeats the client_msg_id on the sending connection: \(message)"
                    )
                    break
                } else if frame["error"] != nil {
                    throw ScenarioFailure("send failed: \(frame)")
                }
            }
            try check(ack["seq"] as? String == "1", "first message of a channel: seq \(ack["seq"] ?? "nil")")
            try check(ack["client_msg_id"] as? String == "k1" && ack["message_id"] != nil, "ack fields \(ack)")
            let pushed = try await b.await("message")["message"] as? [String: Any]
            try check(pushed?["text"] as? String == "hi <3", "peer push text \(pushed ?? [:])")
            try check(pushed?["message_id"] as? String == ack["message_id"] as? String, "peer push message_id")
            try check(pushed?["time"] as? String == ack["time"] as? String, "peer push time differs from ack")
            try check(pushed?["client_msg_id"] == nil, "the peer got the sender's client_msg_id: \(pushed ?? [:])")
            let mine = try await otherA.await("message")["message"] as? [String: Any]
            try check(mine?["client_msg_id"] as? String == "k1", "the author's other connection: \(mine ?? [:])")
            // A send that wants no reply (id 0) is confirmed by its own push, which carries the key.
            try await a.send(["id": 0, "send": ["client_msg_id": "k2", "text": "no reply"]])
            let own = try await a.await("message")["message"] as? [String: Any]
            try check(own?["client_msg_id"] as? String == "k2", "push of a send with id 0: \(own ?? [:])")
            return nil
        },
        scenario("RC-CHAT-SEND-4_idempotent_resend", "§6.8", "a repeated client_msg_id gets the original ack") {
            context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .json)
            let first = try await context.v2Send(a, id: 1, key: "same", "once")
            let second = try await context.v2Send(a, id: 2, key: "same", "once (again)")
            for field in ["seq", "time", "message_id", "client_msg_id"] {
                try check(
                    first[field] as? String == second[field] as? String,
                    "resend: \(field) differs (\(first) vs \(second))"
                )
            }
            let third = try await context.v2Send(a, id: 3, key: "other", "twice")
            try check(third["seq"] as? String == "2", "next message seq \(third["seq"] ?? "nil") (seq is dense)")
            let messages = try await b.drain(for: .seconds(1)).compactMap { $0["message"] as? [String: Any] }
            try check(messages.map { $0["seq"] as? String } == ["1", "2"], "peer saw \(messages)")
            return nil
        },
        scenario("RC-CHAT-SEND-1_invalid_sends", "§6.8", "bad sends get typed errors; the connection stays open") {
            context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let noKey = try await context.v2Command(a, ["id": 1, "send": ["text": "x"]])
            try check(errorCode(noKey) == "INVALID_PARAMETER", "no client_msg_id: \(noKey)")
            let empty = try await context.v2Command(a, ["id": 2, "send": ["client_msg_id": "e", "text": ""]])
            try check(errorCode(empty) == "INVALID_PARAMETER", "empty text: \(empty)")
            let limits = hello["limits"] as? [String: Any] ?? [:]
            let maxText = limits["max_text_bytes"] as? Int ?? 16_384
            if maxText + 100 < limits["max_frame_bytes"] as? Int ?? 65_536 {
                let big = String(repeating: "x", count: maxText + 1)
                let tooBig = try await context.v2Command(a, ["id": 3, "send": ["client_msg_id": "b", "text": big]])
                try check(errorCode(tooBig) == "MESSAGE_TOO_LARGE", "text over max_text_bytes: \(tooBig)")
            }
            let unknown = try await context.v2Command(a, ["id": 4])
            try check(errorCode(unknown) == "INVALID_PARAMETER", "RC-CHAT-ENV-4 empty envelope: \(unknown)")
            let pong = try await context.v2Command(a, ["id": 5, "ping": [String: Any]()])
            try check(pong["pong"] != nil, "RC-CHAT-PING-3: ping → pong, got \(pong)")
            return nil
        },
        scenario("RC-CHAT-SEND-5_message_cap", "§6.8", "beyond max_messages_per_channel: MESSAGE_CAP_REACHED") {
            context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let cap = (hello["limits"] as? [String: Any])?["max_messages_per_channel"] as? Int ?? 0
            guard cap > 0, cap <= 200 else { throw ScenarioSkip("max_messages_per_channel is \(cap) (over 200)") }
            let perSecond = (hello["limits"] as? [String: Any])?["max_sends_per_second"] as? Int ?? 20
            for index in 1...cap {
                _ = try await context.v2Send(a, id: index, key: "m\(index)", "message \(index)")
                if index % max(1, perSecond - 1) == 0 { try await context.pause(.milliseconds(1100)) }
            }
            let over = try await context.v2Command(a, ["id": 999, "send": ["client_msg_id": "over", "text": "x"]])
            try check(errorCode(over) == "MESSAGE_CAP_REACHED", "message \(cap + 1): \(over)")
            let resend = try await context.v2Send(a, id: 1000, key: "m1", "again")
            try check(resend["seq"] as? String == "1", "a resend after the cap still gets its original ack")
            return nil
        },
        scenario("RC-CHAT-SEND-6_rate_limited", "§6.8", "more than max_sends_per_second: RATE_LIMITED + retry") {
            context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let limits = hello["limits"] as? [String: Any] ?? [:]
            let perSecond = limits["max_sends_per_second"] as? Int ?? 20
            let cap = limits["max_messages_per_channel"] as? Int ?? 5000
            guard perSecond < cap else { throw ScenarioSkip("max_sends_per_second \(perSecond) ≥ the message cap") }
            for index in 1...(perSecond + 1) {
                try await a.send(["id": index, "send": ["client_msg_id": "r\(index)", "text": "\(index)"]])
            }
            let replies = try await a.drain(for: .seconds(2)).filter { $0["id"] as? Int != nil }
            let limited = replies.first { errorCode($0) == "RATE_LIMITED" }
            let error = try must(limited?["error"] as? [String: Any], "no RATE_LIMITED among \(replies.count) replies")
            try check(error["temporary"] as? Bool == true, "RATE_LIMITED must be temporary")
            try check((error["retry_after_ms"] as? Int ?? 0) > 0, "RATE_LIMITED without retry_after_ms")
            return nil
        },
        scenario("RC-CHAT-RESUME-1_within_window", "§6.10", "resume replays what was missed, in seq order") {
            context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            for encoding in V2Encoding.allCases {
                let (b, hello) = try await context.v2Chat(pair.b, pair.tokenB, encoding)
                let epoch = try must(hello["epoch"] as? String, "epoch")
                let last = UInt64(hello["last_seq"] as? String ?? "0") ?? 0
                try await b.connection.close()
                _ = try await b.connection.closeCode()
                for index in 1...3 { _ = try await context.v2Send(a, id: index, key: "\(encoding)-\(index)", "m") }
                let (again, hello2) = try await context.v2Chat(pair.b, pair.tokenB, encoding)
                try check(hello2["last_seq"] as? String == "\(last + 3)", "hello.last_seq after 3 sends")
                let reply = try await context.v2Command(
                    again,
                    ["id": 1, "resume": ["after_seq": "\(last)", "epoch": epoch]]
                )
                let resumed = try must(reply["resumed"] as? [String: Any], "resume reply \(reply)")
                try check(resumed["resumed"] as? Bool == true, "\(encoding.rawValue): not resumed: \(resumed)")
                try check(resumed["last_seq"] as? String == "\(last + 3)", "resumed.last_seq \(resumed)")
                var seqs: [String] = []
                while seqs.count < 3 {
                    let message = try await again.await("message")["message"] as? [String: Any]
                    seqs.append(message?["seq"] as? String ?? "?")
                }
                try check(seqs == (1...3).map { "\(last + UInt64($0))" }, "replayed seqs \(seqs)")
            }
            return nil
        },
        scenario("RC-CHAT-RESUME-2_epoch_changed", "§6.10", "resume with another epoch or ahead: resumed:false") {
            context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let epoch = try must(hello["epoch"] as? String, "epoch")
            _ = try await context.v2Send(a, id: 1, key: "x1", "one")
            let other = try await context.v2Command(
                a,
                ["id": 2, "resume": ["after_seq": "1", "epoch": "not-\(epoch)"]]
            )
            let changed = try must(other["resumed"] as? [String: Any], "reply \(other)")
            try check(changed["resumed"] as? Bool != true, "another epoch resumed")
            try check(changed["reason"] as? String == "epoch_changed", "reason \(changed)")
            try check(changed["epoch"] as? String == epoch, "resumed.epoch is not the channel's")
            let ahead = try await context.v2Command(a, ["id": 3, "resume": ["after_seq": "99", "epoch": epoch]])
            let aheadBody = try must(ahead["resumed"] as? [String: Any], "reply \(ahead)")
            try check(aheadBody["reason"] as? String == "ahead_of_server", "after_seq > last_seq: \(aheadBody)")
            let fresh = try await context.v2Command(a, ["id": 4, "resume": [String: Any]()])
            try check((fresh["resumed"] as? [String: Any])?["resumed"] as? Bool == true, "empty resume: \(fresh)")
            let replay = try await a.await("message")["message"] as? [String: Any]
            try check(replay?["seq"] as? String == "1", "RC-CHAT-RESUME-3: full replay starts at seq 1")
            return nil
        },
        scenario("RC-CHAT-STAMP_identity_from_token", "§6.8", "user_id is stamped from the token's sub") { context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .proto)
            // A tries to claim B's identity in the command: the server must ignore it.
            try await a.send(["id": 1, "send": ["client_msg_id": "s1", "text": "me", "user_id": pair.b.id]])
            let pushed = try await b.await("message")["message"] as? [String: Any]
            try check(pushed?["user_id"] as? String == pair.a.id, "message stamped \(pushed?["user_id"] ?? "nil")")
            try await b.send(["typing": ["typing": true]])
            let typing = try await a.await("typing")["typing"] as? [String: Any]
            try check(typing?["user_id"] as? String == pair.b.id, "typing stamped \(typing ?? [:])")
            return nil
        },
        scenario("RC-CHAT-REFRESH-1_token_refresh", "§6.15", "refresh_token mints a new token for the same sub") {
            context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let reply = try await context.v2Command(a, ["id": 1, "refresh_token": [String: Any]()])
            let refreshed = try must(reply["token_refreshed"] as? [String: Any], "reply \(reply)")
            let token = try must(refreshed["access_token"] as? String, "access_token")
            let old = try must(JWT.claims(of: pair.tokenA), "old claims")
            let new = try must(JWT.claims(of: token), "new claims")
            try check(new["sub"] as? String == pair.a.id && new["cid"] as? String == pair.channelID, "claims \(new)")
            try check(new["jti"] as? String != old["jti"] as? String, "refresh kept the jti")
            try check(refreshed["expires_at"] as? String == "\((new["exp"] as? Int ?? 0) * 1000)", "expires_at ≠ exp")
            try check(
                Int(refreshed["expires_at"] as? String ?? "") ?? 0 >= Int(hello["token_expires_at"] as? String ?? "")
                    ?? 0,
                "the new token expires earlier"
            )
            _ = try await context.v2Chat(pair.a, token, .proto)
            let oldStillWorks = try await context.http("GET", "/api/chat/users", headers: context.bearer(pair.tokenA))
            try check(oldStillWorks.status == 200, "RC-AUTH-REFRESH-1: the old token stopped working")
            return nil
        },
        scenario("RC-CHAT-TYPING-1_typing", "§6.12", "typing reaches the peer, not the sender; too fast is limited") {
            context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .proto)
            let ok = try await context.v2Command(a, ["id": 1, "typing": ["typing": true]])
            try check(ok["ok"] != nil, "typing: \(ok)")
            let typing = try await b.await("typing")["typing"] as? [String: Any]
            try check(
                typing?["typing"] as? Bool == true && typing?["user_id"] as? String == pair.a.id,
                "\(typing ?? [:])"
            )
            let fast = try await context.v2Command(a, ["id": 2, "typing": ["typing": true]])
            try check(errorCode(fast) == "RATE_LIMITED", "a second typing:true at once: \(fast)")
            let stop = try await context.v2Command(a, ["id": 3, "typing": [String: Any]()])
            try check(stop["ok"] != nil, "typing:false is never limited: \(stop)")
            let off = try await b.await("typing")["typing"] as? [String: Any]
            try check(off?["typing"] as? Bool != true, "typing:false not relayed: \(off ?? [:])")
            let own = try await a.drain(for: .milliseconds(500)).filter { $0["typing"] != nil }
            try check(own.isEmpty, "the typist received its own typing: \(own)")
            return nil
        },
        scenario("RC-CHAT-SEEN-1_seen", "§6.13", "seen marks the peer's messages and broadcasts once") { context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .proto)
            _ = try await context.v2Send(a, id: 1, key: "s", "read me")
            let ok = try await context.v2Command(b, ["id": 1, "seen": ["up_to_seq": "1"]])
            try check(ok["ok"] != nil, "seen: \(ok)")
            let seen = try await a.await("seen")["seen"] as? [String: Any]
            try check(
                seen?["user_id"] as? String == pair.b.id && seen?["up_to_seq"] as? String == "1",
                "\(seen ?? [:])"
            )
            let repeatOK = try await context.v2Command(b, ["id": 2, "seen": ["up_to_seq": "1"]])
            try check(repeatOK["ok"] != nil, "repeated seen: \(repeatOK)")
            let extra = try await a.drain(for: .milliseconds(500)).filter { $0["seen"] != nil }
            try check(extra.isEmpty, "RC-CHAT-SEEN-2: a non-advancing seen was broadcast")
            let beyond = try await context.v2Command(b, ["id": 3, "seen": ["up_to_seq": "5"]])
            try check(errorCode(beyond) == "INVALID_PARAMETER", "up_to_seq beyond last_seq: \(beyond)")
            return nil
        },
        scenario("RC-CHAT-LEAVE-1_leave", "§6.14", "leave ends the channel: LEFT, CHANNEL_CLOSED, 4501") { context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .json)
            let ok = try await context.v2Command(a, ["id": 9, "leave": [String: Any]()])
            try check(ok["ok"] != nil, "leave: \(ok)")
            for socket in [a, b] {
                let left = try await socket.await("presence") {
                    ($0["presence"] as? [String: Any])?["kind"] as? String == "LEFT"
                }
                try check((left["presence"] as? [String: Any])?["user_id"] as? String == pair.a.id, "LEFT user_id")
                let error = try await socket.await("error")
                try check(errorCode(error) == "CHANNEL_CLOSED", "expected CHANNEL_CLOSED, got \(error)")
                let code = try await socket.connection.closeCode()
                try check(code == 4501, "expected 4501, got \(code.map(String.init) ?? "none")")
            }
            let rest = try await context.http("GET", "/api/chat/users", headers: context.bearer(pair.tokenB))
            try check(rest.status == 401, "RC-AUTH-REVOKE-1: the token still works over REST (\(rest.status))")
            // RC-CHAT-CONNECT-1: a revoked token is upgraded and closed with 4501.
            let connection = try await context.webSocket(
                "/api/chat",
                headers: [("Sec-WebSocket-Protocol", "rc.v2.json"), ("Authorization", "Bearer \(pair.tokenB)")]
            )
            let socket = V2Socket(connection: connection, encoding: .json, isChat: true)
            let pushed = try await socket.next()
            try check(errorCode(pushed) == "CHANNEL_CLOSED", "reconnect with a revoked token: \(pushed)")
            let code = try await connection.closeCode()
            try check(code == 4501, "reconnect: expected 4501, got \(code.map(String.init) ?? "none")")
            return nil
        },
        scenario(
            "RC-USER-DELETE-1_v2_account_deleted",
            "§4.1.8",
            "DELETE /api/v2/user/me: 204; the peer gets LEFT, the chat closes 4501, the match socket 4500, the session ends"
        ) { context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let (b, _) = try await context.v2Chat(pair.b, pair.tokenB, .json)
            // A also waits for another match meanwhile.
            let (matchA, _) = try await context.v2Match(pair.a, .json)
            _ = try await context.enqueue(matchA, id: 1)
            let cookieA = [("Cookie", "sid=\(pair.a.sid)")]
            let deleted = try await context.http("DELETE", "/api/v2/user/me", headers: cookieA)
            if [404, 405].contains(deleted.status) {
                throw ScenarioSkip("no account deletion (upstream has none; answered \(deleted.status))")
            }
            try check(deleted.status == 204, "DELETE /api/v2/user/me: expected 204, got \(deleted.summary)")
            // Any way of clearing it: an empty value, Max-Age=0 or an Expires (attribute names in any case).
            let cleared = deleted.headerList.contains { header, value in
                let cookie = value.lowercased()
                let sid = cookie.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                let emptied = sid == "sid=" || sid == #"sid="""#
                return header.lowercased() == "set-cookie" && cookie.hasPrefix("sid=")
                    && (emptied || cookie.contains("max-age=0") || cookie.contains("expires="))
            }
            try check(cleared, "the sid cookie is not cleared (Set-Cookie: sid=; …; Max-Age=0)")
            let left = try await b.await("presence") {
                ($0["presence"] as? [String: Any])?["kind"] as? String == "LEFT"
            }
            try check((left["presence"] as? [String: Any])?["user_id"] as? String == pair.a.id, "LEFT user_id")
            for (name, socket) in [("the peer's", b), ("the deleted user's", a)] {
                let error = try await socket.await("error")
                try check(errorCode(error) == "CHANNEL_CLOSED", "\(name) chat: expected CHANNEL_CLOSED, got \(error)")
                let code = try await socket.connection.closeCode()
                try check(code == 4501, "\(name) chat: expected 4501, got \(code.map(String.init) ?? "none")")
            }
            let refused = try await matchA.await("error")
            try check(errorCode(refused) == "UNAUTHORIZED", "match socket: expected UNAUTHORIZED, got \(refused)")
            let matchCode = try await matchA.connection.closeCode()
            try check(matchCode == 4500, "match socket: expected 4500, got \(matchCode.map(String.init) ?? "none")")
            let me = try await context.http("GET", "/api/user/me", headers: cookieA)
            try check(me.status == 401, "the deleted user's session still works: \(me.summary)")
            let again = try await context.http("DELETE", "/api/v2/user/me", headers: cookieA)
            try check(again.status == 401, "a second DELETE: expected 401, got \(again.summary)")
            let lookUp = try await context.http(
                "GET",
                "/api/user?uid=\(pair.a.id)",
                headers: [("Cookie", "sid=\(pair.b.sid)")]
            )
            try check(lookUp.status == 404, "the deleted user is still found: \(lookUp.summary)")
            let rest = try await context.http("GET", "/api/chat/users", headers: context.bearer(pair.tokenB))
            try check(rest.status == 401, "the ended channel's token still works over REST (\(rest.status))")
            return nil
        },
        scenario("RC-CHAT-ENV-5_malformed_frames", "§6.6", "undecodable → 1002; wrong frame kind → 1003") { context in
            let pair = try await context.v2Pair()
            let (json, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            try await json.connection.send("{not json")
            let violation = try await json.await("error")
            try check(errorCode(violation) == "PROTOCOL_VIOLATION", "malformed JSON: \(violation)")
            let code = try await json.connection.closeCode()
            try check(code == 1002, "malformed JSON: expected 1002, got \(code.map(String.init) ?? "none")")
            let (proto, _) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            try await proto.connection.send(#"{"id":1,"ping":{}}"#)
            let kind = try await proto.connection.closeCode()
            try check(kind == 1003, "text on rc.v2.proto: expected 1003, got \(kind.map(String.init) ?? "none")")
            return nil
        },
        scenario("RC-CHAT-PING-1_server_pings", "§6.16", "the server sends ping pushes every ping_interval_ms") {
            context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let interval = hello["ping_interval_ms"] as? Int ?? 0
            guard interval > 0, interval <= 10_000 else { throw ScenarioSkip("ping_interval_ms \(interval) over 10 s") }
            try await a.await("ping", timeout: .milliseconds(interval * 2 + 1000))
            try await a.send(["pong": [String: Any]()])
            return nil
        },
    ]

    // MARK: limits and deadlines that end a connection (§5.4, §6.16, §6.17)

    // MARK: Files (§4.4.1, §4.4.4)

    /// Presigns an upload for `token` with the v2 query `query`; returns the URL (checks the 200).
    private static func presign(_ context: ScenarioContext, _ token: String, _ query: String) async throws -> String {
        let presign = try await context.http(
            "GET",
            "/api/uploader/upload/presigned?ext=bin\(query)",
            headers: context.bearer(token)
        )
        try check(presign.status == 200, "presign with \(query): \(presign.summary)")
        return try must(presign.json?["url"] as? String, "url")
    }

    static let files: [Scenario] = [
        scenario(
            "RC-UPL-PRESIGN-1_size_binds_put",
            "§4.4.1",
            "a presign's `size` is the URL's maximum: one byte more is 413 and stores nothing; `size` bytes are stored"
        ) { context in
            let pair = try await context.matchedPair()
            let url = try await presign(context, pair.token, "&size=10")
            let over = try await context.http("PUT", url, body: [UInt8](repeating: 1, count: 11))
            try check(over.status == 413, "a PUT of 11 bytes to a URL presigned for 10: \(over.summary)")
            let exact = try await context.http("PUT", url, body: [UInt8](repeating: 1, count: 10))
            try check((200..<300).contains(exact.status), "a PUT of the presigned 10 bytes: \(exact.summary)")
            let malformed = try await context.http(
                "GET",
                "/api/uploader/upload/presigned?ext=bin&size=ten",
                headers: context.bearer(pair.token)
            )
            try check(malformed.status == 400, "a malformed size: \(malformed.summary)")
            return nil
        },
        scenario(
            "RC-UPL-PRESIGN-1_content_type_binds_put",
            "§4.4.1",
            "a presign's `content_type` binds the PUT: another Content-Type is 400, the bound one is stored"
        ) { context in
            let pair = try await context.matchedPair()
            let url = try await presign(context, pair.token, "&content_type=text/plain")
            let other = try await context.http("PUT", url, headers: [("Content-Type", "image/png")], body: [1])
            try check(other.status == 400, "a PUT with another Content-Type: \(other.summary)")
            let bound = try await context.http("PUT", url, headers: [("Content-Type", "text/plain")], body: [1])
            try check((200..<300).contains(bound.status), "a PUT with the bound Content-Type: \(bound.summary)")
            return nil
        },
    ]

    static let deadlines: [Scenario] = [
        scenario(
            "RC-CHAT-CLOSE-2_v2_oversize_1009",
            "§6.17",
            "a v2 message over max_frame_bytes gets an error push MESSAGE_TOO_LARGE and close 1009"
        ) { context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            let limit = (hello["limits"] as? [String: Any])?["max_frame_bytes"] as? Int ?? 65_536
            guard limit < 1 << 19 else { throw ScenarioSkip("max_frame_bytes \(limit) is over what the suite sends") }
            let padding = String(repeating: "a", count: limit + 1)
            try await a.connection.send(#"{"id":1,"send":{"client_msg_id":"big","text":""# + padding + #""}}"#)
            let error = try await a.await("error")
            try check(errorCode(error) == "MESSAGE_TOO_LARGE", "error push: \(error)")
            let code = try await a.connection.closeCode()
            try check(code == 1009, "close code \(code.map(String.init) ?? "none"), expected 1009")
            return nil
        },
        scenario(
            "RC-CHAT-PING-2_silent_client_4002",
            "§6.16",
            "a v2 client that sends nothing for ping_interval_ms + 10 s is closed with 4002",
            timeout: .seconds(40)
        ) { context in
            let pair = try await context.v2Pair()
            let (a, hello) = try await context.v2Chat(pair.a, pair.tokenA, .proto)
            let interval = hello["ping_interval_ms"] as? Int ?? 0
            guard interval > 0, interval <= 15_000 else { throw ScenarioSkip("ping_interval_ms \(interval) over 15 s") }
            // Never answer the server's pings: after ping_interval_ms + 10 s of silence the server gives up.
            let start = ContinuousClock.now
            let code = try await a.connection.closeCode(within: .milliseconds(interval + 10_000 + 5_000))
            let waited = ContinuousClock.now - start
            try check(code == 4002, "close code \(code.map(String.init) ?? "none"), expected 4002 (ping timeout)")
            try check(waited >= .milliseconds(interval + 10_000 - 1_000), "closed after only \(waited)")
            return nil
        },
        scenario(
            "RC-MATCH-TIMEOUT-1_wait_timeout_4408",
            "§5.4",
            "a ticket not matched within match_wait_timeout_ms ends with error MATCH_TIMEOUT and close 4408",
            timeout: .seconds(40)
        ) { context in
            let user = try await context.signUp("lonely")
            let (socket, hello) = try await context.v2Match(user, .json)
            let wait = hello["match_wait_timeout_ms"] as? Int ?? 0
            guard wait > 0, wait <= 20_000 else {
                throw ScenarioSkip("match_wait_timeout_ms \(wait): 0 (never) or over 20 s")
            }
            let queued = try await context.enqueue(socket, id: 1)
            try check(queued["ticket_id"] != nil, "enqueue: \(queued)")
            let error = try await socket.await("error", timeout: .milliseconds(wait + 5_000))
            try check(errorCode(error) == "MATCH_TIMEOUT", "error push: \(error)")
            let code = try await socket.connection.closeCode()
            try check(code == 4408, "close code \(code.map(String.init) ?? "none"), expected 4408")
            return nil
        },
    ]

    // MARK: v2 history (§4.3)

    static let history: [Scenario] = [
        scenario("RC-HIST2-2_paging", "§4.3", "v2 history pages by seq in both directions") { context in
            let pair = try await context.v2Pair()
            let (a, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            for index in 1...3 { _ = try await context.v2Send(a, id: index, key: "h\(index)", "m\(index)") }
            let path = "/api/v2/chat/channel/messages"
            func page(_ query: String, token: String? = nil) async throws -> [String: Any] {
                let result = try await context.http("GET", path + query, headers: context.bearer(token ?? pair.tokenB))
                try check(result.status == 200, "GET \(query): \(result.summary)")
                return result.json ?? [:]
            }
            func seqs(_ page: [String: Any]) -> [String] {
                (page["messages"] as? [[String: Any]] ?? []).map { $0["seq"] as? String ?? "?" }
            }
            let newest = try await page("?limit=2")
            try check(seqs(newest) == ["2", "3"], "newest two: \(seqs(newest))")
            try check(newest["has_more"] as? Bool == true, "has_more with seq 1 left")
            try check(newest["last_seq"] as? String == "3" && newest["epoch"] as? String != nil, "last_seq/epoch")
            let older = try await page("?before_seq=2")
            try check(seqs(older) == ["1"] && older["has_more"] as? Bool != true, "before_seq=2: \(older)")
            let forward = try await page("?after_seq=1&limit=1")
            try check(seqs(forward) == ["2"], "after_seq=1&limit=1: \(seqs(forward))")
            // client_msg_id is the author's key: A's page carries it, the peer's does not (RC-HIST2-5).
            let first = (newest["messages"] as? [[String: Any]])?.first
            try check(first?["client_msg_id"] == nil && first?["text"] as? String == "m2", "\(first ?? [:])")
            let own = (try await page("?limit=2", token: pair.tokenA)["messages"] as? [[String: Any]])?.first
            try check(own?["client_msg_id"] as? String == "h2" && own?["text"] as? String == "m2", "\(own ?? [:])")
            for bad in ["?before_seq=2&after_seq=1", "?limit=0", "?after_seq=x"] {
                let result = try await context.http("GET", path + bad, headers: context.bearer(pair.tokenB))
                try check(result.status == 400, "GET \(bad): expected 400, got \(result.summary)")
            }
            let v1Token = try await context.matchedPair().token
            let v1 = try await context.http("GET", path, headers: context.bearer(v1Token))
            try check(v1.status == 401, "RC-AUTH-JWT-3: a v1 token on /api/v2: \(v1.summary)")
            let proto = try await context.http(
                "GET",
                path,
                headers: context.bearer(pair.tokenA) + [("Accept", "application/x-protobuf")]
            )
            try check(
                proto.status == 200 && proto.header("content-type")?.hasPrefix("application/x-protobuf") == true,
                "Accept protobuf: \(proto.status) \(proto.header("content-type") ?? "none")"
            )
            let decoded = try ProtoCodec.decode(proto.body, V2Schema.historyPage)
            try check(seqs(decoded) == ["1", "2", "3"], "protobuf page: \(seqs(decoded))")
            return nil
        }
    ]

    // MARK: v1 and v2 in one channel (§12)

    static let compatibility: [Scenario] = [
        scenario("RC-COMPAT-1_mixed_v1_v2_channel", "§12", "v1 and v2 members see each other's activity") { context in
            let pair = try await context.v2Pair()
            let (v2, _) = try await context.v2Chat(pair.a, pair.tokenA, .json)
            // B joins over v1 with its v2 token (uid = sub).
            let v1 = try await context.joinChat(pair.b, pair.tokenB)
            try await v2.await("presence") {
                let presence = $0["presence"] as? [String: Any]
                return presence?["kind"] as? String == "JOINED" && presence?["user_id"] as? String == pair.b.id
            }
            try await context.sendV1(v1, from: pair.b.id, "from v1")
            let fromV1 = try await v2.await("message")["message"] as? [String: Any]
            try check(fromV1?["text"] as? String == "from v1" && fromV1?["seq"] as? String == "1", "\(fromV1 ?? [:])")
            try check(fromV1?["client_msg_id"] == nil, "a v1 message carries a client_msg_id")
            let ack = try await context.v2Send(v2, id: 1, key: "v2key", "from v2")
            try check(ack["seq"] as? String == "2", "seq is shared across versions (RC-COMPAT-1): \(ack)")
            let v1Frame = try await context.awaitFrame(v1, "the v2 message") {
                $0["event"] as? Int == 0 && $0["payload"] as? String == "from v2"
            }
            try check(v1Frame["user_id"] as? String == pair.a.id, "v1 rendering user_id \(v1Frame)")
            try check(v1Frame["message_id"] as? String == ack["message_id"] as? String, "v1 message_id ≠ ack")
            _ = try await context.v2Command(v2, ["id": 2, "typing": ["typing": true]])
            try await context.awaitAction(v1, "istyping", by: pair.a.id)
            let seenID = try must(fromV1?["message_id"] as? String, "message_id")
            _ = try await context.v2Command(v2, ["id": 3, "seen": ["up_to_seq": "1"]])
            let seenV1 = try await context.awaitFrame(v1, "a v1 seen event") { $0["event"] as? Int == 2 }
            try check(
                seenV1["payload"] as? String == seenID && seenV1["user_id"] as? String == pair.b.id,
                "v1 seen event: payload = the message id, user_id = its author (RC-COMPAT-4): \(seenV1)"
            )
            // B (v1) marks A's message seen: the v1 seen frame names the author (A) and the message id.
            try await context.sendV1(v1, from: pair.a.id, ack["message_id"] as? String ?? "", event: 2)
            let seenV2 =
                try await v2.await("seen") {
                    ($0["seen"] as? [String: Any])?["user_id"] as? String == pair.b.id
                }["seen"] as? [String: Any]
            try check(
                seenV2?["user_id"] as? String == pair.b.id && seenV2?["up_to_seq"] as? String == "2",
                "v2 seen for a v1 reader: \(seenV2 ?? [:])"
            )
            let history = try await context.http(
                "GET",
                "/api/chat/channel/messages",
                headers: context.bearer(pair.tokenB)
            )
            let messages = history.json?["messages"] as? [[String: Any]] ?? []
            try check(messages.map { $0["payload"] as? String } == ["from v2", "from v1"], "v1 history \(messages)")
            try await v1.close()
            try await v2.await("presence") { ($0["presence"] as? [String: Any])?["kind"] as? String == "OFFLINE" }
            return nil
        }
    ]
}
