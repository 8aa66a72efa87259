import Foundation

/// §7 and §6.5: frame size limits (1009) and the per-channel message cap.
enum LimitScenarios {
    static let area = "limits"

    static var all: [Scenario] {
        [
            Scenario(
                "RC-CHAT1-SIZE-1_oversize_chat_frame_1009",
                area: area,
                section: "§6.5",
                "A chat message over 4096 bytes closes the connection with 1009 and the peer gets offline (D4)"
            ) { context in
                let (pair, a, b) = try await ChatEventScenarios.connected(context)
                let padding = String(repeating: "x", count: context.configuration.maxChatFrameSize + 1)
                try await b.send(padding)
                let code = try await b.closeCode()
                try check(code == 1009, "close code \(code.map(String.init) ?? "none (no close frame)"), expected 1009")
                let offline = try? await context.awaitAction(a, "offline", by: pair.b.id, timeout: .seconds(3))
                return offline == nil ? try context.upstream("upstream D4: no offline after a 1009 close") : nil
            },
            Scenario(
                "RC-CHAT1-SIZE-1_frame_at_limit_accepted",
                area: area,
                section: "§6.5",
                "A chat message of exactly 4096 bytes is accepted"
            ) { context in
                let (pair, a, b) = try await ChatEventScenarios.connected(context)
                let head = #"{"event":0,"user_id":"\#(pair.a.id)","payload":"at limit","pad":""#
                let pad = String(repeating: "p", count: context.configuration.maxChatFrameSize - head.utf8.count - 2)
                let frame = head + pad + #""}"#
                try check(frame.utf8.count == context.configuration.maxChatFrameSize, "frame size \(frame.utf8.count)")
                try await a.send(frame)
                _ = try await context.awaitFrame(
                    b,
                    "the text at the limit",
                    where: ChatEventScenarios.isText("at limit")
                )
                return nil
            },
            Scenario(
                "RC-CHAT1-SIZE-1_fragmented_oversize_1009",
                area: area,
                section: "§7",
                "A fragmented chat message whose total exceeds the limit closes with 1009"
            ) { context in
                let pair = try await context.matchedPair()
                let socket = try await context.rawWebSocket(context.chatPath(pair.a.id, pair.token))
                let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
                let fragments = context.configuration.maxChatFrameSize / 1024 + 2
                for index in 0..<fragments {
                    socket.sendFrame(opcode: index == 0 ? 1 : 0, payload: chunk, fin: index == fragments - 1)
                }
                let code = await socket.readCloseCode()
                try check(code == 1009, "close code \(code.map(String.init) ?? "none"), expected 1009")
                return nil
            },
            Scenario(
                "RC-MATCH1-1_oversize_match_frame_1009",
                area: area,
                section: "§5.2",
                "A match message over 512 bytes closes with 1009 and the user leaves the wait list"
            ) { context in
                let ghost = try await context.signUp("ghost")
                let socket = try await context.openMatch(ghost)
                try await socket.send(String(repeating: "y", count: context.configuration.maxMatchFrameSize + 1))
                let code = try await socket.closeCode()
                try check(code == 1009, "close code \(code.map(String.init) ?? "none"), expected 1009")
                try await context.pause(.milliseconds(300))
                let alice = try await context.signUp("alice")
                let first = try await context.openMatch(alice)
                if let token = try await context.tryReadToken(first, timeout: .milliseconds(700)).nilOnFailure {
                    let members = try await MatchScenarios.members(context, token)
                    try check(members.contains(ghost.id), "matched with an unexpected channel \(members)")
                    return try context.upstream("upstream D4: the user closed with 1009 stayed in the wait list")
                }
                let bob = try await context.signUp("bob")
                let second = try await context.openMatch(bob)
                let token = try await context.readToken(first)
                try check(token == (try await context.readToken(second)), "different tokens")
                return "fixed: the user left the wait list"
            },
            Scenario(
                "RC-CHAT1-CAP-1_message_cap",
                area: area,
                section: "§6.3",
                "Texts beyond the channel's message cap are neither stored nor broadcast; the connection stays open",
                timeout: .seconds(60)
            ) { context in
                let cap = try context.require(context.configuration.messageCap, "--message-cap")
                try check(cap <= 500, "--message-cap \(cap) is too large for a quick run; start the server with ≤ 500")
                let (pair, a, b) = try await ChatEventScenarios.connected(context)
                for index in 0..<cap { _ = try await context.say(a, from: pair.a.id, "c\(index)") }
                try await context.sendV1(a, from: pair.a.id, "over the cap")
                let leaked = try await context.unwanted(
                    b,
                    within: .milliseconds(800),
                    where: ChatEventScenarios.isText("over the cap")
                )
                try check(leaked == nil, "a message beyond the cap was broadcast")
                try check(!a.isEnded, "the sender was disconnected")
                let page = try await ChatEventScenarios.history(context, pair.token)
                let count = (page["messages"] as? [Any])?.count ?? -1
                if (context.configuration.historyPageSize ?? 5000) >= cap {
                    try check(count == cap, "history holds \(count) messages, cap \(cap)")
                }
                return nil
            },
        ]
    }
}
