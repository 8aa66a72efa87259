import Foundation

/// §6.2–§6.4: v1 chat frames, events, their order, typing, seen, presence and frame validation.
enum ChatEventScenarios {
    static let area = "chat"

    /// A matched pair with both users on the chat socket; A joined first (waiting), then B (joined).
    static func connected(_ context: ScenarioContext) async throws -> (MatchedPair, WSConnection, WSConnection) {
        let pair = try await context.matchedPair()
        let a = try await context.joinChat(pair.a, pair.token, expect: "waiting")
        let b = try await context.joinChat(pair.b, pair.token, expect: "joined")
        try await context.awaitAction(a, "joined", by: pair.b.id)
        return (pair, a, b)
    }

    static func isText(_ text: String) -> ([String: Any]) -> Bool {
        { $0["event"] as? Int == 0 && $0["payload"] as? String == text }
    }

    static func history(_ context: ScenarioContext, _ token: String, ps: String = "") async throws -> [String: Any] {
        let result = try await context.http(
            "GET",
            "/api/chat/channel/messages" + (ps.isEmpty ? "" : "?ps=\(ps)"),
            headers: context.bearer(token)
        )
        try check(result.status == 200, "history: \(result.summary)")
        return try must(result.json, "a JSON history page")
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-CHAT1-CONNECT-1_waiting_then_joined",
                area: area,
                section: "§6.4",
                "The first user gets its own waiting; the second gets its own joined, which the first also receives"
            ) { context in
                _ = try await connected(context)
                return nil
            },
            Scenario(
                "RC-CHAT1-SEND_text_frame_shape",
                area: area,
                section: "§6.2",
                "A text is broadcast to both, sender included, in upstream's field order with a string id"
            ) { context in
                let (pair, a, b) = try await connected(context)
                try await context.sendV1(b, from: pair.b.id, "hello <&>")
                let raw = try await context.awaitFrame(a, "the text") { isText("hello <&>")($0) }
                let own = try await context.awaitFrame(b, "the echo") { isText("hello <&>")($0) }
                try check(raw["message_id"] as? String == own["message_id"] as? String, "different ids")
                let id = try must(raw["message_id"] as? String, "string message_id")
                try check(!id.isEmpty && id.allSatisfy(\.isNumber), "message_id \(id)")
                try check(raw["user_id"] as? String == pair.b.id, "user_id \(raw)")
                try check(raw["seen"] as? Bool == false, "seen \(raw)")
                try check(raw["time"] is Int, "time must be an integer of ms: \(raw)")
                return nil
            },
            Scenario(
                "RC-CHAT1-SEND_field_order_and_escaping",
                area: area,
                section: "§1.6",
                "Server frames are compact Go JSON: message_id,event,user_id,payload,seen,time and <,>,& escaped"
            ) { context in
                let (pair, a, _) = try await connected(context)
                try await context.sendV1(a, from: pair.a.id, "a<b>&c")
                var text = ""
                for _ in 0..<10 {
                    text = try await a.nextText()
                    if text.contains(#""event":0"#) { break }
                }
                let keys = ["message_id", "event", "user_id", "payload", "seen", "time"].map { "\"\($0)\":" }
                let positions = keys.map { text.range(of: $0)?.lowerBound }
                try check(positions.allSatisfy { $0 != nil }, "missing keys in \(text)")
                let ordered = positions.compactMap { $0 }
                try check(ordered == ordered.sorted(), "field order differs from upstream's: \(text)")
                try check(!text.contains(": ") && !text.contains(", "), "not compact: \(text)")
                try check(text.contains(#"a\u003cb\u003e\u0026c"#), "<, >, & must be \\u-escaped as Go does: \(text)")
                return nil
            },
            Scenario(
                "RC-CHAT1-ORDER-1_one_global_order",
                area: area,
                section: "§6.4",
                "Both connections see every message exactly once and in the same order, under concurrent sending",
                timeout: .seconds(30)
            ) { context in
                let (pair, a, b) = try await connected(context)
                let count = min(15, ((context.configuration.messageCap ?? 5000) - 2) / 2)  // stay under the cap
                async let sendA: Void = {
                    for index in 0..<count { try await context.sendV1(a, from: pair.a.id, "a\(index)") }
                }()
                async let sendB: Void = {
                    for index in 0..<count { try await context.sendV1(b, from: pair.b.id, "b\(index)") }
                }()
                try await sendA
                try await sendB
                func collect(_ connection: WSConnection) async throws -> [String] {
                    var ids: [String] = []
                    while ids.count < 2 * count {
                        let frame = try await connection.nextJSON()
                        if frame["event"] as? Int == 0, let payload = frame["payload"] as? String {
                            ids.append(payload)
                        }
                    }
                    return ids
                }
                let seenByA = try await collect(a)
                let seenByB = try await collect(b)
                try check(seenByA == seenByB, "orders differ:\n A \(seenByA)\n B \(seenByB)")
                try check(Set(seenByA).count == 2 * count, "duplicates: \(seenByA)")
                let fromA = seenByA.filter { $0.hasPrefix("a") }
                try check(fromA == (0..<count).map { "a\($0)" }, "one sender's messages reordered: \(fromA)")
                let extra = try await a.drain(for: .milliseconds(300)).filter { $0["event"] as? Int == 0 }
                try check(extra.isEmpty, "duplicate deliveries (D16): \(extra)")
                return nil
            },
            Scenario(
                "RC-CHAT1-TYPING_relayed_to_both",
                area: area,
                section: "§6.3",
                "istyping and endtyping are relayed to every connection, the typist's included"
            ) { context in
                let (pair, a, b) = try await connected(context)
                for action in ["istyping", "endtyping"] {
                    try await context.sendV1(b, from: pair.b.id, action, event: 1)
                    try await context.awaitAction(a, action, by: pair.b.id)
                    try await context.awaitAction(b, action, by: pair.b.id)
                }
                return nil
            },
            Scenario(
                "RC-CHAT1-SEEN-1_author_in_user_id",
                area: area,
                section: "§6.3",
                "A seen frame is broadcast with seen:true and the author's user_id; history shows the flag"
            ) { context in
                let (pair, a, b) = try await connected(context)
                let message = try await context.say(a, from: pair.a.id, "read me")
                let id = try must(message["message_id"] as? String, "message_id")
                try await context.sendV1(b, from: pair.a.id, id, event: 2)
                let seen = try await context.awaitFrame(a, "the seen event") { $0["event"] as? Int == 2 }
                try check(seen["user_id"] as? String == pair.a.id, "seen user_id must be the author: \(seen)")
                try check(seen["payload"] as? String == id, "payload \(seen)")
                try check(seen["seen"] as? Bool == true, "seen flag \(seen)")
                _ = try await context.awaitFrame(b, "the seen event on the reader") { $0["event"] as? Int == 2 }
                let page = try await history(context, pair.token)
                let stored = (page["messages"] as? [[String: Any]] ?? []).first { $0["message_id"] as? String == id }
                try check(stored?["seen"] as? Bool == true, "history does not show the message as seen: \(page)")
                return nil
            },
            Scenario(
                "RC-CHAT1-AUTH-3_own_message_seen_dropped",
                area: area,
                section: "§6.3",
                "An author marking their own message seen is dropped (upstream accepts, D12)"
            ) { context in
                let (pair, a, b) = try await connected(context)
                let message = try await context.say(a, from: pair.a.id, "mine")
                let id = try must(message["message_id"] as? String, "message_id")
                try await context.sendV1(a, from: pair.a.id, id, event: 2)
                if try await context.unwanted(b, where: { $0["event"] as? Int == 2 }) != nil {
                    return try context.upstream("upstream D12: the author's own seen was accepted")
                }
                return "fixed: dropped"
            },
            Scenario(
                "RC-CHAT1-AUTH-3_unknown_id_seen_no_phantom",
                area: area,
                section: "§6.3",
                "Seen for an unknown message id creates no phantom history row (upstream does, D12)"
            ) { context in
                let (pair, _, b) = try await connected(context)
                try await context.sendV1(b, from: pair.a.id, "123456789", event: 2)
                try await context.pause(.milliseconds(300))
                let messages = try await history(context, pair.token)["messages"] as? [[String: Any]] ?? []
                if !messages.isEmpty { return try context.upstream("upstream D12: phantom row \(messages)") }
                return "fixed: no phantom row"
            },
            Scenario(
                "RC-CHAT1-AUTH-1_spoofed_user_id_dropped",
                area: area,
                section: "§6.3",
                "A text posted under the peer's user_id is dropped (upstream relays it, D3)"
            ) { context in
                let (pair, a, b) = try await connected(context)
                try await context.sendV1(a, from: pair.b.id, "impersonation")
                if try await context.unwanted(b, where: isText("impersonation")) != nil {
                    return try context.upstream("upstream D3: posted as the peer")
                }
                return "fixed: dropped"
            },
            Scenario(
                "RC-CHAT1-AUTH-2_client_leaved_dropped",
                area: area,
                section: "§6.3",
                "A client-sent leaved or offline action is not relayed (upstream relays it, D3)"
            ) { context in
                let (pair, a, b) = try await connected(context)
                try await context.sendV1(a, from: pair.a.id, "leaved", event: 1)
                try await context.sendV1(a, from: pair.a.id, "offline", event: 1)
                let relayed = try await context.unwanted(b) {
                    $0["event"] as? Int == 1 && ["leaved", "offline"].contains($0["payload"] as? String ?? "")
                }
                if relayed != nil { return try context.upstream("upstream D3: relayed \(relayed ?? [:])") }
                try check(!b.isEnded, "the connection was closed")
                return "fixed: dropped"
            },
            Scenario(
                "RC-CHAT1-IN-1_case_insensitive_keys",
                area: area,
                section: "§6.2",
                "Inbound keys match case-insensitively and unknown keys are ignored, as Go decodes"
            ) { context in
                let (pair, a, b) = try await connected(context)
                try await a.send(#"{"Event":0,"USER_ID":"\#(pair.a.id)","Payload":"mixed case","extra":[1,2]}"#)
                _ = try await context.awaitFrame(b, "the mixed-case text", where: isText("mixed case"))
                return nil
            },
            Scenario(
                "RC-CHAT1-IN-2_malformed_frames_dropped",
                area: area,
                section: "§6.2",
                "Non-JSON, wrong types and unknown events are dropped without an answer; the connection stays open"
            ) { context in
                let (pair, a, b) = try await connected(context)
                let bad = [
                    "not json",
                    #"{"event":"0","user_id":"\#(pair.a.id)","payload":"string event"}"#,
                    #"{"event":0,"user_id":\#(pair.a.id),"payload":"numeric user"}"#,
                    #"{"event":0,"user_id":"\#(pair.a.id)","payload":7}"#,
                    #"{"event":9,"user_id":"\#(pair.a.id)","payload":"unknown event"}"#,
                    #"{"event":0,"user_id":"\#(pair.a.id)","payload":"bad seen","seen":"yes"}"#,
                    "[]",
                ]
                for frame in bad { try await a.send(frame) }
                try await context.sendV1(a, from: pair.a.id, "still here")
                let frames = try await b.drain(for: .milliseconds(800))
                let texts = frames.filter { $0["event"] as? Int == 0 }.compactMap { $0["payload"] as? String }
                try check(texts == ["still here"], "expected only the valid text, got \(texts)")
                try check(!a.isEnded, "the sender was disconnected")
                return nil
            },
            Scenario(
                "RC-VER-FRAME-1_binary_ignored",
                area: area,
                section: "§2.3",
                "An inbound binary frame is ignored and the connection stays open"
            ) { context in
                let (pair, a, b) = try await connected(context)
                try await a.send(binary: Array(#"{"event":0,"user_id":"\#(pair.a.id)","payload":"bin"}"#.utf8))
                try await context.sendV1(a, from: pair.a.id, "after binary")
                let frames = try await b.drain(for: .milliseconds(700))
                let texts = frames.filter { $0["event"] as? Int == 0 }.compactMap { $0["payload"] as? String }
                try check(texts == ["after binary"], "got \(texts)")
                return nil
            },
            Scenario(
                "RC-CHAT1-CLOSE-1_offline_on_close",
                area: area,
                section: "§6.4",
                "When a user closes their only connection, the peer gets offline; on reconnect, joined"
            ) { context in
                let (pair, a, b) = try await connected(context)
                try await b.close()
                try await context.awaitAction(a, "offline", by: pair.b.id)
                _ = try await context.joinChat(pair.b, pair.token, expect: "joined")
                try await context.awaitAction(a, "joined", by: pair.b.id)
                return nil
            },
            Scenario(
                "RC-CHAT1-CONNECT-1_second_tab_counts_users",
                area: area,
                section: "§6.4",
                "A second tab of a user alone in the channel gets waiting; both tabs receive messages (D14, D15)"
            ) { context in
                let pair = try await context.matchedPair()
                let tab1 = try await context.joinChat(pair.a, pair.token, expect: "waiting")
                let tab2 = try await context.webSocket(context.chatPath(pair.a.id, pair.token))
                let first = try await tab2.nextJSON()
                let note =
                    first["payload"] as? String == "waiting"
                    ? "fixed: waiting" : try context.upstream("upstream D14: \(first)")
                let b = try await context.joinChat(pair.b, pair.token, expect: "joined")
                try await context.sendV1(b, from: pair.b.id, "to both tabs")
                _ = try await context.awaitFrame(tab1, "the text on tab 1", where: isText("to both tabs"))
                _ = try await context.awaitFrame(tab2, "the text on tab 2 (D15)", where: isText("to both tabs"))
                return note
            },
            Scenario(
                "RC-CHAT1-CLOSE-1_offline_only_after_last_tab",
                area: area,
                section: "§6.4",
                "offline is broadcast only when a user's last connection ends"
            ) { context in
                let (pair, a, _) = try await connected(context)
                let tab2 = try await context.webSocket(context.chatPath(pair.b.id, pair.token))
                _ = try await tab2.nextJSON()
                try await context.awaitAction(a, "joined", by: pair.b.id)
                try await tab2.close()
                let early = try await context.unwanted(a) { $0["payload"] as? String == "offline" }
                try check(early == nil, "offline while another tab of the user is open")
                return nil
            },
            Scenario(
                "RC-CHAT1-FILE_message_broadcast_and_stored",
                area: area,
                section: "§6.3",
                "A file message (event 3) with an object of the channel is broadcast and stored in history"
            ) { context in
                let (pair, a, b) = try await connected(context)
                let key = try await UploadScenarios.upload(context, pair.token, bytes: Array("png!".utf8), ext: "png")
                let payload = #"{"file_name":"cat.png","object_key":"\#(key)"}"#
                try await context.sendV1(a, from: pair.a.id, payload, event: 3)
                let frame = try await context.awaitFrame(b, "the file message") { $0["event"] as? Int == 3 }
                let relayed = try must(frame["payload"] as? String, "payload string")
                try check(relayed.contains(key), "payload \(relayed)")
                let messages = try await history(context, pair.token)["messages"] as? [[String: Any]] ?? []
                try check(messages.first?["event"] as? Int == 3, "history: \(messages)")
                return nil
            },
            Scenario(
                "RC-CHAT1-AUTH-4_foreign_file_dropped",
                area: area,
                section: "§6.3",
                "A file message naming another channel's object is dropped (upstream relays it)"
            ) { context in
                let (pair, a, b) = try await connected(context)
                let foreign = "1/5f0c3b1e-8d2a-4c1e-9b7a-2f6d1e0c9a8b.png"
                try await context.sendV1(
                    a,
                    from: pair.a.id,
                    #"{"file_name":"x.png","object_key":"\#(foreign)"}"#,
                    event: 3
                )
                if try await context.unwanted(b, where: { $0["event"] as? Int == 3 }) != nil {
                    return try context.upstream("upstream: foreign object key relayed")
                }
                return "fixed: dropped"
            },
        ]
    }
}
