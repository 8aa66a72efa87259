import ChatProtocol
import Foundation
import GRDB
import Testing

@testable import ChatReferenceServer

@Suite("Account deletion that fails in the database (a real SQLite trigger)")
struct AccountDeletionFailureTests {
    @Test("a failed deletion answers 500 and keeps the session, the block list and the user; a retry deletes it")
    func failedDeletionKeepsTheAccount() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let carol = try await server.signUp("carol")
            #expect(try await server.blockList("PUT", carol.id, as: alice.sid).status == 204)
            let channel = ChannelID(rawValue: 4242)
            try await server.state.storage.createChannel(channel, members: [alice.id, bob.id], now: Date())

            // SQLite itself refuses to delete Alice's row, as a full disk or a corrupt page would: the last step of
            // the deletion (the transaction that deletes the user) fails after the channel ended.
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            let database = try DatabaseQueue(
                path: server.dataDirectory.appendingPathComponent("chat.sqlite").path,
                configuration: configuration
            )
            try await database.write { db in
                try db.execute(
                    sql: """
                        CREATE TRIGGER refuse_deletion BEFORE DELETE ON users WHEN old.id = \(Int64(bitPattern: alice.id.rawValue))
                        BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                        """
                )
            }

            let failed = try await server.request(
                "DELETE",
                "/api/v2/user/me",
                headers: [("Cookie", "sid=\(alice.sid)")]
            )
            #expect(failed.status == 500)
            #expect(failed.msg != nil)
            #expect(failed.header("Set-Cookie") == nil)
            #expect(try await Self.deletedCount(server) == 0)
            // Nothing of the account went: the session (in the database, not only in the cache) signs Alice in, her
            // list holds, and her match connections are taken again.
            let sessions = try await database.read { db in
                try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM sessions WHERE user_id = ?",
                    arguments: [Int64(bitPattern: alice.id.rawValue)]
                )
            }
            #expect(sessions == 1)
            #expect(
                try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(alice.sid)")]).status == 200
            )
            let list = try await server.request("GET", "/api/v2/user/blocks", headers: [("Cookie", "sid=\(alice.sid)")])
            #expect(list.status == 200)
            #expect(try V1.UserIDList(jsonBytes: list.body).userIDs == [carol.id])
            #expect(!server.state.blockLists.isForgotten(alice.id))
            try await server.state.blockLists.retain(alice.id)  // what a match connection does; throws for the deleted
            server.state.blockLists.release(alice.id)
            // What was done stays done: the channel ended.
            #expect(try await server.state.storage.channelState(channel) == .deleted)

            try await database.write { db in try db.execute(sql: "DROP TRIGGER refuse_deletion") }
            let retried = try await server.request(
                "DELETE",
                "/api/v2/user/me",
                headers: [("Cookie", "sid=\(alice.sid)")]
            )
            #expect(retried.status == 204)
            #expect(
                try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(alice.sid)")]).status == 401
            )
            #expect(server.state.blockLists.isForgotten(alice.id))
            #expect(try await Self.deletedCount(server) == 1)
            // A second deletion of the same user (a double tap that passed the session check) finds nothing left and
            // is not counted.
            try await server.state.deleteAccount(alice.id)
            #expect(try await Self.deletedCount(server) == 1)
        }
    }

    /// `chat_accounts_deleted_total` from `/metrics`.
    private static func deletedCount(_ server: TestServer) async throws -> Int? {
        let text = try await server.request("GET", "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix("chat_accounts_deleted_total ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") }
    }
}
