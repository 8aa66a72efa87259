import Testing

@testable import ChatClientSDK

@Suite("End to end: the receive path", .serialized, .timeLimit(.minutes(1)))
struct ReceivePathTests {
    /// A session takes live frames on the connection's event loop while its events buffer has room; when the app
    /// falls behind, frames go to the connection's task, which waits for room, and then the socket pauses
    /// (ConversationSocket's high-water mark). Every switch between the two paths must keep the order.
    @Test(
        "an app that falls behind gets every message once and in order; the socket waits, nothing is dropped",
        arguments: [NegotiatedProtocol.v1, .v2JSON, .v2Protobuf]
    )
    func slowReader(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            var configuration = testConfiguration(server.baseURL, speaking: wire)
            configuration.maxBufferedEvents = 4
            let alice = ChatClient(configuration: configuration)
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            // Under the 100 sends that may await their echo; v2's 20 sends per second make a smaller count quicker.
            let count = wire == .v1 ? 90 : 40
            let expected = (0..<count).map { "m\($0)" }
            try await alice.withSession(aliceMatch) { aliceSession in
                var events = aliceSession.events.makeAsyncIterator()
                while let event = try await events.next(), event != .connection(.connected) {}
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    for text in expected { try await bobSession.send(text: text) }
                    try await bobLog.expectTexts(Set(expected))  // every echo: the server fanned them all out
                    try await Task.sleep(for: .milliseconds(200))  // alice's buffer is full, her socket paused
                    var received: [String] = []
                    while received.count < count, let event = try await events.next() {
                        if case .message(let message) = event, message.senderID == bobMatch.userID {
                            received.append(message.text ?? "")
                        }
                    }
                    #expect(received == expected)
                    // The live path works again once the app caught up.
                    try await bobSession.send(text: "after")
                    while let event = try await events.next() {
                        if case .message(let message) = event, message.senderID == bobMatch.userID {
                            #expect(message.text == "after")
                            break
                        }
                    }
                }
            }
        }
    }
}
