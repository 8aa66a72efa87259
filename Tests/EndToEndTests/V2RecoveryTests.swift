import ChatClientSDK
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite(
    "End to end: v2 recovery (refused resume, dead links, cancelled matches, stored positions)",
    .serialized,
    .timeLimit(.minutes(1))
)
struct V2RecoveryTests {
    @Test(
        "resumed:false (beyond the resume window) back-fills from v2 history: every message once, in order, then live",
        arguments: v2Encodings
    )
    func backfillAfterRefusedResume(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { configuration in
            configuration.limits.resumeWindow = .milliseconds(1)
            configuration.limits.refusesResumeBeyondWindow = true
            configuration.limits.historyPageMax = 7  // the back-fill takes several pages
            configuration.limits.maxSendsPerSecond = 1000
        } _: { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let alice = ChatClient(
                    configuration: testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                )
                let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        try await aliceSession.send(text: "before")
                        try await bobLog.expectText("before")

                        // Alice's link fails and stays down while Bob writes more than two history pages.
                        proxy.setRefusing(true)
                        proxy.dropAll()
                        try await aliceLog.expect("reconnecting") { $0.isReconnecting }
                        let away = (0..<20).map { "away \($0)" }
                        var last: ChatLocalMessageID?
                        for text in away { last = try await bobSession.send(text: text) }
                        let lastID = try #require(last)
                        try await bobLog.expect("the last away message stored") { $0.acknowledgedSeq?.0 == lastID }

                        proxy.setRefusing(false)
                        try await aliceLog.expect("reconnected") { $0.isConnected }
                        try await aliceLog.expectText("away 19")
                        try await bobSession.send(text: "live again")
                        try await aliceLog.expectText("live again")
                        try await aliceSession.send(text: "alice is back")
                        try await bobLog.expectText("alice is back")
                        try await aliceLog.expectText("alice is back")

                        let texts = aliceLog.messages.compactMap(\.text)
                        #expect(texts == ["before"] + away + ["live again", "alice is back"])
                        #expect(aliceLog.messages.compactMap(\.seq) == Array(1...23))
                        let backfills = proxy.requestLines.filter {
                            $0.hasPrefix("GET /api/v2/chat/channel/messages?after_seq=")
                        }
                        #expect(backfills.count >= 3, "the gap came from v2 history pages: \(proxy.requestLines)")
                        #expect(aliceLog.endError == nil)
                    }
                }
            }
        }
    }
}
