import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("Block lists and the matcher", .serialized, .timeLimit(.minutes(1)))
struct BlockListTests {
    @Test("PUT, GET and DELETE /api/v2/user/blocks: idempotent, ordered, and every refusal typed")
    func routes() async throws {
        let twoBlocks: (inout ServerConfiguration) -> Void = { $0.limits.maxBlocksPerUser = 2 }
        try await TestServer.with(configure: twoBlocks) { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let carol = try await server.signUp("carol")
            let dave = try await server.signUp("dave")
            let cookie = [("Cookie", "sid=\(alice.sid)")]
            func list() async throws -> [String] {
                let result = try await server.request("GET", "/api/v2/user/blocks", headers: cookie)
                #expect(result.status == 200)
                return try #require(result.json["user_ids"] as? [String], "\(result.text)")
            }
            #expect(try await list() == [])
            #expect(try await server.blockList("PUT", carol.id, as: alice.sid).status == 204)
            #expect(try await server.blockList("PUT", bob.id, as: alice.sid).status == 204)
            // Again: nothing changes, and a full list does not refuse a user already on it.
            #expect(try await server.blockList("PUT", carol.id, as: alice.sid).status == 204)
            #expect(try await list() == [carol.id.description, bob.id.description])

            let full = try await server.blockList("PUT", dave.id, as: alice.sid)
            #expect(full.status == 409)
            #expect(full.msg == "block list full")
            #expect(full.json["code"] as? String == "block_limit_reached")
            #expect(try await list() == [carol.id.description, bob.id.description])

            #expect(
                try await server.blockList("DELETE", carol.id, as: alice.sid).status == 204
            )
            #expect(
                try await server.blockList("DELETE", carol.id, as: alice.sid).status == 204
            )
            #expect(try await server.blockList("PUT", dave.id, as: alice.sid).status == 204)
            #expect(try await list() == [bob.id.description, dave.id.description])
            // Lists are per user.
            let bobs = try await server.request("GET", "/api/v2/user/blocks", headers: [("Cookie", "sid=\(bob.sid)")])
            #expect(bobs.json["user_ids"] as? [String] == [])

