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

    @Test(
        "cancelling match() over v2 sends cancel: the server voids the pending proposal as peer_cancelled",
        arguments: v2Encodings
    )
    func cancelledMatchSendsCancel(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let ghost = ChatClient(configuration: testConfiguration(server.baseURL))
            let aliceUser = try await alice.signUp(name: "alice")
            let ghostUser = try await ghost.signUp(name: "ghost")
            let ghostCookie = try #require(ghost.sessionCookie)
            let (proposals, proposed) = AsyncStream.makeStream(of: V2.MatchProposed.self)
            // The ghost waits first and never confirms, so alice's match stays PROPOSED until she cancels.
            async let voided = RawMatchSocket.enqueueUntilVoided(baseURL: server.baseURL, cookie: ghostCookie) {
                proposed.yield($0)
            }
            #expect(try await eventually { await server.state.matchmaker.waitingUsers == [ghostUser.id] })
            let waiting = Task { try await alice.match() }
            let proposal = try await first("proposal to the ghost", of: proposals)
            #expect(proposal.peerID == aliceUser.id)
            waiting.cancel()
            let error = await #expect(throws: ChatError.self) { try await waiting.value }
            #expect(error?.code == .cancelled)
            // A dropped socket would be `peer_disconnected`; only the cancel command makes it `peer_cancelled`.
            let void = try await voided
            #expect(void.reason == "peer_cancelled")
            #expect(void.requeued)
            #expect(try await eventually { await !server.state.matchmaker.waitingUsers.contains(aliceUser.id) })
        }
    }

    @Test("a silent v2 link is abandoned by the dead-link timer (ping interval + 10 s) and recovers with no loss")
    func deadLinkTimer() async throws {
        let serverPing = Duration.seconds(1)
        try await InProcessServer.with { configuration in
            configuration.limits.pingInterval = serverPing
        } _: { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)")
                configuration.pingInterval = nil  // no websocket pings: only the v2 timer can notice the silence
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    #expect(aliceSession.wireProtocol?.version == .v2)
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        try await bobSession.send(text: "before")
                        try await aliceLog.expectText("before")
                        // A server ping arrives every second, so the last inbound frame is at most 1 s old here.
                        let frozenAt = ContinuousClock.now
                        proxy.setFrozen(true)
                        let lost = ["while frozen 1", "while frozen 2", "while frozen 3"]
                        for text in lost { try await bobSession.send(text: text) }
                        let timeout = serverPing + .seconds(10)
                        try await aliceLog.expect("dead link noticed", timeout: timeout + .seconds(5)) {
                            $0.isReconnecting
                        }
                        let noticedAfter = ContinuousClock.now - frozenAt
                        #expect(noticedAfter >= timeout - serverPing - .milliseconds(500), "not before the timer")
                        #expect(noticedAfter <= timeout + .seconds(2), "within ping interval + 10 s")
                        #expect(
                            !aliceLog.messages.contains { $0.text == "while frozen 1" },
                            "the link was really silent"
                        )
                        proxy.setFrozen(false)
                        proxy.dropAll()  // an attempt started while frozen would wait for its handshake timeout
                        try await aliceLog.expect("reconnected") { $0.isConnected }
                        try await aliceLog.expectTexts(Set(lost))
                        try await aliceSession.send(text: "after")
                        try await bobLog.expectText("after")
                        try await aliceLog.expectText("after")
                        #expect(aliceLog.messages.compactMap(\.text) == ["before"] + lost + ["after"])
                        #expect(aliceLog.messages.compactMap(\.seq) == Array(1...5))
                    }
                }
            }
        }
    }
}
