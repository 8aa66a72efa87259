import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

/// Session lookups read without writing while `last_used_at` is fresh; expiry still follows the idle timeout.
@Suite("Session idle expiry in SQLite")
struct SessionStorageTests {
    private func withStorage(_ body: (SQLiteStorage) async throws -> Void) async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await body(SQLiteStorage(path: directory.appendingPathComponent("chat.sqlite").path))
    }

    @Test("a session used more often than the idle timeout never expires")
    func usedSessionStaysValid() async throws {
        try await self.withStorage { storage in
            let user = UserID(42)
            _ = try await storage.createUser(name: "a", picture: "", id: user)
            let start = Date(timeIntervalSince1970: 1_000_000)
            try await storage.createSession("s", user: user, now: start)
            // Idle timeout 100 s, used every 30 s for 10 minutes: each lookup finds it, whether it read or wrote.
            for step in 1...20 {
                let now = start.addingTimeInterval(Double(step) * 30)
                #expect(try await storage.sessionUser("s", now: now, idleTimeout: 100) == user, "step \(step)")
            }
        }
    }

    @Test("a session idle for longer than the timeout is gone, and stays gone")
    func idleSessionExpires() async throws {
        try await self.withStorage { storage in
            let user = UserID(43)
            _ = try await storage.createUser(name: "b", picture: "", id: user)
            let start = Date(timeIntervalSince1970: 2_000_000)
            try await storage.createSession("s", user: user, now: start)
            // A lookup just inside the refresh granularity (a tenth of the timeout) does not write.
            #expect(try await storage.sessionUser("s", now: start.addingTimeInterval(5), idleTimeout: 100) == user)
            // Idle since `start` for more than the timeout: expired, although it was read at +5 s without a write.
            #expect(try await storage.sessionUser("s", now: start.addingTimeInterval(101), idleTimeout: 100) == nil)
            #expect(try await storage.sessionUser("s", now: start.addingTimeInterval(102), idleTimeout: 1_000) == nil)
        }
    }

    @Test("a refreshed session counts its idle time from the refresh")
    func refreshMovesTheDeadline() async throws {
        try await self.withStorage { storage in
            let user = UserID(44)
            _ = try await storage.createUser(name: "c", picture: "", id: user)
            let start = Date(timeIntervalSince1970: 3_000_000)
            try await storage.createSession("s", user: user, now: start)
            // At +50 s (past the 10 s granularity) the lookup writes last_used_at = +50.
            #expect(try await storage.sessionUser("s", now: start.addingTimeInterval(50), idleTimeout: 100) == user)
            #expect(try await storage.sessionUser("s", now: start.addingTimeInterval(140), idleTimeout: 100) == user)
            #expect(try await storage.sessionUser("s", now: start.addingTimeInterval(241), idleTimeout: 100) == nil)
        }
    }

    @Test(
        "Many concurrent requests that read the store all complete (no reader starves the cooperative pool)",
        .timeLimit(.minutes(1))
    )
    func concurrentReadsComplete() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (_, token) = try await server.makeChannel([alice.id, bob.id])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<400 {
                    group.addTask {
                        if index.isMultiple(of: 2) {
                            let cookie = [("Cookie", "sid=\(alice.sid)")]
                            return try await server.request("GET", "/api/user/me", headers: cookie).status
                        }
                        return try await server.request(
                            "GET",
                            "/api/chat/channel/messages",
                            headers: server.bearer(token)
                        ).status
                    }
                }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses.count == 400 && statuses.allSatisfy { $0 == 200 })
        }
    }

    @Test(
        "deleteUser drops the user, its sessions and both directions of the block lists; channels(of:) is active only"
    )
    func deleteUser() async throws {
        try await self.withStorage { storage in
            let (alice, bob, carol) = (UserID(51), UserID(52), UserID(53))
            for user in [alice, bob, carol] { _ = try await storage.createUser(name: "u", picture: "", id: user) }
            let now = Date()
            try await storage.createSession("a1", user: alice, now: now)
            try await storage.createSession("a2", user: alice, now: now)
            try await storage.createSession("b1", user: bob, now: now)
            #expect(try await storage.block(bob, by: alice, limit: 10, now: now) == .added)
            #expect(try await storage.block(alice, by: carol, limit: 10, now: now) == .added)
            #expect(try await storage.block(bob, by: carol, limit: 10, now: now) == .added)
            try await storage.createChannel(ChannelID(7), members: [alice, bob], now: now)
            try await storage.createChannel(ChannelID(8), members: [alice, carol], now: now)
            try await storage.deleteChannel(ChannelID(8), now: now)
            #expect(try await storage.channels(of: alice) == [ChannelID(7)])

            #expect(try await storage.deleteUser(alice))
            #expect(try await storage.user(alice) == nil)
            for sid in ["a1", "a2"] { #expect(try await storage.sessionUser(sid, now: now, idleTimeout: 100) == nil) }
            #expect(try await storage.sessionUser("b1", now: now, idleTimeout: 100) == bob)
            #expect(try await storage.blockedUsers(of: carol) == [bob])
            #expect(try await storage.usersWithBlocks() == [carol])
            // A block written for the deleted user afterwards (a request in flight) is refused, and so is one of it.
            #expect(try await storage.block(carol, by: alice, limit: 10, now: now) == .unknownUser)
            #expect(try await storage.block(alice, by: bob, limit: 10, now: now) == .unknownUser)
            #expect(try await storage.usersWithBlocks() == [carol])
            #expect(try await storage.deleteUser(alice) == false)
        }
    }
}
