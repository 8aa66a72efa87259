/// §9 and RFC 6455: the close handshake and websocket-level protocol errors on the chat socket.
enum WebSocketScenarios {
    static let area = "close-handshake"

    /// A raw chat socket of a fresh pair's user A, with its own `waiting` frame read.
    static func rawChat(_ context: ScenarioContext) async throws -> (MatchedPair, RawSocket) {
        let pair = try await context.matchedPair()
        let socket = try await context.rawWebSocket(context.chatPath(pair.a.id, pair.token))
        let first = await socket.readFrame()
        try check(first?.opcode == 1, "expected the waiting frame, got opcode \(first?.opcode ?? 0)")
        return (pair, socket)
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-CLOSE-3_close_echoed",
                area: area,
                section: "§9",
                "A client close frame 1000 is echoed with 1000 (upstream never echoes, D6)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendClose(1000)
                let code = await socket.readCloseCode()
                guard let code else { return try context.upstream("upstream D6: no close echo (1006)") }
                try check(code == 1000, "echoed \(code), expected 1000")
                return "fixed: echoed"
            },
            Scenario(
                "RC-CLOSE-3_custom_code_echoed",
                area: area,
                section: "§9",
                "A client close frame with an application code (4000) is echoed (RFC 6455 §5.5.1)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendClose(4000)
                let code = await socket.readCloseCode()
                guard let code else { return try context.upstream("upstream D6: no close echo (1006)") }
                try check(code == 4000 || code == 1000, "echoed \(code)")
                return nil
            },
            Scenario(
                "RC-CLOSE-3_offline_after_close_frame",
                area: area,
                section: "§6.4",
                "A client close frame ends the connection with cleanup: the peer gets offline"
            ) { context in
                let pair = try await context.matchedPair()
                let a = try await context.joinChat(pair.a, pair.token)
                let socket = try await context.rawWebSocket(context.chatPath(pair.b.id, pair.token))
                try await context.awaitAction(a, "joined", by: pair.b.id)
                socket.sendClose(1000)
                _ = await socket.readCloseCode()
                try await context.awaitAction(a, "offline", by: pair.b.id)
                return nil
            },
            Scenario(
                "WS-4_ping_answered_with_pong",
                area: area,
                section: "§6.16",
                "A client ping is answered with a pong carrying the same payload (RFC 6455 §5.5.2)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendFrame(opcode: 9, payload: Array("probe".utf8))
                var frame = await socket.readFrame()
                while let current = frame, current.opcode == 9 { frame = await socket.readFrame() }
                try check(frame?.opcode == 10, "expected a pong, got opcode \(frame?.opcode ?? 0)")
                try check(frame?.text == "probe", "pong payload \(frame?.text ?? "")")
                return nil
            },
            Scenario(
                "WS-4_invalid_utf8_1007",
                area: area,
                section: "§9",
                "A text frame that is not UTF-8 closes with 1007 (or, as upstream, is dropped as undecodable)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendFrame(opcode: 1, payload: [0x7B, 0xC3, 0x28, 0x7D])
                let code = await socket.readCloseCode(timeout: 2)
                if code == nil { return try context.upstream("upstream: no UTF-8 validation; frame dropped") }
                try check(code == 1007, "close code \(code.map(String.init) ?? "none"), expected 1007")
                return nil
            },
            Scenario(
                "WS-4_oversize_control_frame_1002",
                area: area,
                section: "§9",
                "A ping with more than 125 bytes of payload closes with 1002 (RFC 6455 §5.5)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendFrame(opcode: 9, payload: [UInt8](repeating: 0x61, count: 126))
                let code = await socket.readCloseCode()
                try check(code == 1002, "close code \(code.map(String.init) ?? "none"), expected 1002")
                return nil
            },
            Scenario(
                "WS-4_unmasked_frame_1002",
                area: area,
                section: "§9",
                "An unmasked client frame makes the server close the connection (RFC 6455 §5.1; 1002 suggested)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendFrame(opcode: 1, payload: Array("{}".utf8), masked: false)
                // RFC 6455 §5.1: the server MUST close the connection; 1002 is the suggested code.
                if let code = await socket.readCloseCode(timeout: 1) {
                    return code == 1002 ? nil : "closed with \(code) (1002 suggested)"
                }
                try check(await socket.waitForEnd(timeout: 2), "the connection stayed open after an unmasked frame")
                return "TCP closed without a close frame"
            },
            Scenario(
                "WS-4_reserved_opcode_1002",
                area: area,
                section: "§9",
                "A frame with a reserved opcode closes with 1002 (RFC 6455 §5.2)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendFrame(opcode: 3, payload: Array("x".utf8))
                let code = await socket.readCloseCode()
                try check(code == 1002, "close code \(code.map(String.init) ?? "none"), expected 1002")
                return nil
            },
            Scenario(
                "WS-4_fragmented_control_frame_1002",
                area: area,
                section: "§9",
                "A fragmented ping closes with 1002 (RFC 6455 §5.5)"
            ) { context in
                let (_, socket) = try await rawChat(context)
                socket.sendFrame(opcode: 9, payload: Array("x".utf8), fin: false)
                let code = await socket.readCloseCode()
                try check(code == 1002, "close code \(code.map(String.init) ?? "none"), expected 1002")
                return nil
            },
        ]
    }
}
