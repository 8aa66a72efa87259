/// reliability-notes §1 and §6: network faults — TCP drop without a close frame, half-open peers, slow readers,
/// delayed pongs. Cleanup (offline, online set) must run on every disconnect path (D4).
enum FaultScenarios {
    static let area = "faults"

    /// A pair where A is on a websocket client and B on a raw socket (its `joined` read by A).
    static func withRawPeer(
        _ context: ScenarioContext,
        receiveBuffer: Int32? = nil
    ) async throws -> (MatchedPair, WSConnection, RawSocket) {
        let pair = try await context.matchedPair()
        let a = try await context.joinChat(pair.a, pair.token, expect: "waiting")
        let socket = try await context.rawWebSocket(
            context.chatPath(pair.b.id, pair.token),
            receiveBuffer: receiveBuffer
        )
        try await context.awaitAction(a, "joined", by: pair.b.id)
        return (pair, a, socket)
    }

    /// The longest a server may take to notice a silent peer: two ping intervals plus slack (§6.5).
    static func deadline(_ context: ScenarioContext) throws -> Duration {
        let interval = try context.require(context.configuration.pingInterval, "--ping-interval")
        return interval * 2 + .seconds(3)
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-CHAT1-CLOSE-1_tcp_drop_offline",
                area: area,
                section: "§6.4",
                "A peer whose TCP connection ends without a close frame (FIN) is announced offline (upstream never, D4)"
            ) { context in
                let (pair, a, socket) = try await withRawPeer(context)
                socket.drop()
                if (try? await context.awaitAction(a, "offline", by: pair.b.id, timeout: .seconds(3))) == nil {
                    return try context.upstream("upstream D4: no offline after a TCP drop")
                }
                let online = try await ChatRESTScenarios.userIDs(context, "/api/chat/users/online", pair.token)
                try check(online == [pair.a.id], "ghost in the online set: \(online) (RC-CHAT-REST-2)")
                return "fixed: offline within 3 s"
            },
            Scenario(
                "RC-CHAT1-CLOSE-1_tcp_reset_offline",
                area: area,
                section: "§6.4",
                "A peer whose TCP connection is reset (RST) is announced offline"
            ) { context in
                let (pair, a, socket) = try await withRawPeer(context)
                socket.drop(reset: true)
                if (try? await context.awaitAction(a, "offline", by: pair.b.id, timeout: .seconds(3))) == nil {
                    return try context.upstream("upstream D4: no offline after a TCP reset")
                }
                return "fixed: offline within 3 s"
            },
            Scenario(
                "RC-CHAT1-PING-1_server_pings",
                area: area,
                section: "§6.5",
                "The server sends websocket pings at its ping interval",
                timeout: .seconds(60)
            ) { context in
                let interval = try context.require(context.configuration.pingInterval, "--ping-interval")
                let (_, socket) = try await WebSocketScenarios.rawChat(context)
                let wait = Int((interval * 2).components.seconds) + 2
                var frame = await socket.readFrame(timeout: wait)
                while let current = frame, current.opcode != 9 { frame = await socket.readFrame(timeout: wait) }
                try check(frame?.opcode == 9, "no ping within \(wait) s")
                return nil
            },
            Scenario(
                "RC-CHAT1-PING-1_half_open_dropped",
                area: area,
                section: "§6.5",
                "A half-open peer (connected, never answering pings) is dropped after the ping deadline; peer gets offline",
                timeout: .seconds(90)
            ) { context in
                let limit = try deadline(context)
                let (pair, a, socket) = try await withRawPeer(context)
                _ = socket  // kept open and silent: never reads, never answers pings
                if (try? await context.awaitAction(a, "offline", by: pair.b.id, timeout: limit)) == nil {
                    return try context.upstream("upstream D4: the silent peer was never announced offline")
                }
                return nil
            },
            Scenario(
                "RC-CHAT1-PING-1_delayed_pong_tolerated",
                area: area,
                section: "§6.5",
                "A peer that answers each ping after half an interval stays connected and keeps receiving",
                timeout: .seconds(90)
            ) { context in
                let interval = try context.require(context.configuration.pingInterval, "--ping-interval")
                let (pair, a, socket) = try await withRawPeer(context)
                let until = ContinuousClock.now + interval * 3
                var texts: [String] = []
                var pings = 0
                while ContinuousClock.now < until {
                    guard let frame = await socket.readFrame(timeout: Int(interval.components.seconds) + 2) else {
                        throw ScenarioFailure("the server dropped a peer whose pongs came half an interval late")
                    }
                    switch frame.opcode {
                    case 9:
                        pings += 1
                        try await context.pause(interval / 2)
                        socket.sendFrame(opcode: 10, payload: frame.payload)
                    case 1:
                        texts.append(frame.text)
                    case 8:
                        throw ScenarioFailure("closed with \(frame.closeCode ?? 0) despite (late) pongs")
                    default:
                        break
                    }
                }
                try check(pings >= 1, "no ping arrived in three intervals")
                _ = try await context.say(a, from: pair.a.id, "still there?")
                var got = texts.contains { $0.contains("still there?") }
                for _ in 0..<5 where !got {
                    guard let frame = await socket.readFrame(timeout: 3) else { break }
                    if frame.opcode == 9 { socket.sendFrame(opcode: 10, payload: frame.payload) }
                    got = frame.opcode == 1 && frame.text.contains("still there?")
                }
                try check(got, "the late-ponging peer no longer receives messages")
                return "\(pings) pings answered late"
            },
            Scenario(
                "RC-CHAT1-QUEUE-1_slow_reader_closed",
                area: area,
                section: "§6.5",
                "A reader that stops reading is closed (4001 or a TCP drop), announced offline; others are unaffected",
                timeout: .seconds(60)
            ) { context in
                let (pair, a, socket) = try await withRawPeer(context, receiveBuffer: 4096)
                _ = socket  // never read again
                let flood = #"{"event":1,"user_id":"\#(pair.a.id)","payload":"istyping"}"#
                var announced = false
                // Bursts of 100: the writer's own relayed copies (v1 relays typing to the sender too) stay well under
                // a 256-frame send queue even when the suite's process is slow to read, so only B overflows.
                for round in 0..<100 where !announced {
                    for _ in 0..<100 { try await a.send(flood) }
                    let frames = try await a.drain(for: .milliseconds(150))
                    announced = frames.contains {
                        $0["payload"] as? String == "offline" && $0["user_id"] as? String == pair.b.id
                    }
                    if round == 99 && !announced {
                        return try context.upstream("upstream: the slow reader was never closed (frames dropped)")
                    }
                }
                if !announced { try await context.awaitAction(a, "offline", by: pair.b.id, timeout: .seconds(5)) }
                _ = try await context.say(a, from: pair.a.id, "fast reader still served")
                return nil
            },
        ]
    }
}
