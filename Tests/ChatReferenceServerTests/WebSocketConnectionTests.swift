import ChatProtocol
import Foundation
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatReferenceServer

@Suite("Websockets as channel handlers", .serialized, .timeLimit(.minutes(1)))
struct WebSocketConnectionTests {
    @Test("An idle connection holds no task; a closed one is gone")
    func idleHoldsNoTask() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (_, token) = try await server.makeChannel([alice.id, bob.id])
            try await server.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)") { a in
                try await a.expectAction("waiting", by: alice.id)
                try await server.withSocket("/api/chat?uid=\(bob.id)&access_token=\(token)") { b in
                    try await b.expectAction("joined", by: bob.id)
                    try await a.expectAction("joined", by: bob.id)
                    try await b.send(#"{"event":0,"user_id":"\#(bob.id)","payload":"hi"}"#)
                    #expect(try await a.next()?["payload"] as? String == "hi")
                    #expect(try await b.next()?["payload"] as? String == "hi")
                    // Both connections are open and idle: no session task is left running.
                    #expect(try await server.eventually { server.state.webSockets.drainTasks == 0 })
                    #expect(server.state.webSockets.openConnections == 2)
                    try await b.close()
                }
            }
            #expect(try await server.eventually { server.state.webSockets.openConnections == 0 })
            #expect(try await server.eventually { server.state.webSockets.drainTasks == 0 })
            #expect(server.state.hub.connectionCount == 0)
        }
    }

    @Test("Chat messages and typing are handled on the event loop: no task per message")
    func messagesOnTheLoop() async throws {
        try await TestServer.with { server in
            try await server.withJoinedPair { a, b, pair in
                #expect(try await server.eventually { server.state.webSockets.drainTasks == 0 })
                let tasksBefore = server.state.webSockets.drainTasksStarted
                let onLoopBefore = server.state.webSockets.messagesHandledOnLoop
                for index in 0..<20 {
                    try await b.send(#"{"event":0,"user_id":"\#(pair.bob)","payload":"m\#(index)"}"#)
                    #expect(try await a.next()?["payload"] as? String == "m\(index)")
                    #expect(try await b.next()?["payload"] as? String == "m\(index)")
                }
                try await b.send(#"{"event":1,"user_id":"\#(pair.bob)","payload":"istyping"}"#)
                try await a.expectAction("istyping", by: pair.bob)
                #expect(server.state.webSockets.drainTasksStarted == tasksBefore)
                #expect(server.state.webSockets.messagesHandledOnLoop - onLoopBefore == 21)
                #expect(try await server.state.storage.position(of: pair.channel).lastSeq == 20)
            }
        }
    }

    @Test("A message that finds its channel's lock held is stored once it is free, in order, from the job task")
    func busyChannelLock() async throws {
        try await TestServer.with { server in
            try await server.withJoinedPair { a, b, pair in
                #expect(try await server.eventually { server.state.webSockets.drainTasks == 0 })
                let tasksBefore = server.state.webSockets.drainTasksStarted
                let (held, isHeld) = AsyncStream.makeStream(of: Void.self)
                let (release, doRelease) = AsyncStream.makeStream(of: Void.self)
                let holder = Task {
                    await server.state.channelLocks.withLock(pair.channel) {
                        isHeld.yield()
                        for await _ in release { break }
                    }
                }
                for await _ in held { break }
                for index in 0..<3 {
                    try await b.send(#"{"event":0,"user_id":"\#(pair.bob)","payload":"m\#(index)"}"#)
                }
                try await Task.sleep(for: .milliseconds(200))
                #expect(try await server.state.storage.position(of: pair.channel).lastSeq == 0)
                doRelease.yield()
                await holder.value
                for index in 0..<3 {
                    #expect(try await a.next()?["payload"] as? String == "m\(index)")
                    #expect(try await b.next()?["payload"] as? String == "m\(index)")
                }
                #expect(server.state.webSockets.drainTasksStarted > tasksBefore)
                #expect(try await server.state.storage.position(of: pair.channel).lastSeq == 3)
            }
        }
    }

    @Test("Heartbeats fire on a grid (1/16 of the ping interval, ≤ 500 ms): never early, late by less than a slot")
    func heartbeatGrid() {
        let start: UInt64 = 1_000_000_000_000
        var slots = Set<UInt64>()
        for offset in stride(from: UInt64(0), to: 2_000_000_000, by: 7_000_001) {
            let deadline = NIODeadline.uptimeNanoseconds(start + offset)
            let fired = WebSocketConnection.onGrid(deadline, slack: .seconds(54)).uptimeNanoseconds
            #expect(fired >= start + offset && fired - (start + offset) < 500_000_000)
            #expect(fired % 500_000_000 == 0)
            slots.insert(fired)
        }
        #expect(slots.count <= 5)  // 2 s of deadlines share at most 5 wake-ups
        let short = WebSocketConnection.onGrid(.uptimeNanoseconds(start + 1), slack: .milliseconds(320))
        #expect(short.uptimeNanoseconds == start + 20_000_000)
    }

    @Test("The limits the connection reads on every message and heartbeat copy without reference counting")
    func limitsArePlainValues() {
        #expect(_isPOD(WebSocketLimits.self))
        let v2 = WebSocketLimits.v2(ServerConfiguration().limits)
        #expect(v2.oversizeReason.text == #"{"code":"message_too_large"}"#)
    }

    /// A match socket (offering `subprotocol`, if any) of a user who never answers anything, on a server that pings
    /// every 300 ms.
    private func withSilentMatchSocket(
        subprotocol: String? = nil,
        _ body: @escaping @Sendable (RawSocket) async throws -> Void
    ) async throws {
        try await TestServer.with { configuration in
            configuration.limits.pingInterval = .milliseconds(300)
        } _: { server in
            let user = try await server.signUp("silent")
            let socket = try #require(
                await RawSocket.connect(
                    port: server.port,
                    path: "/api/match",
                    cookie: user.sid,
                    subprotocol: subprotocol
                )
            )
            try await body(socket)
            socket.drop()
        }
    }

    @Test("v1: websocket pings, and an unanswered one closes with 1001 at the next heartbeat")
    func v1WebSocketPings() async throws {
        try await self.withSilentMatchSocket { socket in
            let read = await socket.readFrames(until: 1, containing: "no such frame")
            #expect(read.opcodes.first == 0x9)
            #expect(read.closeCode == 1001)
        }
    }

    @Test("v2: the ping push without websocket pings; a silent client is closed with 4002 after interval + 10 s")
    func v2PingPushOnly() async throws {
        try await self.withSilentMatchSocket(subprotocol: WebSocketSubprotocol.v2JSON) { socket in
            let read = await socket.readFrames(until: 1_000, containing: #"{"ping":{}}"#)
            #expect(!read.opcodes.contains(0x9))
            #expect(read.matched >= 30)  // 10.3 s of pushes every 300 ms
            #expect(read.closeCode == 4002)
        }
    }

    /// A heartbeat target that counts its calls.
    final class Target: HeartbeatTarget {
        var calls = 0
        func heartbeatDue() { self.calls += 1 }
    }

    @Test("Heartbeat wheel: targets due in one slot share one timer; a removed target is not called")
    func heartbeatWheel() {
        let loop = EmbeddedEventLoop()
        let wheel = HeartbeatWheel(eventLoop: loop)
        let start = loop.now
        let targets = (0..<5).map { _ in Target() }
        let first = start + .milliseconds(500)
        let slots = targets.prefix(4).map { wheel.add($0, at: first) }
        let later = wheel.add(targets[4], at: start + .milliseconds(1000))
        #expect(Set(slots).count == 1 && later != slots[0])
        #expect(wheel.scheduledSlots == 2)
        wheel.remove(targets[3], from: slots[3])
        loop.advanceTime(by: .milliseconds(499))
        #expect(targets.map(\.calls) == [0, 0, 0, 0, 0])
        loop.advanceTime(by: .milliseconds(1))
        #expect(targets.map(\.calls) == [1, 1, 1, 0, 0])
        #expect(wheel.scheduledSlots == 1)
        loop.advanceTime(by: .milliseconds(500))
        #expect(targets.map(\.calls) == [1, 1, 1, 0, 1])
        #expect(wheel.scheduledSlots == 0)
    }

    @Test("Heartbeat wheel: a crowded slot runs in batches with the loop free in between")
    func heartbeatWheelBatches() {
        let loop = EmbeddedEventLoop()
        let wheel = HeartbeatWheel(eventLoop: loop)
        let targets = (0..<(2 * HeartbeatWheel.batch + 5)).map { _ in Target() }
        for target in targets { _ = wheel.add(target, at: loop.now + .milliseconds(500)) }
        loop.advanceTime(by: .milliseconds(500))
        #expect(targets.map(\.calls).reduce(0, +) == HeartbeatWheel.batch)
        loop.advanceTime(by: HeartbeatWheel.pause)
        #expect(targets.map(\.calls).reduce(0, +) == 2 * HeartbeatWheel.batch)
        loop.advanceTime(by: HeartbeatWheel.pause)
        #expect(targets.allSatisfy { $0.calls == 1 })
        #expect(wheel.scheduledSlots == 0)
    }

    @Test("Written frames release the send-queue bound: a reading peer never hits 4001")
    func boundCountsUnwrittenFrames() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxQueuedFrames = 2
        } _: { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (_, token) = try await server.makeChannel([alice.id, bob.id])
            let (_, closeCode) = try await server.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)") { a in
                try await a.expectAction("waiting", by: alice.id)
                try await server.withSocket("/api/chat?uid=\(bob.id)&access_token=\(token)") { b in
                    try await b.expectAction("joined", by: bob.id)
                    try await a.expectAction("joined", by: bob.id)
                    for index in 0..<40 {
                        try await b.send(#"{"event":0,"user_id":"\#(bob.id)","payload":"m\#(index)"}"#)
                        #expect(try await b.next()?["payload"] as? String == "m\(index)")
                        #expect(try await a.next()?["payload"] as? String == "m\(index)")
                    }
                }
                try await a.expectAction("offline", by: bob.id)
                try await a.close()
            }
            #expect(closeCode != 4001)
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.text.contains("chat_slow_consumer_closes_total 0"))
        }
    }

    @Test(
        "Frames NIO held for a reader that stopped are released once it reads again: no 4001 for a reader that catches up"
    )
    func heldFramesReleasedWhenWritable() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxQueuedFrames = 2000
            configuration.limits.maxSendsPerSecond = 1_000_000
        } _: { server in
            try await server.withSlowReader { slow, b, _, bob in
                // Each round is 1,500 frames of 3.9 KB (5.9 MB) that Alice does not read until the round is sent:
                // more than her 1 KB window, the kernel's send buffer (at most 4 MB) and NIO's 16 KB write buffer
                // hold, so her channel becomes not writable and the frames flushed meanwhile stay counted. Two
                // rounds (3,000) exceed the bound (2,000) unless those are released when she catches up.
                let text = String(repeating: "y", count: 3900)
                for round in 0..<2 {
                    for _ in 0..<1500 {
                        try await b.send(#"{"event":0,"user_id":"\#(bob)","payload":"\#(text)"}"#)
                        _ = try await b.next()
                    }
                    let (matched, closeCode) = await slow.readTextFrames(1500, containing: "yyyyyyyy")
                    #expect(closeCode == nil, "round \(round): closed with \(closeCode ?? 0)")
                    #expect(matched == 1500)
                }
                slow.drop()
            }
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.text.contains("chat_slow_consumer_closes_total 0"))
        }
    }

    @Test("An unmasked client frame closes the connection with 1002")
    func unmaskedFrame() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let socket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/chat?uid=\(alice.id)&access_token=\(token)")
            )
            socket.write([0x81, 0x02, UInt8(ascii: "h"), UInt8(ascii: "i")])
            #expect(await socket.readCloseCode() == 1002)
            socket.drop()
            #expect(try await server.eventually { server.state.webSockets.openConnections == 0 })
        }
    }

    @Test("A text message that is not UTF-8 closes the connection with 1007")
    func invalidUTF8() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let socket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/chat?uid=\(alice.id)&access_token=\(token)")
            )
            socket.write([0x81, 0x82, 0, 0, 0, 0, 0xC3, 0x28])
            #expect(await socket.readCloseCode() == 1007)
            socket.drop()
        }
    }

    static func echoRoute(_ configuration: inout ServerConfiguration) {
        configuration.conformanceEcho = true
    }

    /// A masked frame (zero key: the payload goes as it is).
    static func maskedFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        return frame + [0, 0, 0, 0] + payload
    }

    @Test("Frames split across TCP writes, several frames in one write, and fragments are read whole, in order")
    func framesAcrossReads() async throws {
        try await TestServer.with(configure: Self.echoRoute) { server in
            let socket = try #require(await RawSocket.connect(port: server.port, path: "/conformance/echo"))
            let long = [UInt8](repeating: UInt8(ascii: "x"), count: 300) + Array("-long".utf8)
            // A 306-byte message one byte per write.
            for byte in Self.maskedFrame(0x1, long) {
                socket.write([byte])
                try await Task.sleep(for: .microseconds(200))
            }
            // Three messages in one write: one plain, one in two fragments with a ping between them, one binary.
            socket.write(
                Self.maskedFrame(0x1, Array("one".utf8))
                    + Self.maskedFrame(0x1, Array("tw".utf8), fin: false)
                    + Self.maskedFrame(0x9, Array("ping".utf8))
                    + Self.maskedFrame(0x0, Array("o".utf8))
                    + Self.maskedFrame(0x2, Array("three".utf8))
            )
            // The echoes come in order (the pong, written at once, may come before them).
            var opcodes: [UInt8] = []
            for marker in ["-long", "one", "two", "three"] {
                let read = await socket.readFrames(until: 1, containing: marker)
                #expect(read.matched == 1, "\(marker)")
                opcodes += read.opcodes
            }
            #expect(opcodes.filter { $0 != 0xA } == [0x1, 0x1, 0x1, 0x2])
            #expect(opcodes.filter { $0 == 0xA }.count == 1)
            socket.drop()
        }
    }

    @Test("A frame over the frame limit is refused with 1009 from its header, before its payload is sent")
    func frameOverLimit() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let socket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/chat?uid=\(alice.id)&access_token=\(token)")
            )
            // 64-bit length: 16 MiB, far over twice the chat limit; only the header and mask are sent.
            socket.write([0x81, 0x80 | 127, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0])
            #expect(await socket.readCloseCode() == 1009)
            socket.drop()
            #expect(try await server.eventually { server.state.webSockets.openConnections == 0 })
        }
    }

    @Test("A ping longer than 125 bytes, or fragmented, closes the connection with 1002")
    func badControlFrame() async throws {
        try await TestServer.with(configure: Self.echoRoute) { server in
            let long = try #require(await RawSocket.connect(port: server.port, path: "/conformance/echo"))
            long.write(Self.maskedFrame(0x9, [UInt8](repeating: 0x61, count: 126)))
            #expect(await long.readCloseCode() == 1002)
            long.drop()
            let fragmented = try #require(await RawSocket.connect(port: server.port, path: "/conformance/echo"))
            fragmented.write(Self.maskedFrame(0x9, Array("ping".utf8), fin: false))
            #expect(await fragmented.readCloseCode() == 1002)
            fragmented.drop()
        }
    }
}
