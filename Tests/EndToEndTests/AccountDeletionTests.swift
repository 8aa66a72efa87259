import ChatClientSDK
import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("End to end: deleting an account through the SDK", .serialized, .timeLimit(.minutes(1)))
struct AccountDeletionTests {
    @Test(
        "deleting an account ends its chat for the peer, revokes its sessions and block lists, and empties its store",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf, .v2JSON]
    )
    func deletesEverything(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let store = ChatMemoryStore()
            var aliceConfiguration = testConfiguration(server.baseURL, speaking: wire)
            aliceConfiguration.store = store
            let alice = ChatClient(configuration: aliceConfiguration)
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let carol = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            let aliceID = aliceMatch.userID
            let carolID = try await carol.signUp(name: "carol").id
            try await carol.block(aliceID)
            try await alice.block(carolID)
            let cookie = try #require(alice.sessionCookie)
            // A second session of the same user (another device), and a saved match of an earlier chat.
            try await server.state.storage.createSession("alice-tablet", user: aliceID, now: Date())
            let earlier = ChatMatch(channelID: ChannelID(rawValue: 77), token: "earlier", userID: aliceID)
            await store.saveMatch(earlier)

            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    _ = try await bobSession.send(text: "hello alice")
                    _ = try await aliceLog.expectText("hello alice")

                    try await alice.deleteAccount()
                    try await bobLog.expect("alice left") { $0 == .left(aliceID) }
                    try await bobLog.expect("bob's session ended") { $0.isDisconnected(with: .channelClosed) }
                    try await aliceLog.expect("alice's session ended") { $0.isDisconnected(with: .channelClosed) }
                }
            }

            #expect(alice.sessionCookie == nil)
            #expect(await store.matches().isEmpty)
            #expect(await store.messages(in: aliceMatch.channelID).isEmpty)
            #expect(try await server.state.storage.channelState(aliceMatch.channelID) == .deleted)
            // Every session of the account is gone: the cookie the client had, and the other device's.
            for sid in [cookie, "alice-tablet"] {
                var stale = testConfiguration(server.baseURL, speaking: wire)
                stale.sessionCookie = sid
                let device = ChatClient(configuration: stale)
                #expect(await chatErrorCode { _ = try await device.currentUser() } == .unauthorized)
                #expect(await chatErrorCode { try await device.deleteAccount() } == .unauthorized)
            }
            #expect(await chatErrorCode { _ = try await bob.user(aliceID) } == .userNotFound)
            // Both directions of the block lists: Carol's entry for Alice, and Alice's own list.
            #expect(try await carol.blockedUsers() == [])
            #expect(try await server.state.storage.usersWithBlocks() == [])
            // Bob goes on: a new match with Carol, who never blocked him.
            async let bobsNext = bob.match()
            let carolsMatch = try await carol.match()
            #expect(try await bobsNext.peerID == carolID)
            #expect(carolsMatch.peerID == bobMatch.userID)
        }
    }

    @Test(
        "a match waiting when its account is deleted fails with unauthorized, and the peer is not proposed to it",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf, .v2JSON]
    )
    func waitingMatchEnds(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let scene = try await WaitingMatch(on: server, speaking: wire)
            try await scene.alice.deleteAccount()
            let error = await #expect(throws: ChatError.self) { try await scene.waiting.value }
            #expect(error?.code == .unauthorized)
            #expect(try await eventually { await server.state.matchmaker.connectionCount(scene.aliceID) == 0 })
            #expect(await server.state.matchmaker.waitingUsers.isEmpty)
            let bob = scene.bob
            let bobWaits = Task { try await bob.match() }
            #expect(try await eventually { await server.state.matchmaker.waitingUsers == [scene.bobID] })
            bobWaits.cancel()
            _ = await bobWaits.result
        }
    }

    @Test(
        "signing in as someone else while a deletion runs keeps that session and its saved matches",
        arguments: [true, false]
    )
    func anotherSessionDuringDeletion(knowsTheUserFirst: Bool) async throws {
        try await TCPProxy.with(targetPort: 1) { upstream in
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            defer { releasing.finish() }
            upstream.setAnswer { line in
                if line.hasPrefix("DELETE /api/v2/user/me") {
                    for await _ in release {}
                    return Self.answer("204 No Content", cookie: "sid=; Path=/; Max-Age=0")
                }
                if line.hasPrefix("GET /api/user/me") {
                    return Self.answer("200 OK", cookie: "sid=alice-session", body: #"{"id":"7","name":"alice"}"#)
                }
                if line.hasPrefix("POST /api/user/logout") {
                    return Self.answer("204 No Content", cookie: "sid=; Path=/; Max-Age=0")
                }
                return Self.answer("201 Created", cookie: "sid=bob-session", body: #"{"id":"8","name":"bob"}"#)
            }
            let store = ChatMemoryStore()
            var configuration = testConfiguration("http://127.0.0.1:\(upstream.port)")
            configuration.sessionCookie = "alice-session"
            configuration.store = store
            let client = ChatClient(configuration: configuration)
            await store.saveMatch(ChatMatch(channelID: ChannelID(rawValue: 1), token: "a", userID: UserID(7)))
            await store.saveMatch(ChatMatch(channelID: ChannelID(rawValue: 2), token: "b", userID: UserID(8)))

            // Not knowing its user, the client asks for it before the deletion, with the same session.
            if knowsTheUserFirst { #expect(try await client.currentUser().id == UserID(7)) }
            async let deletion: Void = client.deleteAccount()
            #expect(try await eventually { upstream.requestLines.contains("DELETE /api/v2/user/me HTTP/1.1") })
            try await client.signOut()
            #expect(try await client.signUp(name: "bob").id == UserID(8))
            releasing.finish()
            try await deletion

            #expect(client.sessionCookie == "bob-session")
            #expect(await store.matches().map(\.userID) == [UserID(8)])
            #expect(upstream.requestLines.filter { $0.hasPrefix("GET /api/user/me") }.count == 1)
        }
    }

    private static func answer(_ status: String, cookie: String, body: String = "") -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nSet-Cookie: \(cookie)\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    @Test("deletion refusals are typed ChatErrors: signed out, and a server without the route")
    func refusals() async throws {
        try await InProcessServer.with { server in
            let signedOut = ChatClient(configuration: testConfiguration(server.baseURL))
            #expect(await chatErrorCode { try await signedOut.deleteAccount() } == .unauthorized)
        }
        // A v1-only server (upstream): its router answers a bare 404.
        try await withServerLackingRoutes { client in
            let missing = await #expect(throws: ChatError.self) { try await client.deleteAccount() }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("cannot delete accounts") == true)
            #expect(client.sessionCookie == "a-session", "a refused deletion signs nobody out")
        }
    }
}
