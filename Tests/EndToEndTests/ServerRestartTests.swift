import ChatClientSDK
import Foundation
import Testing

@Suite("End to end: the server process restarts mid-chat", .serialized, .timeLimit(.minutes(1)))
struct ServerRestartTests {
    @Test(
        "the chat-server process is killed and restarted: the session recovers with no loss and no duplicate",
        .enabled(if: ServerProcess.isAvailable, "needs .build/debug/chat-server (swift build)")
    )
    func restartRecovers() async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-restart-\(UUID())").path
        let server = ServerProcess(dataDirectory: dataDirectory)
        try await server.start()
        defer { server.kill() }
        let port = try #require(server.port)
        let base = "http://127.0.0.1:\(port)"
        let alice = ChatClient(configuration: testConfiguration(base))
        let bob = ChatClient(configuration: testConfiguration(base))
        let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
        try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
            try await aliceLog.expect("connected") { $0.isConnected }
            try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                try await bobSession.send(text: "before")
                try await aliceLog.expectText("before")
                try await bobLog.expectText("before")

                server.kill()
                try await aliceLog.expect("alice reconnecting") { $0.isReconnecting }
                try await bobLog.expect("bob reconnecting") { $0.isReconnecting }
                // While the server is down the attempts follow the policy (20–200 ms apart here): a refused
                // connection fails at once, it is not retried inside the HTTP client until a request deadline.
                try await bobLog.expect("bob's fifth attempt while the server is down", timeout: .seconds(5)) {
                    if case .connection(.reconnecting(let attempt, _)) = $0 { return attempt >= 5 }
                    return false
                }
                let queuedByAlice = try await aliceSession.send(text: "queued while down")
                try await server.start(port: port)

                try await bobLog.expect("bob reconnected") { $0.isConnected }
                try await bobSession.send(text: "after")
                let seenByAlice = try await aliceLog.expectTexts(["after", "queued while down"])
                #expect(seenByAlice.first { $0.text == "queued while down" }?.localID == queuedByAlice)
                try await bobLog.expectTexts(["after", "queued while down"])

                for log in [aliceLog, bobLog] {
                    let texts = log.messages.compactMap(\.text)
                    #expect(texts.count == 3, "\(texts)")
                    #expect(Set(texts) == ["before", "after", "queued while down"])
                    #expect(texts.first == "before")
                }
                #expect(aliceLog.messages.map(\.id) == bobLog.messages.map(\.id), "same order on both sides")
            }
        }
    }
}
