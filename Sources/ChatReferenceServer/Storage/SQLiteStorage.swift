import ChatProtocol
import Foundation
import GRDB

/// ``ChatStorage`` on an embedded SQLite database (GRDB `DatabasePool`, WAL mode).
///
/// Ids are stored as `INTEGER` holding the id's bit pattern (`Int64(bitPattern:)`), so every `UInt64` a client can
/// send is a valid key; ids the server mints are below 2^63 and look the same either way. Messages carry a dense
/// per-channel `seq` (1, 2, 3, …) that
/// history paging uses now and v2 resumption later.
final class SQLiteStorage: ChatStorage {
    private let pool: DatabasePool

    /// Opens (creating and migrating when needed) the database at `path`.
    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(self.pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY, name TEXT NOT NULL, picture TEXT NOT NULL,
                        email TEXT UNIQUE, created_at REAL NOT NULL);
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                        created_at REAL NOT NULL, last_used_at REAL NOT NULL);
                    CREATE TABLE channels (
                        id INTEGER PRIMARY KEY, created_at REAL NOT NULL, deleted_at REAL,
                        message_count INTEGER NOT NULL DEFAULT 0);
                    CREATE TABLE members (
                        channel_id INTEGER NOT NULL REFERENCES channels(id), user_id INTEGER NOT NULL,
                        PRIMARY KEY (channel_id, user_id));
                    CREATE TABLE messages (
                        id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL REFERENCES channels(id),
                        seq INTEGER NOT NULL, event INTEGER NOT NULL, user_id INTEGER NOT NULL,
                        payload TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, time INTEGER NOT NULL,
                        UNIQUE (channel_id, seq));
                    """
            )
        }
        return migrator
    }

    func createUser(name: String, picture: String, id: UserID) async throws -> StoredUser {
        try await self.pool.write { db in
            try db.execute(
                sql: "INSERT INTO users (id, name, picture, email, created_at) VALUES (?, ?, ?, NULL, ?)",
                arguments: [Int64(bitPattern: id.rawValue), name, picture, Date().timeIntervalSince1970]
            )
        }
        return StoredUser(id: id, name: name, picture: picture, email: nil)
    }

    func user(_ id: UserID) async throws -> StoredUser? {
        try await self.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [Int64(bitPattern: id.rawValue)])
                .map(Self.user(from:))
        }
    }

    func oauthUser(email: String, name: String, picture: String, id: UserID) async throws -> StoredUser {
        try await self.pool.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE email = ?", arguments: [email]) {
                return Self.user(from: row)
            }
            try db.execute(
                sql: "INSERT INTO users (id, name, picture, email, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [Int64(bitPattern: id.rawValue), name, picture, email, Date().timeIntervalSince1970]
            )
            return StoredUser(id: id, name: name, picture: picture, email: email)
        }
    }

    private static func user(from row: Row) -> StoredUser {
        StoredUser(
            id: UserID(UInt64(bitPattern: row["id"] as Int64)),
            name: row["name"],
            picture: row["picture"],
            email: row["email"]
        )
    }

    func createSession(_ sessionID: String, user: UserID, now: Date) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (id, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    sessionID, Int64(bitPattern: user.rawValue), now.timeIntervalSince1970, now.timeIntervalSince1970,
                ]
            )
        }
    }

    func sessionUser(_ sessionID: String, now: Date, idleTimeout: TimeInterval) async throws -> UserID? {
        try await self.pool.write { db in
            let oldest = now.timeIntervalSince1970 - idleTimeout
            try db.execute(
                sql: "DELETE FROM sessions WHERE id = ? AND last_used_at < ?",
                arguments: [sessionID, oldest]
            )
            guard
                let userID = try Int64.fetchOne(
                    db,
                    sql: "SELECT user_id FROM sessions WHERE id = ?",
                    arguments: [sessionID]
                )
            else { return nil }
            try db.execute(
                sql: "UPDATE sessions SET last_used_at = ? WHERE id = ?",
                arguments: [now.timeIntervalSince1970, sessionID]
            )
            return UserID(UInt64(bitPattern: userID))
        }
    }

    func deleteSession(_ sessionID: String) async throws {
        try await self.pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [sessionID])
        }
    }

    func createChannel(_ id: ChannelID, members: [UserID], now: Date) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql: "INSERT INTO channels (id, created_at) VALUES (?, ?)",
                arguments: [Int64(bitPattern: id.rawValue), now.timeIntervalSince1970]
            )
            for member in Set(members) {
                try db.execute(
                    sql: "INSERT INTO members (channel_id, user_id) VALUES (?, ?)",
                    arguments: [Int64(bitPattern: id.rawValue), Int64(bitPattern: member.rawValue)]
                )
            }
        }
    }

    func channelState(_ id: ChannelID) async throws -> ChannelState {
        try await self.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT deleted_at FROM channels WHERE id = ?",
                    arguments: [Int64(bitPattern: id.rawValue)]
                )
            else { return .unknown }
            return (row["deleted_at"] as Double?) == nil ? .active : .deleted
        }
    }

    func members(of channel: ChannelID) async throws -> [UserID] {
        try await self.pool.read { db in
            try Int64.fetchAll(
                db,
                sql: "SELECT user_id FROM members WHERE channel_id = ? ORDER BY rowid",
                arguments: [Int64(bitPattern: channel.rawValue)]
            ).map { UserID(UInt64(bitPattern: $0)) }
        }
    }

    func isMember(_ user: UserID, of channel: ChannelID) async throws -> Bool {
        try await self.pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM members WHERE channel_id = ? AND user_id = ?)",
                arguments: [Int64(bitPattern: channel.rawValue), Int64(bitPattern: user.rawValue)]
            ) ?? false
        }
    }

    func deleteChannel(_ id: ChannelID, now: Date) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql: "UPDATE channels SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                arguments: [now.timeIntervalSince1970, Int64(bitPattern: id.rawValue)]
            )
            try db.execute(sql: "DELETE FROM members WHERE channel_id = ?", arguments: [Int64(bitPattern: id.rawValue)])
        }
    }

    func appendMessage(_ message: V1.Message, channel: ChannelID, cap: Int) async throws -> V1.Message {
        try await self.pool.write { db in
            let cid = Int64(bitPattern: channel.rawValue)
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT message_count, deleted_at FROM channels WHERE id = ?",
                    arguments: [cid]
                ), (row["deleted_at"] as Double?) == nil
            else { throw AppendMessageError.channelGone }
            let count: Int64 = row["message_count"]
            guard count < Int64(cap) else { throw AppendMessageError.capReached }
            try db.execute(
                sql: """
                    INSERT INTO messages (id, channel_id, seq, event, user_id, payload, seen, time)
                    VALUES (?, ?, ?, ?, ?, ?, 0, ?)
                    """,
                arguments: [
                    Int64(bitPattern: message.messageID.rawValue), cid, count + 1, message.event.rawValue,
                    Int64(bitPattern: message.userID.rawValue), message.payload, message.time,
                ]
            )
            try db.execute(sql: "UPDATE channels SET message_count = ? WHERE id = ?", arguments: [count + 1, cid])
            return message
        }
    }

    func message(_ id: MessageID, in channel: ChannelID) async throws -> V1.Message? {
        try await self.pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM messages WHERE id = ? AND channel_id = ?",
                arguments: [Int64(bitPattern: id.rawValue), Int64(bitPattern: channel.rawValue)]
            ).map(Self.message(from:))
        }
    }

    func markSeen(_ id: MessageID, in channel: ChannelID) async throws {
        try await self.pool.write { db in
            try db.execute(
                sql: "UPDATE messages SET seen = 1 WHERE id = ? AND channel_id = ?",
                arguments: [Int64(bitPattern: id.rawValue), Int64(bitPattern: channel.rawValue)]
            )
        }
    }

    func history(
        of channel: ChannelID,
        beforeSeq: Int64?,
        limit: Int
    ) async throws -> (
        messages: [V1.Message], nextSeq: Int64?
    ) {
        try await self.pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM messages WHERE channel_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [Int64(bitPattern: channel.rawValue), beforeSeq ?? Int64.max, limit + 1]
            )
            let page = rows.prefix(limit)
            let next: Int64? = rows.count > limit ? page.last.map { $0["seq"] as Int64 } : nil
            return (page.map(Self.message(from:)), next)
        }
    }

    private static func message(from row: Row) -> V1.Message {
        V1.Message(
            messageID: MessageID(UInt64(bitPattern: row["id"] as Int64)),
            event: V1.Event(rawValue: row["event"]),
            userID: UserID(UInt64(bitPattern: row["user_id"] as Int64)),
            payload: row["payload"],
            seen: row["seen"],
            time: row["time"]
        )
    }
}
