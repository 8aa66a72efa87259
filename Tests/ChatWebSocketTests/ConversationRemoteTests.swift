import ChatWebSocket
import NIOCore
import Synchronization
import Testing

/// ``ChatWebSocketRemote`` and ``ChatWebSocketLink/pauseReading()`` over a real socket, against the scripted server
/// of ``ChatWebSocketClientTests``.
@Suite("ChatWebSocket: a conversation driven from other tasks")
struct ConversationRemoteTests {
    /// Counts messages, pauses reading at the first one, and hands its remote to the test.
    final class Pausing: ChatWebSocketConversation {
        let count = Mutex(0)
        let remote = Mutex<ChatWebSocketRemote?>(nil)

        func opened(_ link: ChatWebSocketLink) {
            self.remote.withLock { $0 = link.remote }
        }

        func received(_ message: WebSocketFarewell.Message, _ link: ChatWebSocketLink) {
            let count = self.count.withLock { count in
                count += 1
                return count
            }
            if count == 1 { link.pauseReading() }
        }
    }

    /// An unmasked server text frame of `size` bytes (16-bit length).
    static func largeTextFrame(size: Int) -> [UInt8] {
        [0x81, 126, UInt8(size >> 8), UInt8(size & 0xFF)] + [UInt8](repeating: 0x61, count: size)
    }

    static func wait(until condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test("a paused conversation reads no further until resumed from another task; then every message arrives")
    func pauseAndResume() async throws {
        let frames = 64  // 1 MB of 16 KB frames, in one write: far more than one socket read
        try await ScriptedServer.with(
            Script { request in
                ScriptedServer.accept(request) + (0..<frames).flatMap { _ in Self.largeTextFrame(size: 16_000) }
            }
        ) { port, _ in
            let conversation = Pausing()
            async let ended = ChatWebSocketClient.converse(url: "ws://127.0.0.1:\(port)/", conversation: conversation)
            try await Self.wait { conversation.count.withLock { $0 } > 0 }
            try await Task.sleep(for: .milliseconds(300))
            let whilePaused = conversation.count.withLock { $0 }
            #expect(whilePaused >= 1 && whilePaused < frames, "only what the paused read had already taken")
            let remote = try #require(conversation.remote.withLock { $0 })
            remote.resumeReading()
            try await Self.wait { conversation.count.withLock { $0 } == frames }
            #expect(conversation.count.withLock { $0 } == frames)

            // A send from this task reaches the server, which ends the connection on anything after the upgrade.
            try await remote.send(.text("bye"))
            _ = try await ended
            await #expect(throws: ChannelError.self) { try await remote.send(.text("after the end")) }
        }
    }

    @Test("a conversation that keeps its remote is freed once the connection ended (the remote holds no cycle)")
    func remoteHoldsNoCycle() async throws {
        try await ScriptedServer.with(
            Script { request in
                ScriptedServer.accept(request) + ScriptedServer.textFrame("hi") + [0x88, 2, 0x03, 0xE8]
            }
        ) { port, _ in
            weak var released: Pausing?
            do {
                let conversation = Pausing()
                released = conversation
                _ = try await ChatWebSocketClient.converse(url: "ws://127.0.0.1:\(port)/", conversation: conversation)
                #expect(conversation.count.withLock { $0 } == 1)
                #expect(conversation.remote.withLock { $0 } != nil, "it keeps its remote")
            }
            // The channel lets go of its handlers on the event loop, just after the end was reported.
            try await Self.wait { released == nil }
            #expect(released == nil)
        }
    }
}