            let yourself = try await server.blockList("PUT", alice.id, as: alice.sid)
            #expect(yourself.status == 400 && yourself.msg == "invalid parameter")
            for bad in ["abc", "-1", "01", "18446744073709551616"] {
                let result = try await server.blockList("PUT", bad, as: alice.sid)
                #expect(result.status == 400 && result.msg == "invalid parameter", "\(bad)")
                let removal = try await server.blockList("DELETE", bad, as: alice.sid)
                #expect(removal.status == 400, "\(bad)")
            }
            let unknown = try await server.request("PUT", "/api/v2/user/blocks/42", headers: cookie)
            #expect(unknown.status == 404 && unknown.msg == "error user not found")
            for (method, path) in [("GET", ""), ("PUT", "/\(bob.id)"), ("DELETE", "/\(bob.id)")] {
                let anonymous = try await server.request(method, "/api/v2/user/blocks\(path)")
                #expect(anonymous.status == 401 && anonymous.msg == "unauthorized", "\(method)")
            }
            #expect(try await list() == [bob.id.description, dave.id.description])
        }
    }

    @Test("the matcher never pairs a blocked pair: a newcomer pairs with the oldest user neither blocked")
    func matcherSkipsBlockedPairs() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let carol = try await server.signUp("carol")
            let dave = try await server.signUp("dave")
            let blocked = try await server.blockList("PUT", alice.id, as: bob.sid)
            #expect(blocked.status == 204)
            // Alice waits; Bob, who blocked her, arrives and waits behind her instead of pairing.
            let aliceSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id] })
            let bobSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: bob.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id, bob.id] })
            // Carol pairs with the oldest, Alice; Dave then with Bob.
            let carolsPeer = try await server.withSocket("/api/match", cookie: carol.sid) { socket in
                try await socket.next()?["peer_id"] as? String
            }.value
            #expect(carolsPeer == alice.id.description)
            #expect(await server.state.matchmaker.waitingUsers == [bob.id])
            let davesPeer = try await server.withSocket("/api/match", cookie: dave.sid) { socket in
                try await socket.next()?["peer_id"] as? String
            }.value
            #expect(davesPeer == bob.id.description)
            aliceSocket.drop()
            bobSocket.drop()
            // The lists are held only while their users have a match connection.
            let released = try await server.eventually {
                !server.state.blockLists.isHeld(alice.id) && !server.state.blockLists.isHeld(bob.id)
            }
            #expect(released)
        }
    }

    @Test("a block made while waiting applies at once; an unblock pairs the two waiting users at once")
    func changesWhileWaiting() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let aliceSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id] })
            // Alice's list is in memory already: the block must reach it there.
            let blocked = try await server.blockList("PUT", bob.id, as: alice.sid)
            #expect(blocked.status == 204)
            let bobSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: bob.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id, bob.id] })
            let unblocked = try await server.blockList("DELETE", bob.id, as: alice.sid)
            #expect(unblocked.status == 204)
            let aliceFrames = await aliceSocket.readTextFrames(1, containing: "access_token")
            let bobFrames = await bobSocket.readTextFrames(1, containing: "access_token")
            #expect(aliceFrames.matched == 1 && bobFrames.matched == 1)
            #expect(await server.state.matchmaker.waitingUsers.isEmpty)
        }
    }

    @Test("blocks outlive a restart: the server reads who blocked anyone before it serves")
    func blocksSurviveRestarts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (alice, bob) = try await TestServer.with(dataDirectory: directory) { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            #expect(try await server.blockList("PUT", alice.id, as: bob.sid).status == 204)
            return (alice, bob)
        }
        try await TestServer.with(dataDirectory: directory) { server in
            let aliceSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id] })
            let bobSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: bob.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id, bob.id] })
            aliceSocket.drop()
            bobSocket.drop()
        }
    }

    @Test("an account deletion that fails keeps the user and its list; one that succeeds refuses the user's sockets")
    func accountDeletionMark() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            #expect(try await server.blockList("PUT", bob.id, as: alice.sid).status == 204)
            let lists = server.state.blockLists
            await #expect(throws: TestFailure.self) {
                try await lists.deletingAccount(alice.id) {
                    #expect(lists.isForgotten(alice.id))  // marked while the deletion runs
                    throw TestFailure("a storage failure")
                }
            }
            #expect(!lists.isForgotten(alice.id))
            // Alice's list is still read when her match connection opens: her block still holds.
            try await lists.retain(alice.id)
            #expect(lists.eitherBlocks(alice.id, bob.id))
            lists.release(alice.id)

            try await lists.deletingAccount(alice.id) {}
            #expect(lists.isForgotten(alice.id))
            await #expect(throws: ChatHTTPError.self) { try await lists.retain(alice.id) }
        }
    }

    @Test("a list stays held while any of its user's match sockets is open: closing one of two tabs keeps it")
    func heldPerUserNotPerSocket() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let blocked = try await server.blockList("PUT", alice.id, as: bob.sid)
            #expect(blocked.status == 204)
            let first = try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: bob.sid))
            let second = try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: bob.sid))
            #expect(try await server.eventually { await server.state.matchmaker.connectionCount(bob.id) == 2 })
            first.drop()
            #expect(try await server.eventually { await server.state.matchmaker.connectionCount(bob.id) == 1 })
            #expect(server.state.blockLists.isHeld(bob.id))
            let aliceSocket = try #require(
                await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid)
            )
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [bob.id, alice.id] })
            second.drop()
            aliceSocket.drop()
            #expect(try await server.eventually { !server.state.blockLists.isHeld(bob.id) })
        }
    }

    @Test("block-list writes past the user's burst answer 429 with Retry-After; other users and reads go on")
    func writesAreRateLimited() async throws {
        let slow: (inout ServerConfiguration) -> Void = {
            $0.limits.blockWriteBurst = 3
            $0.limits.blockWriteRate = 0.1  // one token every 10 s: none comes back during the test
        }
        try await TestServer.with(configure: slow) { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let carol = try await server.signUp("carol")
            // A refused request takes no token: its check comes first (a malformed uid, then the limit).
            #expect(try await server.blockList("PUT", "x", as: alice.sid).status == 400)
            #expect(try await server.blockList("PUT", bob.id, as: alice.sid).status == 204)
            #expect(try await server.blockList("DELETE", bob.id, as: alice.sid).status == 204)
            #expect(try await server.blockList("PUT", carol.id, as: alice.sid).status == 204)
            for method in ["PUT", "DELETE"] {
                let limited = try await server.blockList(method, bob.id, as: alice.sid)
                #expect(limited.status == 429)
                #expect(limited.json["code"] as? String == "rate_limited")
                #expect(limited.header("Retry-After").flatMap(Int.init).map { (1...10).contains($0) } == true)
            }
            // Nothing changed by the refused ones; the list reads; another user has a bucket of its own.
            let list = try await server.request("GET", "/api/v2/user/blocks", headers: [("Cookie", "sid=\(alice.sid)")])
            #expect(list.json["user_ids"] as? [String] == [carol.id.description])
            #expect(try await server.blockList("PUT", alice.id, as: bob.sid).status == 204)
        }
    }

    @Test("a v2 match socket's hello advertises the block limit")
    func helloAdvertisesTheLimit() async throws {
        let configure: @Sendable (inout ServerConfiguration) -> Void = { $0.limits.maxBlocksPerUser = 7 }
        try await TestServer.with(configure: configure) { server in
            let alice = try await server.signUp("alice")
            let socket = try #require(
                await RawSocket.connect(
                    port: server.port,
                    path: "/api/match",
                    cookie: alice.sid,
                    subprotocol: WebSocketSubprotocol.v2JSON
                )
            )
            let hello = await socket.readTextFrames(1, containing: #""max_blocks_per_user":7"#)  // the first frame
            #expect(hello.matched == 1)
            socket.drop()
        }
    }

    @Test("users who all blocked each other wait unpaired, and a newcomer still pairs with the oldest of them")
    func manyBlockedUsers() async throws {
        try await TestServer.with { server in
            var users: [(id: UserID, sid: String)] = []
            for index in 0..<6 { users.append(try await server.signUp("user\(index)")) }
            // Every pair blocked, one way (the earlier user blocked the later one).
            for (index, user) in users.enumerated() {
                for later in users[(index + 1)...] {
                    let result = try await server.blockList("PUT", later.id, as: user.sid)
                    #expect(result.status == 204)
                }
            }
            var sockets: [RawSocket] = []
            for user in users.reversed() {
                sockets.append(
                    try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: user.sid))
                )
                let waiting = sockets.count
                #expect(try await server.eventually { await server.state.matchmaker.waitingUsers.count == waiting })
            }
            #expect(await server.state.matchmaker.waitingUsers == users.reversed().map(\.id))
            let newcomer = try await server.signUp("newcomer")
            let peer = try await server.withSocket("/api/match", cookie: newcomer.sid) { socket in
                try await socket.next()?["peer_id"] as? String
            }.value
            #expect(peer == users.last?.id.description)  // the first to arrive
            #expect(await server.state.matchmaker.waitingUsers == users.dropLast().reversed().map(\.id))
            for socket in sockets { socket.drop() }
        }
    }
}

extension TestServer {
    /// `PUT` or `DELETE /api/v2/user/blocks/{blocked}` as the user of session `sid`.
    func blockList(_ method: String, _ blocked: some CustomStringConvertible, as sid: String) async throws -> HTTPResult
    {
        try await self.request(method, "/api/v2/user/blocks/\(blocked)", headers: [("Cookie", "sid=\(sid)")])
    }
}
