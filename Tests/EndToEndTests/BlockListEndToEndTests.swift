import ChatClientSDK
import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("End to end: block lists through the SDK", .serialized, .timeLimit(.minutes(1)))
struct BlockListEndToEndTests {
    @Test(
        "a user blocked through the SDK is never matched with the blocker, on v1 and v2",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf]
    )
    func blockedPeerIsSkipped(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let clients = (0..<4).map { _ in
                ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
            }
            var signedUp: [UserID] = []
            for (index, client) in clients.enumerated() {
                signedUp.append(try await client.signUp(name: "user\(index)").id)
            }
            let ids = signedUp
            let (alice, bob, carol, dave) = (clients[0], clients[1], clients[2], clients[3])
            try await bob.block(ids[0])
            #expect(try await bob.blockedUsers() == [ids[0]])
            #expect(try await alice.blockedUsers() == [])

            try await withThrowingTaskGroup(of: (UserID, UserID?).self) { group in
                group.addTask { (ids[0], try await alice.match().peerID) }
                #expect(try await eventually { await server.state.matchmaker.waitingUsers == [ids[0]] })
                group.addTask { (ids[1], try await bob.match().peerID) }
                #expect(try await eventually { await server.state.matchmaker.waitingUsers.count == 2 })
                group.addTask { (ids[2], try await carol.match().peerID) }
                #expect(try await eventually { await server.state.matchmaker.waitingUsers == [ids[1]] })
                group.addTask { (ids[3], try await dave.match().peerID) }
                var peers: [UserID: UserID] = [:]
                for try await (user, peer) in group { peers[user] = peer }
                #expect(peers == [ids[0]: ids[2], ids[2]: ids[0], ids[1]: ids[3], ids[3]: ids[1]])
            }

            try await bob.unblock(ids[0])
            try await bob.unblock(ids[0])  // not blocked any more: changes nothing
            #expect(try await bob.blockedUsers() == [])
        }
    }

    @Test("blocking faster than the server allows is a rateLimited ChatError with the server's retry advice")
    func rateLimited() async throws {
        let oneWrite: (inout ServerConfiguration) -> Void = {
            $0.limits.blockWriteBurst = 1
            $0.limits.blockWriteRate = 0.2
        }
        try await InProcessServer.with(configure: oneWrite) { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            _ = try await alice.signUp(name: "alice")
            let bobID = try await bob.signUp(name: "bob").id
            try await alice.block(bobID)
            let error = await #expect(throws: ChatError.self) { try await alice.unblock(bobID) }
            #expect(error?.code == .rateLimited)
            #expect(error?.retryAfter.map { $0 > .zero && $0 <= .seconds(5) } == true)
            #expect(try await alice.blockedUsers() == [bobID])  // the refused unblock changed nothing
        }
    }

    @Test("block refusals are typed ChatErrors: oneself, an unknown user, a full list, signed out, no such route")
    func refusals() async throws {
        let oneBlock: (inout ServerConfiguration) -> Void = { $0.limits.maxBlocksPerUser = 1 }
        try await InProcessServer.with(configure: oneBlock) { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let carol = ChatClient(configuration: testConfiguration(server.baseURL))
            let me = try await alice.signUp(name: "alice").id
            let bobID = try await bob.signUp(name: "bob").id
            let carolID = try await carol.signUp(name: "carol").id
            #expect(await chatErrorCode { try await alice.block(me) } == .invalidParameter)
            #expect(await chatErrorCode { try await alice.block(UserID(42)) } == .userNotFound)
            try await alice.block(bobID)
            let full = await chatErrorCode { try await alice.block(carolID) }
            #expect(full == .blockLimitReached)
            #expect(try await alice.blockedUsers() == [bobID])
            let signedOut = ChatClient(configuration: testConfiguration(server.baseURL))
            #expect(await chatErrorCode { try await signedOut.block(bobID) } == .unauthorized)
        }
        // A server without block lists: upstream's router answers a bare 404, which is not "user not found".
        try await withServerLackingRoutes { client in
            let missing = await #expect(throws: ChatError.self) { try await client.block(UserID(7)) }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("no block lists") == true)
        }
    }
}
