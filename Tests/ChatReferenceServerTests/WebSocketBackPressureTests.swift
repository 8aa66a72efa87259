import ChatProtocol
import Testing

@testable import ChatReferenceServer

/// Tests that measure the process's memory (resident size, malloc's statistics) run one at a time: every suite shares
/// the process, and these allocate or watch tens of megabytes.
@Suite("Process memory, one test at a time", .serialized)
enum ProcessMemoryTests {}

extension ProcessMemoryTests {
    @Suite("Websocket back-pressure: what a peer that does not read can make the server hold", .timeLimit(.minutes(1)))
    struct WebSocketBackPressureTests {
        /// The process's resident size in bytes (0 where it cannot be read).
        static func resident() -> Int { HeapStatistics.residentBytes() ?? 0 }

        @Test("A peer that pings without reading the pongs stops being read; once it reads, every ping is answered")
        func pingFloodStopsReading() async throws {
            try await TestServer.with { server in
                let alice = try await server.signUp("alice")
                let (_, token) = try await server.makeChannel([alice.id])
                let socket = try #require(
                    await RawSocket.connect(
                        port: server.port,
                        path: "/api/chat?uid=\(alice.id)&access_token=\(token)",
                        receiveBuffer: 4096
                    )
                )
                // 300,000 pings of 131 bytes (39 MB) whose pongs Alice does not read: without the bound the server
                // reads them all and keeps every pong in memory; with it, reading stops once NIO holds 16 KB of
                // unwritten frames for her, so her writes stall once the kernel's socket buffers are full (about
                // 50,000 pings here).
                let ping = WebSocketConnectionTests.maskedFrame(0x9, [UInt8](repeating: UInt8(ascii: "p"), count: 125))
                let written = await socket.writeUntilStalled(ping, count: 300_000, stall: .seconds(2))
                #expect(written < 300_000, "the server kept reading")
                #expect(server.state.webSockets.readsHeld >= 1)
                let read = await socket.readFrames(until: written, containing: String(repeating: "p", count: 125))
                #expect(read.matched == written, "every ping written gets its pong")
                #expect(read.closeCode == nil)
                socket.drop()
            }
        }

        @Test("resume commands sent without reading the replays wait for each replay to be written")
        func resumesWaitForTheirReplay() async throws {
            try await TestServer.with { server in
                let alice = try await server.signUp("alice")
                let (channel, _) = try await server.makeChannel([alice.id])
                let text = String(repeating: "r", count: 2000)
                for index in 1...200 {
                    let message = StoredMessage(
                        messageID: MessageID(server.state.ids.next()),
                        seq: 0,
                        event: .text,
                        userID: alice.id,
                        payload: "\(index) \(text)",
                        seen: false,
                        time: 1000,
                        clientMessageID: nil
                    )
                    _ = try server.state.storage.appendMessage(message, channel: channel, cap: 5000)
                }
                let token = server.state.tokens.issueV2(for: channel, user: alice.id).token
                let socket = try #require(
                    await RawSocket.connect(
                        port: server.port,
                        path: "/api/chat",
                        subprotocol: "\(WebSocketSubprotocol.v2JSON), rc.bearer.\(token)",
                        receiveBuffer: 4096
                    )
                )
                // Each resume from the start replays the 200 messages (400 KB). 1,000 of them, not read: without the
                // wait the server queues every replay at once (400 MB); with it, it handles the next resume only once
                // the replay before it has left for the socket.
                let command = #"{"id":0,"resume":{"after_seq":"0","epoch":""}}"#
                let resume = WebSocketConnectionTests.maskedFrame(0x1, Array(command.utf8))
                let before = Self.resident()
                let written = await socket.writeUntilStalled(resume, count: 1000, stall: .seconds(2))
                // 8 s for the server to work through what it read. The bound leaves room for what other suites
                // allocate meanwhile (the process is shared); without the wait the replays pass it within seconds.
                var grown = 0
                for _ in 0..<80 {
                    try await Task.sleep(for: .milliseconds(100))
                    grown = Self.resident() - before
                    if grown >= 150_000_000 { break }
                }
                #expect(grown < 150_000_000, "\(written) resumes written; the server grew by \(grown / 1_000_000) MB")
                // Once Alice reads, the replays come: the first three of them here.
                let read = await socket.readFrames(until: 3 * 200, containing: text)
                #expect(read.matched == 600 && read.closeCode == nil)
                socket.drop()
            }
        }
    }
}
