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

    @Test(
        "a reopened v2 session resumes from the stored position instead of replaying the channel",
        arguments: v2Encodings
    )
    func storedPositionResumes(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let store = PositionOnlyStore()
            var configuration = testConfiguration(server.baseURL, speaking: wire)
            configuration.store = store
            let alice = ChatClient(configuration: configuration)
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                try await alice.withRecordedSession(aliceMatch) { _, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bobSession.send(text: "one")
                    try await bobSession.send(text: "two")
                    try await aliceLog.expectTexts(["one", "two"])
                }
                #expect(await store.position(in: aliceMatch.channelID)?.lastSeq == 2)
                try await bobSession.send(text: "while away")
                try await bobLog.expectText("while away")

                // "Relaunch": a new client with the same store. It kept no transcript, so only the position can
                // keep "one" and "two" from being delivered again.
                var restarted = testConfiguration(server.baseURL, speaking: wire)
                restarted.store = store
                let again = ChatClient(configuration: restarted)
                let saved = try #require(await store.matches().first)
                try await again.withRecordedSession(saved) { _, log in
                    try await log.expectText("while away")
                    try await bobSession.send(text: "live")
                    try await log.expectText("live")
                    #expect(log.messages.compactMap(\.text) == ["while away", "live"])
                    #expect(log.messages.compactMap(\.seq) == [3, 4])
                }
                let position = await store.position(in: aliceMatch.channelID)
                #expect(position?.lastSeq == 4)
                #expect(position?.epoch.isEmpty == false)
            }
        }
    }

    @Test(
        "a send whose ack was lost before the app was killed is retried after relaunch with the same client_msg_id",
        arguments: v2Encodings
    )
    func pendingSendSurvivesRestart(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let store = ChatMemoryStore()
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                configuration.store = store
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                let channel = aliceMatch.channelID
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    let pending: ChatPendingSend = try await alice.withRecordedSession(aliceMatch) { session, log in
                        try await log.expect("connected") { $0.isConnected }
                        try await session.send(text: "hello")
                        try await log.expectText("hello")
                        // The server stores the next send and pushes it to bob, but alice never hears back.
                        proxy.setDeaf(true)
                        let localID = try await session.send(text: "kept across a restart")
                        try await bobLog.expectText("kept across a restart")
                        #expect(!log.events.contains { $0.acknowledgedSeq?.0 == localID }, "the ack was lost")
                        let stored = await store.pendingSends(in: channel)
                        #expect(stored.map(\.content) == [.text("kept across a restart")])
                        return try #require(stored.first)
                    }
                    // The app was killed; the send is still in the store.
                    #expect(await store.pendingSends(in: channel) == [pending])
                    proxy.setDeaf(false)
                    proxy.dropAll()

                    var restarted = testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                    restarted.store = store
                    let again = ChatClient(configuration: restarted)
                    let saved = try #require(await store.matches().first)
                    try await again.withRecordedSession(saved) { session, log in
                        let echo = try await log.expectText("kept across a restart")
                        let localID = try #require(echo.localID, "the echo is matched to the restored send")
                        #expect(
                            log.events.contains { $0.acknowledgedSeq?.0 == localID },
                            "acknowledged before its echo"
                        )
                        try await session.send(text: "after the restart")
                        try await bobLog.expectText("after the restart")
                        try await log.expectText("after the restart")
                        #expect(log.messages.compactMap(\.text) == ["kept across a restart", "after the restart"])
                    }
                    #expect(
                        bobLog.messages.compactMap(\.text) == ["hello", "kept across a restart", "after the restart"]
                    )
                    let history = try await server.state.storage.messages(of: channel, afterSeq: 0, limit: 100)
                    #expect(history.map(\.payload) == ["hello", "kept across a restart", "after the restart"])
                    #expect(history[1].clientMessageID == pending.clientMessageID, "stored under the original id")
                    #expect(await store.pendingSends(in: channel).isEmpty, "acknowledged sends leave the store")
                }
            }
        }
    }
}
