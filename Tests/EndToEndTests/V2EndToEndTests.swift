import ChatClientSDK
import Foundation
import Testing

@testable import ChatReferenceServer

/// The two v2 encodings every v2 test runs with.
let v2Encodings: [NegotiatedProtocol] = [.v2Protobuf, .v2JSON]

/// A test configuration that speaks only `wire` (no fallback).
func testConfiguration(_ baseURL: String, speaking wire: NegotiatedProtocol) -> ChatClient.Configuration {
    var configuration = testConfiguration(baseURL)
    configuration.protocolPreference = [wire]
    return configuration
}

extension ChatEvent {
    var acknowledgedSeq: (ChatLocalMessageID, UInt64)? {
        if case .sendAcknowledged(let id, let seq) = self { return (id, seq) }
        return nil
    }
}

@Suite("End to end: protocol v2 through the SDK", .serialized, .timeLimit(.minutes(1)))
struct V2EndToEndTests {
    @Test(
        "two v2 clients match with the confirm handshake and chat: acks, seq, echoes, typing, seen",
        arguments: v2Encodings
    )
    func chatOverV2(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            #expect(aliceMatch.channelID == bobMatch.channelID)
            #expect(aliceMatch.peerID == bobMatch.userID)
            #expect(bobMatch.peerID == aliceMatch.userID)
            #expect(aliceMatch.token != bobMatch.token, "each peer gets its own v2 token")
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                #expect(aliceSession.wireProtocol == wire)
                #expect(aliceSession.serverLimits?.maxTextBytes == 16_384)
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    try await aliceLog.expect("bob joined") { $0 == .joined(bobMatch.userID) }

                    let localID = try await aliceSession.send(text: "hello over \(wire)")
                    let ack = try await aliceLog.expect("ack") { $0.acknowledgedSeq?.0 == localID }
                    #expect(ack.acknowledgedSeq?.1 == 1)
                    let echo = try await aliceLog.expectText("hello over \(wire)")
                    #expect(echo.localID == localID)
                    #expect(echo.seq == 1)
                    let received = try await bobLog.expectText("hello over \(wire)")
                    #expect(received.seq == 1 && received.localID == nil && received.senderID == aliceMatch.userID)

                    try await bobSession.startTyping()
                    try await aliceLog.expect("bob typing") { $0 == .typingStarted(bobMatch.userID) }
                    try await bobSession.markSeen(received)
                    try await aliceLog.expect("seen") { $0 == .seen(messageID: echo.id, authorID: aliceMatch.userID) }

                    try await bobSession.send(text: "reply")
                    try await aliceLog.expectText("reply")
                    #expect(aliceLog.messages.map(\.seq) == [1, 2])
                }
                try await aliceLog.expect("bob offline") { $0 == .offline(bobMatch.userID) }
            }
        }
    }

    @Test("limits from hello are enforced before sending, with typed errors", arguments: v2Encodings)
    func limitsBeforeSending(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { configuration in
            configuration.limits.maxTextBytes = 10
            configuration.limits.maxUploadSize = 1000
            configuration.limits.maxChannelUploadBytes = 5000
            configuration.limits.maxFilesPerUpload = 3
            configuration.limits.maxBlocksPerUser = 7
        } _: { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, _) = try await matchPair(alice, bob)
            try await alice.withRecordedSession(aliceMatch) { session, log in
                try await log.expect("connected") { $0.isConnected }
                #expect(session.serverLimits?.maxTextBytes == 10)
                // Advertised as configured, not replaced by defaults (their 0 means "none").
                #expect(session.serverLimits?.maxChannelUploadBytes == 5000)
                #expect(session.serverLimits?.maxFilesPerUpload == 3)
                #expect(session.serverLimits?.maxBlocksPerUser == 7)
                let tooLong = await #expect(throws: ChatError.self) { try await session.send(text: "eleven byte") }
                #expect(tooLong?.code == .messageTooLarge)
                try await log.expect("resumed and writable") { $0 == .waiting(aliceMatch.userID) }
                try await session.startTyping()
                let tooSoon = await #expect(throws: ChatError.self) { try await session.startTyping() }
                #expect(tooSoon?.code == .rateLimited)
                #expect(tooSoon?.retryAfter != nil)
                let tooBig = await #expect(throws: ChatError.self) {
                    try await session.sendFile([UInt8](repeating: 1, count: 1001), named: "big.bin")
                }
                #expect(tooBig?.code == .uploadTooLarge)
                let fits = try await session.send(text: "ten bytes!")
                try await log.expect("ack") { $0.acknowledgedSeq?.0 == fits }
            }
        }
    }

    @Test("the token is refreshed in-band before it expires and reconnects use the fresh one", arguments: v2Encodings)
    func tokenRefresh(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { configuration in
            configuration.tokenLifetime = .seconds(4)
        } _: { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let alice = ChatClient(
                    configuration: testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                )
                let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                let firstExpiry = try #require(aliceMatch.expiresAt)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        // Past the first token's expiry (4 s lifetime, whole seconds): the session is still usable.
                        try await Task.sleep(for: .seconds(Int64(firstExpiry.timeIntervalSinceNow.rounded(.up)) + 1))
                        #expect(aliceSession.currentMatch.token != aliceMatch.token)
                        #expect((aliceSession.currentMatch.expiresAt ?? .distantPast) > firstExpiry)
                        try await aliceSession.send(text: "still here")
                        try await bobLog.expectText("still here")
                        // A reconnect after the old token expired works only with the refreshed one.
                        proxy.dropAll()
                        try await aliceLog.expect("reconnecting") { $0.isReconnecting }
                        try await aliceLog.expect("reconnected") { $0.isConnected }
                        try await bobSession.send(text: "after the reconnect")
                        try await aliceLog.expectText("after the reconnect")
                        #expect(aliceLog.endError == nil)
                    }
                }
            }
        }
    }

    @Test("leave is the v2 command: both sessions end with left", arguments: v2Encodings)
    func leave(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                try await bob.withRecordedSession(bobMatch) { _, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    try await aliceLog.expect("bob joined") { $0 == .joined(bobMatch.userID) }
                    try await aliceSession.leave()
                    try await aliceLog.expect("alice left") { $0 == .left(aliceMatch.userID) }
                    try await bobLog.expect("bob sees alice leave") { $0 == .left(aliceMatch.userID) }
                    try await bobLog.expect("bob's session ends") { $0.isDisconnected(with: .channelClosed) }
                }
            }
        }
    }

    @Test("the match wait timeout (4408) is ChatError.matchTimeout", arguments: v2Encodings)
    func matchTimeout(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { configuration in
            configuration.limits.matchWaitTimeout = .seconds(1)
        } _: { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            _ = try await alice.signUp(name: "alone")
            let error = await #expect(throws: ChatError.self) { try await alice.match() }
            #expect(error?.code == .matchTimeout)
            #expect(error?.closeCode == 4408)
        }
    }

    @Test("cancelling match() leaves the wait list", arguments: v2Encodings)
    func cancelMatch(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            _ = try await alice.signUp(name: "alice")
            let waiting = Task { try await alice.match() }
            #expect(try await eventually { await server.state.matchmaker.waitingUsers.count == 1 })
            waiting.cancel()
            let error = await #expect(throws: ChatError.self) { try await waiting.value }
            #expect(error?.code == .cancelled)
            #expect(try await eventually { await server.state.matchmaker.waitingUsers.isEmpty })
        }
    }
}
