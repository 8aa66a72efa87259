import ChatClientSDK
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("End to end: v2 match races through the SDK", .serialized, .timeLimit(.minutes(1)))
struct V2MatchRaceTests {
    @Test(
        "a peer that disconnects between pairing and confirm: the SDK's wait goes on and it matches the next user",
        arguments: [RawMatchSocket.AfterProposal.disconnect, .cancel]
    )
    func peerAbandonsProposal(after: RawMatchSocket.AfterProposal) async throws {
        try await InProcessServer.with { server in
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let carol = ChatClient(configuration: testConfiguration(server.baseURL))
            let ghost = ChatClient(configuration: testConfiguration(server.baseURL))
            let bobUser = try await bob.signUp(name: "bob")
            let carolUser = try await carol.signUp(name: "carol")
            _ = try await ghost.signUp(name: "ghost")
            let ghostCookie = try #require(ghost.sessionCookie)

            async let bobMatch = bob.match()
            #expect(try await eventually { await server.state.matchmaker.waitingUsers == [bobUser.id] })
            // The ghost is proposed bob, then drops (or cancels) instead of confirming.
            let proposal = try await RawMatchSocket.enqueueAndAbandon(
                baseURL: server.baseURL,
                cookie: ghostCookie,
                after: after
            )
            #expect(proposal.peerID == bobUser.id)
            // Bob is back at the head of the list, so carol is paired with him.
            let carolMatch = try await carol.match()
            let match = try await bobMatch
            #expect(match.peerID == carolUser.id)
            #expect(carolMatch.channelID == match.channelID)
        }
    }

    @Test(
        "next while the peer is typing: the old chat ends for both, and the user is matched again",
        arguments: v2Encodings
    )
    func nextWhilePeerTypes(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let carol = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            let carolUser = try await carol.signUp(name: "carol")
            let next: ChatMatch = try await alice.withRecordedSession(aliceMatch) { _, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                return try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    try await aliceLog.expect("bob joined") { $0 == .joined(bobMatch.userID) }
                    try await bobSession.startTyping()
                    try await aliceLog.expect("bob typing") { $0 == .typingStarted(bobMatch.userID) }

                    async let nextMatch = alice.next(after: aliceMatch)
                    try await bobLog.expect("alice left") { $0 == .left(aliceMatch.userID) }
                    try await aliceLog.expect("alice's session sees the end") { $0 == .left(aliceMatch.userID) }
                    let ended = try await bobLog.expect("bob's session ends") {
                        if case .connection(.disconnected) = $0 { return true }
                        return false
                    }
                    guard case .connection(.disconnected(let reason)) = ended else { throw E2EFailure("unreachable") }
                    #expect(reason.code == .channelClosed)
                    let sendAfter = await #expect(throws: ChatError.self) { try await bobSession.send(text: "late") }
                    #expect(sendAfter?.code == .invalidState)
                    let leftIndex = try #require(bobLog.events.firstIndex(of: .left(aliceMatch.userID)))
                    #expect(!bobLog.events[leftIndex...].contains { $0 == .typingStarted(bobMatch.userID) })
                    // Alice is queued again: carol gets her.
                    let carolMatch = try await carol.match()
                    #expect(carolMatch.peerID == aliceMatch.userID)
                    return try await nextMatch
                }
            }
            #expect(next.peerID == carolUser.id)
            #expect(next.channelID != aliceMatch.channelID)
            // The old channel is over: its token no longer opens anything.
            let members = await #expect(throws: ChatError.self) {
                try await alice.withSession(aliceMatch) { try await $0.members() }
            }
            #expect(members?.code == .channelClosed)
        }
    }

    @Test(
        "two tabs of one user: the newer match() takes over the wait, the older one reports it",
        arguments: v2Encodings
    )
    func twoTabs(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let firstTab = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let aliceUser = try await firstTab.signUp(name: "alice")
            var secondConfiguration = testConfiguration(server.baseURL, speaking: wire)
            secondConfiguration.sessionCookie = firstTab.sessionCookie
            let secondTab = ChatClient(configuration: secondConfiguration)
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let bobUser = try await bob.signUp(name: "bob")

            let firstWait = Task { try await firstTab.match() }
            #expect(try await eventually { await server.state.matchmaker.waitingUsers == [aliceUser.id] })
            async let secondWait: ChatMatch = secondTab.match()
            let replaced = await #expect(throws: ChatError.self) { _ = try await firstWait.value }
            #expect(replaced?.code == .invalidState)
            #expect(await server.state.matchmaker.waitingUsers == [aliceUser.id], "one ticket, taken over")
            let bobMatch = try await bob.match()
            let aliceMatch = try await secondWait
            #expect(aliceMatch.peerID == bobUser.id)
            #expect(bobMatch.peerID == aliceUser.id)
        }
    }
}
