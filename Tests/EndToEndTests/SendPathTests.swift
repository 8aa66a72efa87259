import Foundation
import Synchronization
import Testing

@testable import ChatClientSDK

/// Which task wrote a frame: set by a test around its own `send` calls.
enum WritingTask {
    @TaskLocal static var name: String?
}

/// Records every message the SDK writes through ``transport`` (the production websocket transport) with the
/// ``WritingTask`` of the task that wrote it.
final class SendRecorder: Sendable {
    private let written = Mutex<[(task: String?, message: WebSocketMessage)]>([])

    /// The transport to give the client.
    var transport: WrappingWebSocketTransport {
        WrappingWebSocketTransport { _, io in
            var recording = io
            let send = io.send
            recording.send = { message in
                self.written.withLock { $0.append((WritingTask.name, message)) }
                try await send(message)
            }
            return recording
        }
    }

    /// The written messages whose text contains `marker`, with the writing task.
    func writes(containing marker: String) -> [(task: String?, message: WebSocketMessage)] {
        self.written.withLock { writes in
            writes.filter { write in
                switch write.message {
                case .text(let text): text.contains(marker)
                case .binary(let bytes): String(decoding: bytes, as: UTF8.self).contains(marker)
                }
            }
        }
    }
}

@Suite("End to end: the send path", .serialized, .timeLimit(.minutes(1)))
struct SendPathTests {
    @Test(
        "a send is written by the sending task (no writer-task wake-up); concurrent senders keep their order, once each",
        arguments: [NegotiatedProtocol.v1, .v2JSON]
    )
    func sendWritesFromCaller(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let recorder = SendRecorder()
            let alice = ChatClient(
                configuration: testConfiguration(server.baseURL, speaking: wire),
                http: AsyncHTTPClientTransport(),
                webSocket: recorder.transport
            )
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                try await bob.withRecordedSession(bobMatch) { _, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    try await WritingTask.$name.withValue("app") {
                        _ = try await aliceSession.send(text: "solo-send")
                    }
                    _ = try await bobLog.expectText("solo-send")
                    #expect(recorder.writes(containing: "solo-send").map(\.task) == ["app"])

                    let senders = 8  // 64 sends: under the 100 that may await confirmation
                    let perSender = 8
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for sender in 0..<senders {
                            group.addTask {
                                for index in 0..<perSender {
                                    _ = try await aliceSession.send(text: "s\(sender)-\(index)")
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    var expected = Set<String>()
                    for sender in 0..<senders {
                        for index in 0..<perSender { expected.insert("s\(sender)-\(index)") }
                    }
                    let received = try await bobLog.expectTexts(expected).compactMap(\.text)
                    #expect(received.count == senders * perSender)
                    for sender in 0..<senders {
                        let order = received.filter { $0.hasPrefix("s\(sender)-") }
                        #expect(order == (0..<perSender).map { "s\(sender)-\($0)" }, "sender \(sender)'s order")
                    }
                    try await aliceLog.expectTexts(expected)  // every echo, and no send left behind
                    #expect(Set(aliceLog.messages.compactMap(\.text)).count == aliceLog.messages.count)
                }
            }
        }
    }
}
