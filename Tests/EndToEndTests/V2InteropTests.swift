import Foundation
import Testing

@testable import ChatClientSDK
@testable import ChatReferenceServer

@Suite("End to end: v2 next to v1", .serialized, .timeLimit(.minutes(1)))
struct V2InteropTests {
    @Test("a mixed channel: a v1 client and a v2 client match and see each other's messages", arguments: v2Encodings)
    func mixedChannel(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let oldApp = ChatClient(configuration: testConfiguration(server.baseURL, speaking: .v1))
            let newApp = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (oldMatch, newMatch) = try await matchPair(oldApp, newApp)
            #expect(oldMatch.channelID == newMatch.channelID)
            #expect(newMatch.peerID == oldMatch.userID)
            try await oldApp.withRecordedSession(oldMatch) { oldSession, oldLog in
                try await oldLog.expect("connected") { $0.isConnected }
                #expect(oldSession.wireProtocol == .v1)
                try await newApp.withRecordedSession(newMatch) { newSession, newLog in
                    try await newLog.expect("connected") { $0.isConnected }
                    #expect(newSession.wireProtocol == wire)
                    try await oldLog.expect("v2 peer joined") { $0 == .joined(newMatch.userID) }

                    let sent = try await newSession.send(text: "from v2")
                    try await newLog.expect("ack") { $0.acknowledgedSeq?.0 == sent }
                    let atOld = try await oldLog.expectText("from v2")
                    #expect(atOld.senderID == newMatch.userID)
                    try await oldSession.send(text: "from v1")
                    let atNew = try await newLog.expectText("from v1")
                    #expect(atNew.seq == 2, "v1 messages get a seq too")
                    try await oldLog.expectText("from v1")

                    try await oldSession.markSeen(atOld)
                    try await newLog.expect("seen by the v1 peer") {
                        if case .seen(let id, _) = $0 { return id == atOld.id }
                        return false
                    }
                }
            }
        }
    }

    @Test(
        "against a v1-only server the SDK falls back to v1 (refused offer, or an answer without a subprotocol)",
        arguments: [ServerConfiguration.ProtocolSupport.v1Only, .v1IgnoringSubprotocols]
    )
    func fallback(support: ServerConfiguration.ProtocolSupport) async throws {
        try await InProcessServer.with {
            $0.protocols = support
        } _: { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                #expect(aliceSession.wireProtocol == .v1)
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    try await bobSession.send(text: "over v1")
                    try await aliceLog.expectText("over v1")
                }
            }

            // Without .v1 in the preference there is nothing to fall back to.
            let strict = ChatClient(configuration: testConfiguration(server.baseURL, speaking: .v2Protobuf))
            _ = try await strict.signUp(name: "strict")
            let error = await #expect(throws: ChatError.self) { try await strict.match() }
            #expect(error?.code == .unsupportedVersion)
        }
    }

    /// RC-VER-NEG-6: closing the socket would leave the waiting user matched with a ghost, and the SDK's user alone.
    @Test("a server that ignores the v2 offer: the SDK's match socket serves as a v1 one; a waiting v1 user gets it")
    func ignoredOfferKeepsTheWait() async throws {
        try await InProcessServer.with {
            $0.protocols = .v1IgnoringSubprotocols
        } _: { server in
            let waiting = ChatClient(configuration: testConfiguration(server.baseURL, speaking: .v1))
            let newcomer = ChatClient(configuration: testConfiguration(server.baseURL))
            let waitingUser = try await waiting.signUp(name: "waiting")
            let newUser = try await newcomer.signUp(name: "newcomer")
            async let waitingMatch = waiting.match()
            #expect(try await eventually { await server.state.matchmaker.waitingUsers == [waitingUser.id] })
            // The server pairs the newcomer's first (v2-offering) socket with the waiting user at once.
            let newMatch = try await newcomer.match()
            let oldMatch = try await waitingMatch
            #expect(newMatch.channelID == oldMatch.channelID)
            #expect(newMatch.peerID == waitingUser.id)
            #expect(oldMatch.peerID == newUser.id)
            #expect(newcomer.v2Offer.isEmpty, "the client learnt that the server speaks only v1")
        }
    }

    @Test("a saved v2 match against a server now v1-only: the chat falls back to v1")
    func chatFallback() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-fallback-\(UUID())").path
        let secret = String(repeating: "s", count: 40)
        let (aliceMatch, bobMatch, aliceCookie, bobCookie) = try await InProcessServer.with { configuration in
            configuration.dataDirectory = directory
            configuration.jwtSecret = secret
        } _: { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (a, b) = try await matchPair(alice, bob)
            return (a, b, alice.sessionCookie, bob.sessionCookie)
        }
        try await InProcessServer.with { configuration in
            configuration.dataDirectory = directory
            configuration.jwtSecret = secret
            configuration.protocols = .v1Only
        } _: { server in
            var aliceConfiguration = testConfiguration(server.baseURL)
            aliceConfiguration.sessionCookie = aliceCookie
            var bobConfiguration = testConfiguration(server.baseURL)
            bobConfiguration.sessionCookie = bobCookie
            let alice = ChatClient(configuration: aliceConfiguration)
            let bob = ChatClient(configuration: bobConfiguration)
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                let queued = try await aliceSession.send(text: "queued before the first connection")
                try await aliceLog.expect("connected") { $0.isConnected }
                #expect(aliceSession.wireProtocol == .v1)
                try await bob.withRecordedSession(bobMatch) { _, bobLog in
                    try await bobLog.expectText("queued before the first connection")
                    let echo = try await aliceLog.expectText("queued before the first connection")
                    #expect(echo.localID == queued)
                }
            }
        }
    }
}
