import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("Match websocket and wait list", .serialized, .timeLimit(.minutes(1)))
struct MatchTests {
    @Test("Two users are matched: both get the same token, each their peer's id, and become channel members")
    func twoUsersMatch() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (tokens, continuation) = AsyncStream.makeStream(of: String.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let close = try await server.withSocket("/api/match", cookie: alice.sid) { socket in
                        let frame = try #require(try await socket.next())
                        #expect(frame["peer_id"] as? String == bob.id.description)
                        continuation.yield(try #require(frame["access_token"] as? String))
                        #expect(try await socket.next() == nil)  // the server closes after the token (D18)
                    }.closeCode
                    #expect(close == 1000)
                }
                #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id] })
                group.addTask {
                    try await server.withSocket("/api/match", cookie: bob.sid) { socket in
                        let frame = try #require(try await socket.next())
                        #expect(frame.keys.sorted() == ["access_token", "peer_id"])
                        #expect(frame["peer_id"] as? String == alice.id.description)
                        continuation.yield(try #require(frame["access_token"] as? String))
                    }
                }
                try await group.waitForAll()
            }
            continuation.finish()
            var both: [String] = []
            for await token in tokens { both.append(token) }
            #expect(both.count == 2 && both[0] == both[1])
            let members = try await server.request("GET", "/api/chat/users", headers: server.bearer(both[0]))
            #expect(Set(members.json["user_ids"] as? [String] ?? []) == [alice.id.description, bob.id.description])
            #expect(await server.state.matchmaker.waitingUsers.isEmpty)
        }
    }

    @Test("A second tab of a waiting user is idempotent, and every tab receives the token (D46)")
    func secondTab() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await server.withSocket("/api/match", cookie: alice.sid) { socket in
                            try #require(try await socket.next()?["access_token"] as? String)
                        }.value
                    }
                }
                #expect(try await server.eventually { await server.state.matchmaker.connectionCount(alice.id) == 2 })
                #expect(await server.state.matchmaker.waitingUsers == [alice.id])
                group.addTask {
                    try await server.withSocket("/api/match", cookie: bob.sid) { socket in
                        try #require(try await socket.next()?["access_token"] as? String)
                    }.value
                }
                var tokens: [String] = []
                for try await token in group { tokens.append(token) }
                #expect(tokens.count == 3 && Set(tokens).count == 1)
            }
        }
    }

    @Test("Closing one of two tabs keeps the user waiting; closing the last removes them")
    func oneOfTwoTabsCloses() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let first = try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid))
            let second = try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid))
            #expect(try await server.eventually { await server.state.matchmaker.connectionCount(alice.id) == 2 })
            first.drop()
            #expect(try await server.eventually { await server.state.matchmaker.connectionCount(alice.id) == 1 })
            #expect(await server.state.matchmaker.waitingUsers == [alice.id])
            second.drop()
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers.isEmpty })
        }
    }

    enum DisconnectPath: String, CaseIterable, Sendable {
        case closeFrame, tcpFin, tcpReset, oversizeFrame, pingTimeout
    }

    @Test(
        "A waiting user who disconnects by any path leaves the wait list at once: no ghost match",
        arguments: DisconnectPath.allCases
    )
    func noGhost(path: DisconnectPath) async throws {
        try await TestServer.with { configuration in
            if path == .pingTimeout { configuration.limits.pingInterval = .milliseconds(300) }
        } _: { server in
            let ghost = try await server.signUp("ghost")
            switch path {
            case .closeFrame:
                try await server.withSocket("/api/match", cookie: ghost.sid) { socket in
                    #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [ghost.id] })
                    try await socket.close()
                }
            case .tcpFin, .tcpReset:
                let socket = try #require(
                    await RawSocket.connect(port: server.port, path: "/api/match", cookie: ghost.sid)
                )
                #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [ghost.id] })
                socket.drop(reset: path == .tcpReset)
            case .oversizeFrame:
                let socket = try #require(
                    await RawSocket.connect(port: server.port, path: "/api/match", cookie: ghost.sid)
                )
                #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [ghost.id] })
                socket.sendText(size: 513)
                #expect(await socket.readCloseCode() == 1009)
                socket.drop()
            case .pingTimeout:
                let socket = try #require(
                    await RawSocket.connect(port: server.port, path: "/api/match", cookie: ghost.sid)
                )
                #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [ghost.id] })
                // Never answers the pings; the server drops it after one missed pong.
                #expect(try await server.eventually { await server.state.matchmaker.waitingUsers.isEmpty })
                socket.drop()
            }
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers.isEmpty })
            // The next user waits instead of being paired with the ghost.
            let next = try await server.signUp("next")
            let socket = try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: next.sid))
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [next.id] })
            socket.drop()
        }
    }

    @Test("The match socket needs a session: 401 without one, 404 for a vanished user")
    func matchNeedsSession() async throws {
        try await TestServer.with { server in
            #expect(await RawSocket.connect(port: server.port, path: "/api/match") == nil)
            let result = try await server.request("GET", "/api/match")
            #expect(result.status == 401)
        }
    }
}
