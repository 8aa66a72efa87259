import ChatProtocol
import Foundation
import GRDB
import Synchronization

/// ``ChatStorage`` on an embedded SQLite database (GRDB `DatabasePool`, WAL mode).
///
/// Ids are stored as `INTEGER` holding the id's bit pattern (`Int64(bitPattern:)`), so every `UInt64` a client can
/// send is a valid key; ids the server mints are below 2^63 and look the same either way. Messages carry a dense
/// per-channel `seq` (1, 2, 3, …) and every channel an `epoch` (§6.9); both survive restarts, which is what v2
/// resumption and `client_msg_id` de-duplication rely on.
///
/// Messages: an append goes to the ``MessageJournal`` (one `write(2)`, on the connection's event loop) and reaches
/// the database with ``flushAppends()``, one transaction per batch, which the server runs a second after an append
/// (sooner under load: `FlushPolicy`) and every read of messages runs first.
///
/// Checkpoints: the writer connection checkpoints only as a safety net (`wal_autocheckpoint` at
/// ``automaticCheckpointPages``); the regular work is ``checkpoint()``, a `PASSIVE` checkpoint on a connection of its
/// own that the server runs every 500 ms off the event loops.
final class SQLiteStorage: ChatStorage {
    /// The WAL size, in pages, at which the writer connection checkpoints itself (≈ 40 MB at 4 KB pages): reached
    /// only when ``checkpoint()`` is not run or falls behind.
    static let automaticCheckpointPages = 10_000

    private let pool: DatabasePool
    private let checkpointer: DatabaseQueue
    /// Where appends go first (``MessageJournal``); messages reach the database in batches.
    private let journal: MessageJournal
    /// A read-only connection for what an append may need from the database: a channel the journal has not seen
    /// since start, and flushed `client_msg_id`s. Used synchronously only (an asynchronous reader would hold it across
    /// a suspension).
    private let lookup: DatabaseQueue
    /// Write transactions that changed a row since the last ``checkpoint()``: an idle server's checkpoint does not touch
    /// the database.
    private let writesSinceCheckpoint = Atomic<Int>(0)

    /// Opens (creating and migrating when needed) the database at `path`, and its message journal (committing
    /// records a killed server left there).
    /// - Throws: ``ConfigurationError`` when another process uses the database; SQLite and journal errors.
    init(path: String) throws {
        // The journal first: its lock keeps a second server process away from the database.
        let (journal, recovered) = try MessageJournal.opening(databasePath: path)
        self.journal = journal
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.automaticCheckpointPages)")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(self.pool)
        var checkpointerConfiguration = Configuration()
        checkpointerConfiguration.busyMode = .timeout(5)
        checkpointerConfiguration.label = "checkpointer"
        self.checkpointer = try DatabaseQueue(path: path, configuration: checkpointerConfiguration)
        var lookupConfiguration = Configuration()
        lookupConfiguration.busyMode = .timeout(5)
        lookupConfiguration.readonly = true
        lookupConfiguration.label = "append lookups"
        self.lookup = try DatabaseQueue(path: path, configuration: lookupConfiguration)
        if !recovered.isEmpty {
            _ = try self.pool.write { db in try Self.insert(recovered, into: db, recovering: true) }
            self.writesSinceCheckpoint.add(1, ordering: .relaxed)
        }
        try journal.truncateAll()
    }

    /// Yields when a message is appended while none waited for a flush.
    var appends: AsyncStream<Void> { self.journal.appended }

    /// Messages in the journal that wait for ``flushAppends()``.
    var pendingAppends: Int { self.journal.pendingCount }

    /// Commits the journal's pending messages to the database in one transaction (on the writer's queue, which
    /// also keeps flushes from overlapping).
    @discardableResult
    func flushAppends() async throws -> Int {
        guard self.journal.pendingCount > 0 else { return 0 }
        let journal = self.journal
        defer { self.writesSinceCheckpoint.add(1, ordering: .relaxed) }
        return try await self.pool.writeWithoutTransaction { db in try Self.flush(journal, into: db) }
    }

    /// The journal's pending messages, committed in one transaction on the writer connection `db`.
    private static func flush(_ journal: MessageJournal, into db: Database) throws -> Int {
        try journal.flush { batch in try db.inTransaction { try Self.insert(batch, into: db) } }
    }

    /// `INSERT OR IGNORE`: a recovered record whose batch had committed before the server stopped is skipped. When
    /// `recovering`, so is a record of a channel whose messages were purged or whose row is gone (a journal file can
    /// still hold records committed before the purge, after a flush that did not swap files).
    private static func insert(
        _ entries: [MessageJournal.Entry],
        into db: Database,
        recovering: Bool = false
    ) throws
        -> Database.TransactionCompletion
    {
        let columns =
            "(id, channel_id, seq, event, user_id, payload, seen, time, client_msg_id, file_size, content_type)"
        let statement = try db.cachedStatement(
            sql: recovering
                ? """
                INSERT OR IGNORE INTO messages \(columns)
                SELECT ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?
                WHERE EXISTS (SELECT 1 FROM channels WHERE id = ? AND purged = 0)
                """
                : "INSERT OR IGNORE INTO messages \(columns) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)"
        )
        for entry in entries {
            let message = entry.message
            var arguments: StatementArguments = [
                Int64(bitPattern: message.messageID.rawValue), Int64(bitPattern: entry.channel.rawValue),
                Int64(clamping: message.seq), message.event.rawValue, Int64(bitPattern: message.userID.rawValue),
                message.payload, message.time, message.clientMessageID, Int64(clamping: message.fileSize),
                message.contentType,
            ]
            if recovering { arguments += [Int64(bitPattern: entry.channel.rawValue)] }
            try statement.execute(arguments: arguments)
        }
        return .commit
    }

    /// A `PASSIVE` checkpoint: copies the WAL's committed pages back into the database file without waiting for
    /// readers or the writer (appends go on meanwhile); returns the WAL's frame count and how many are checkpointed,
    /// or `nil` without touching the database when no write changed a row since the last one.
    @discardableResult
    func checkpoint() async throws -> (walFrames: Int, checkpointed: Int)? {
        // Pending messages wait for the flusher (`FlushPolicy`): a checkpoint writes back what is committed.
        guard self.writesSinceCheckpoint.exchange(0, ordering: .relaxed) > 0 else { return nil }
        return try await self.checkpointer.writeWithoutTransaction { db in
            let result = try db.checkpoint(.passive)
            return (result.walFrameCount, result.checkpointedFrameCount)
        }
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
        // Protocol v2: the channel's epoch, the sender's client_msg_id (unique per channel and author, so a resend
        // after a restart is still recognised), file metadata, and per-reader seen markers.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE channels ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
                    UPDATE channels SET epoch = 'e' || lower(hex(randomblob(8))) WHERE epoch = '';
                    ALTER TABLE messages ADD COLUMN client_msg_id TEXT;
                    ALTER TABLE messages ADD COLUMN file_size INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
                    CREATE UNIQUE INDEX messages_client_msg_id ON messages (channel_id, user_id, client_msg_id)
                        WHERE client_msg_id IS NOT NULL;
                    CREATE TABLE read_markers (
                        channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, up_to_seq INTEGER NOT NULL,
                        PRIMARY KEY (channel_id, user_id));
                    """
            )
        }
        // Retention: whether an ended channel's messages are deleted yet, and the ended channels by end time; when
        // the last token of a channel expires (NULL for channels from before: they never end by themselves), and
        // the active channels by that time.
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    ALTER TABLE channels ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX channels_ended ON channels (deleted_at) WHERE deleted_at IS NOT NULL;
                    ALTER TABLE channels ADD COLUMN tokens_expire_at REAL;
                    CREATE INDEX channels_tokens ON channels (tokens_expire_at)
                        WHERE deleted_at IS NULL AND tokens_expire_at IS NOT NULL;
                    """
            )
        }
        // Block lists: who each user blocked (PROTOCOL.md §4.1.7), in the order they were blocked.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    CREATE TABLE blocks (
                        user_id INTEGER NOT NULL, blocked_id INTEGER NOT NULL, created_at REAL NOT NULL,
                        PRIMARY KEY (user_id, blocked_id)) WITHOUT ROWID;
                    """
            )
        }
        // The retention sweep's look-ups (sessions by last use and by user, memberships by user, who blocked a user)
        // and where its walk over the users stopped, so that a restart goes on from there.
        migrator.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    CREATE INDEX IF NOT EXISTS blocks_blocked ON blocks (blocked_id);
                    CREATE INDEX IF NOT EXISTS sessions_last_used ON sessions (last_used_at);
                    CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
                    CREATE INDEX IF NOT EXISTS members_user ON members (user_id);
                    CREATE TABLE sweep_cursors (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
                    """
            )
        }
        return migrator
    }

    /// GRDB's synchronous `write` (a synchronous context selects it over the asynchronous overload), counted for
    /// ``checkpoint()`` when it changed a row.
    private func writeOnThisThread<T>(_ updates: (Database) throws -> T) throws -> T {
        try self.counted(self.pool.write { db in try Self.changingRows(db, updates) })
    }

    // Reads stay asynchronous: GRDB's asynchronous `read` keeps its reader connection until the awaiting task
    // resumes, so a synchronous `read` on a cooperative thread can wait for a reader that only a blocked cooperative
    // thread would release — with two cores, two such reads deadlock the server (SessionStorageTests
    // concurrentReadsComplete reproduces it). Writes do not hold anything across a suspension.
    /// GRDB's asynchronous `write`, counted for ``checkpoint()`` when it changed a row (after its commit): the
    /// retention sweep's deletes usually find nothing, and an idle server's checkpoint then stays away.
    private func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await self.counted(self.pool.write { db in try Self.changingRows(db, updates) })
    }

    /// Runs `updates` in `db`'s transaction and says whether it changed a row (`sqlite3_total_changes` moved).
    private static func changingRows<T>(
        _ db: Database,
        _ updates: (Database) throws -> T
    ) rethrows -> (value: T, changed: Bool) {
        let before = db.totalChangesCount
        let value = try updates(db)
        return (value, db.totalChangesCount != before)
    }

    /// Counts a committed write for ``checkpoint()`` when it changed a row, and returns its value.
    private func counted<T>(_ result: (value: T, changed: Bool)) -> T {
        if result.changed { self.writesSinceCheckpoint.add(1, ordering: .relaxed) }
        return result.value
    }

    /// A fresh epoch: `e` and 16 hex digits.
    static func newEpoch() -> String {
        "e" + String(UInt64.random(in: 0 ... .max), radix: 16).leftPadded(to: 16)
    }

    func createUser(name: String, picture: String, id: UserID) async throws -> StoredUser {
        try await self.write { db in
            try db.cachedStatement(
                sql: "INSERT INTO users (id, name, picture, email, created_at) VALUES (?, ?, ?, NULL, ?)"
            ).execute(
                arguments: [Int64(bitPattern: id.rawValue), name, picture, Date().timeIntervalSince1970]
            )
        }
        return StoredUser(id: id, name: name, picture: picture, email: nil)
    }

    func user(_ id: UserID) async throws -> StoredUser? {
        try await self.pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"),
                arguments: [Int64(bitPattern: id.rawValue)]
            )
            .map(Self.user(from:))
        }
    }

    func oauthUser(email: String, name: String, picture: String, id: UserID) async throws -> StoredUser {
        try await self.write { db in
            if let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM users WHERE email = ?"),
                arguments: [email]
            ) {
                return Self.user(from: row)
            }
            try db.cachedStatement(
                sql: "INSERT INTO users (id, name, picture, email, created_at) VALUES (?, ?, ?, ?, ?)"
            ).execute(
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
        try await self.write { db in
            try db.cachedStatement(
                sql: "INSERT INTO sessions (id, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)"
            ).execute(
                arguments: [
                    sessionID, Int64(bitPattern: user.rawValue), now.timeIntervalSince1970, now.timeIntervalSince1970,
                ]
            )
        }
    }

    /// Most lookups only read: `last_used_at` is written when it is older than a tenth of the idle timeout (at most
    /// a minute), so a session in use never expires, and an authenticated request is not a database write.
    func sessionUser(_ sessionID: String, now: Date, idleTimeout: TimeInterval) async throws -> UserID? {
        let nowSeconds = now.timeIntervalSince1970
        let oldest = nowSeconds - idleTimeout
        let refreshAfter = min(60, idleTimeout / 10)
        let found = try await self.pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT user_id, last_used_at FROM sessions WHERE id = ?"),
                arguments: [sessionID]
            ).map { row in (user: row["user_id"] as Int64, lastUsed: row["last_used_at"] as Double) }
        }
        guard let found else { return nil }
        if found.lastUsed >= oldest, nowSeconds - found.lastUsed < refreshAfter {
            return UserID(UInt64(bitPattern: found.user))
        }
        return try await self.write { db in
            try db.cachedStatement(sql: "DELETE FROM sessions WHERE id = ? AND last_used_at < ?").execute(
                arguments: [sessionID, oldest]
            )
            guard
                let userID = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT user_id FROM sessions WHERE id = ?"),
                    arguments: [sessionID]
                )
            else { return nil }
            try db.cachedStatement(sql: "UPDATE sessions SET last_used_at = ? WHERE id = ?").execute(
                arguments: [nowSeconds, sessionID]
            )
            return UserID(UInt64(bitPattern: userID))
        }
    }

    func deleteSession(_ sessionID: String) async throws {
        try await self.write { db in
            try db.cachedStatement(sql: "DELETE FROM sessions WHERE id = ?").execute(arguments: [sessionID])
        }
    }

    func forgetIdleSessions(lastUsedBefore cutoff: Date, limit: Int) async throws -> Int {
        try await self.write { db in
            try db.cachedStatement(
                sql: """
                    DELETE FROM sessions WHERE id IN (
                        SELECT id FROM sessions WHERE last_used_at < ? ORDER BY last_used_at LIMIT ?)
                    """
            ).execute(arguments: [cutoff.timeIntervalSince1970, limit])
            return db.changesCount
        }
    }

    /// Whether a user is a guest nothing can reach: the condition of ``guestCandidates(after:scanning:createdBefore:)``
    /// and ``forgetGuest(_:createdBefore:)`` (`?1` the user's id, `?2` the creation cutoff).
    private static let unreachableGuest = """
        users.email IS NULL AND users.created_at < ?2
            AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.user_id = users.id)
            AND NOT EXISTS (SELECT 1 FROM members WHERE members.user_id = users.id)
        """

    func guestCandidates(
        after cursor: UserID?,
        scanning limit: Int,
        createdBefore cutoff: Date
    ) async throws -> (candidates: [UserID], next: UserID?) {
        try await self.pool.read { db in
            let scanned = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, \(Self.unreachableGuest) AS gone FROM users WHERE id > ?1 ORDER BY id LIMIT ?3
                        """
                ),
                arguments: [
                    cursor.map { Int64(bitPattern: $0.rawValue) } ?? Int64.min, cutoff.timeIntervalSince1970, limit,
                ]
            )
            let ids = scanned.map { (id: UserID(UInt64(bitPattern: $0["id"] as Int64)), gone: $0["gone"] as Bool) }
            return (ids.filter(\.gone).map(\.id), ids.count == limit ? ids.last?.id : nil)
        }
    }

    func forgetGuest(_ user: UserID, createdBefore cutoff: Date) async throws -> Bool {
        try await self.write { db in
            let id = Int64(bitPattern: user.rawValue)
            try db.cachedStatement(sql: "DELETE FROM users WHERE id = ?1 AND \(Self.unreachableGuest)").execute(
                arguments: [id, cutoff.timeIntervalSince1970]
            )
            guard db.changesCount > 0 else { return false }
            try Self.deleteBlocks(of: id, in: db)
            return true
        }
    }

    /// Deletes a deleted user's block list and its place on other users' lists (the sweep's guests, accounts).
    private static func deleteBlocks(of id: Int64, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM blocks WHERE user_id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "DELETE FROM blocks WHERE blocked_id = ?").execute(arguments: [id])
    }

    func channels(of user: UserID) async throws -> [ChannelID] {
        try await self.pool.read { db in
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT channel_id FROM members WHERE user_id = ? ORDER BY channel_id"),
                arguments: [Int64(bitPattern: user.rawValue)]
            ).map { ChannelID(UInt64(bitPattern: $0)) }
        }
    }

    @discardableResult
    func deleteUser(_ user: UserID) async throws -> Bool {
        try await self.write { db in
            let id = Int64(bitPattern: user.rawValue)
            try db.cachedStatement(sql: "DELETE FROM sessions WHERE user_id = ?").execute(arguments: [id])
            try Self.deleteBlocks(of: id, in: db)
            try db.cachedStatement(sql: "DELETE FROM users WHERE id = ?").execute(arguments: [id])  // after sessions
            return db.changesCount > 0
        }
    }

    func sweepCursor(_ name: String) async throws -> UserID? {
        try await self.pool.read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT position FROM sweep_cursors WHERE name = ?"),
                arguments: [name]
            )
            .map { UserID(UInt64(bitPattern: $0)) }
        }
    }

    func setSweepCursor(_ name: String, to position: UserID?) async throws {
        try await self.write { db in
            if let position {
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO sweep_cursors (name, position) VALUES (?, ?)"
                ).execute(arguments: [name, Int64(bitPattern: position.rawValue)])
            } else {
                try db.cachedStatement(sql: "DELETE FROM sweep_cursors WHERE name = ?").execute(arguments: [name])
            }
        }
    }

    func usersWithBlocks() async throws -> [UserID] {
        try await self.pool.read { db in
            try Int64.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT user_id FROM blocks"))
                .map { UserID(UInt64(bitPattern: $0)) }
        }
    }

    func blockedUsersIfUserExists(of user: UserID) async throws -> [UserID]? {
        try await self.pool.read { db in
            let id = Int64(bitPattern: user.rawValue)
            guard
                try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM users WHERE id = ?"), arguments: [id]) == true
            else { return nil }
            return try Int64.fetchAll(
                db.cachedStatement(
                    sql: "SELECT blocked_id FROM blocks WHERE user_id = ? ORDER BY created_at, blocked_id"
                ),
                arguments: [id]
            )
            .map { UserID(UInt64(bitPattern: $0)) }
        }
    }

    func block(_ blocked: UserID, by user: UserID, limit: Int, now: Date) async throws -> BlockResult {
        try await self.write { db in
            let blocker = Int64(bitPattern: user.rawValue)
            let target = Int64(bitPattern: blocked.rawValue)
            let listed = try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT 1 FROM blocks WHERE user_id = ? AND blocked_id = ?"),
                arguments: [blocker, target]
            )
            if listed == true { return .alreadyBlocked }
            // Both users must exist: the target, and the blocker (a PUT in flight while its account is deleted).
            let known = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM users WHERE id IN (?, ?)"),
                arguments: [target, blocker]
            )
            guard known == 2 else { return .unknownUser }
            let count =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT count(*) FROM blocks WHERE user_id = ?"),
                    arguments: [blocker]
                ) ?? 0
            guard count < limit else { return .full }
            try db.cachedStatement(
                sql: "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)"
            ).execute(arguments: [blocker, target, now.timeIntervalSince1970])
            return .added
        }
    }

    func unblock(_ blocked: UserID, by user: UserID) async throws -> Bool {
        try await self.write { db in
            try db.cachedStatement(sql: "DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?").execute(
                arguments: [Int64(bitPattern: user.rawValue), Int64(bitPattern: blocked.rawValue)]
            )
            return db.changesCount > 0
        }
    }

    func createChannel(_ id: ChannelID, members: [UserID], now: Date, tokensExpireAt: Date?) async throws {
        // A short transaction on the caller's thread (the matchmaker's), like a message append.
        try self.writeOnThisThread { db in
            try db.cachedStatement(
                sql: "INSERT INTO channels (id, created_at, epoch, tokens_expire_at) VALUES (?, ?, ?, ?)"
            ).execute(
                arguments: [
                    Int64(bitPattern: id.rawValue), now.timeIntervalSince1970, Self.newEpoch(),
                    tokensExpireAt?.timeIntervalSince1970,
                ]
            )
            for member in Set(members) {
                try db.cachedStatement(sql: "INSERT INTO members (channel_id, user_id) VALUES (?, ?)").execute(
                    arguments: [Int64(bitPattern: id.rawValue), Int64(bitPattern: member.rawValue)]
                )
            }
        }
        self.journal.channelCreated(id)
    }

    func channelState(_ id: ChannelID) async throws -> ChannelState {
        // Every bearer request and chat upgrade asks; a channel the journal knows as active needs no read (B6: each v1
        // member's `GET /api/chat/users` right after the match).
        if self.journal.isKnownActive(id) { return .active }
        return try await self.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT deleted_at FROM channels WHERE id = ?"),
                    arguments: [Int64(bitPattern: id.rawValue)]
                )
            else { return .unknown }
            return (row["deleted_at"] as Double?) == nil ? .active : .deleted
        }
    }

    func members(of channel: ChannelID) async throws -> [UserID] {
        try await self.pool.read { db in
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT user_id FROM members WHERE channel_id = ? ORDER BY rowid"),
                arguments: [Int64(bitPattern: channel.rawValue)]
            ).map { UserID(UInt64(bitPattern: $0)) }
        }
    }

    func isMember(_ user: UserID, of channel: ChannelID) async throws -> Bool {
        try await self.pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM members WHERE channel_id = ? AND user_id = ?)"),
                arguments: [Int64(bitPattern: channel.rawValue), Int64(bitPattern: user.rawValue)]
            ) ?? false
        }
    }

    func deleteChannel(_ id: ChannelID, now: Date) async throws {
        self.journal.channelDeleted(id)
        try await self.write { db in
            try db.cachedStatement(sql: "UPDATE channels SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL")
                .execute(
                    arguments: [now.timeIntervalSince1970, Int64(bitPattern: id.rawValue)]
                )
            try db.cachedStatement(sql: "DELETE FROM members WHERE channel_id = ?").execute(arguments: [
                Int64(bitPattern: id.rawValue)
            ])
        }
    }

    func extendTokens(of channel: ChannelID, until date: Date) async throws {
        try await self.write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE channels SET tokens_expire_at = MAX(IFNULL(tokens_expire_at, 0), ?)
                    WHERE id = ? AND deleted_at IS NULL
                    """
            ).execute(arguments: [date.timeIntervalSince1970, Int64(bitPattern: channel.rawValue)])
        }
    }

    func channelsWithExpiredTokens(before cutoff: Date, limit: Int) async throws -> [ChannelID] {
        try await self.pool.read { db in
            try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id FROM channels
                        WHERE deleted_at IS NULL AND tokens_expire_at IS NOT NULL AND tokens_expire_at < ?
                        ORDER BY tokens_expire_at LIMIT ?
                        """
                ),
                arguments: [cutoff.timeIntervalSince1970, limit]
            ).map { ChannelID(UInt64(bitPattern: $0)) }
        }
    }

    func channelsToPurge(endedBefore cutoff: Date, limit: Int) async throws -> [ChannelID] {
        try await self.pool.read { db in
            try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id FROM channels WHERE deleted_at IS NOT NULL AND deleted_at < ? AND purged = 0
                        ORDER BY deleted_at LIMIT ?
                        """
                ),
                arguments: [cutoff.timeIntervalSince1970, limit]
            ).map { ChannelID(UInt64(bitPattern: $0)) }
        }
    }

    /// Moves the journal's pending messages into the database first, so a message appended before its channel ended
    /// is deleted too rather than inserted afterwards (every such append precedes the end, which precedes the
    /// caller's ``channelsToPurge(endedBefore:limit:)``); then one transaction per channel (at most the message cap
    /// of rows), so the writer is never held for long.
    func purgeChannels(_ ids: [ChannelID]) async throws {
        guard !ids.isEmpty else { return }
        try await self.flushAppends()
        for id in ids.map({ Int64(bitPattern: $0.rawValue) }) {
            try await self.write { db in
                guard
                    try Bool.fetchOne(
                        db.cachedStatement(sql: "SELECT deleted_at IS NOT NULL FROM channels WHERE id = ?"),
                        arguments: [id]
                    ) == true
                else { return }
                try db.cachedStatement(sql: "DELETE FROM messages WHERE channel_id = ?").execute(arguments: [id])
                try db.cachedStatement(sql: "DELETE FROM read_markers WHERE channel_id = ?").execute(arguments: [id])
                try db.cachedStatement(sql: "UPDATE channels SET purged = 1 WHERE id = ?").execute(arguments: [id])
            }
        }
    }

    func forgetChannels(endedBefore cutoff: Date) async throws -> Int {
        try await self.write { db in
            try db.cachedStatement(
                sql: "DELETE FROM channels WHERE deleted_at IS NOT NULL AND deleted_at < ? AND purged = 1"
            ).execute(arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    /// One `write(2)` to the ``MessageJournal`` on the calling thread (a connection's event loop): no database write.
    /// The next `seq` comes from the journal's cursor of the channel (read from the `(channel_id, seq)` index on the
    /// channel's first append since start, or 0 for a channel created since); a v2 `client_msg_id` is looked up among
    /// the pending messages, then in the database. The messages reach the database in the next
    /// ``flushAppends()``.
    func appendMessage(_ message: StoredMessage, channel: ChannelID, cap: Int) throws -> AppendResult {
        let lookup = self.lookup
        if self.journal.pendingCount >= MessageJournal.maximumPending {
            // Flushes fell far behind: this append waits for one first (a bound on the journal's memory); if the
            // database cannot take the batch, the message is refused before it is written anywhere.
            let journal = self.journal
            _ = try self.pool.writeWithoutTransaction { db in try Self.flush(journal, into: db) }
            self.writesSinceCheckpoint.add(1, ordering: .relaxed)
        }
        let result = try self.journal.append(
            message,
            channel: channel,
            cap: cap,
            load: { channel in
                try lookup.read { db in
                    let id = Int64(bitPattern: channel.rawValue)
                    guard
                        let row = try Row.fetchOne(
                            db.cachedStatement(
                                sql: "SELECT \(Self.lastSeq) AS last_seq, deleted_at FROM channels WHERE id = ?"
                            ),
                            arguments: [id]
                        )
                    else { return nil }
                    let keys = try Row.fetchAll(
                        db.cachedStatement(
                            sql: """
                                SELECT user_id, client_msg_id FROM messages
                                WHERE channel_id = ? AND client_msg_id IS NOT NULL
                                """
                        ),
                        arguments: [id]
                    ).map { MessageJournal.DedupKey(user: UserID(UInt64(bitPattern: $0[0])), key: $0[1]) }
                    return MessageJournal.Loaded(
                        lastSeq: UInt64(max(0, row["last_seq"] as Int64)),
                        gone: (row["deleted_at"] as Double?) != nil,
                        keys: keys
                    )
                }
            },
            storedDuplicate: { channel, key in
                try lookup.read { db in
                    try Row.fetchOne(
                        db.cachedStatement(
                            sql: "SELECT * FROM messages WHERE channel_id = ? AND user_id = ? AND client_msg_id = ?"
                        ),
                        arguments: [Int64(bitPattern: channel.rawValue), Int64(bitPattern: key.user.rawValue), key.key]
                    ).map(Self.storedMessage(from:))
                }
            }
        )
        return result
    }

    /// A channel's highest `seq` (0 when empty), as a subquery on a `channels` row.
    private static let lastSeq = "(SELECT IFNULL(MAX(seq), 0) FROM messages WHERE channel_id = channels.id)"

    func position(of channel: ChannelID) async throws -> ChannelPosition {
        try await self.flushAppends()
        return try await self.pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT deleted_at, epoch, \(Self.lastSeq) AS last_seq FROM channels WHERE id = ?"
                    ),
                    arguments: [Int64(bitPattern: channel.rawValue)]
                )
            else { return ChannelPosition(state: .unknown, epoch: "", lastSeq: 0) }
            return ChannelPosition(
                state: (row["deleted_at"] as Double?) == nil ? .active : .deleted,
                epoch: row["epoch"],
                lastSeq: UInt64(max(0, row["last_seq"] as Int64))
            )
        }
    }

    func messages(of channel: ChannelID, afterSeq: UInt64, limit: Int) async throws -> [StoredMessage] {
        try await self.flushAppends()
        return try await self.pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM messages WHERE channel_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
                arguments: [Int64(bitPattern: channel.rawValue), Int64(clamping: afterSeq), limit]
            ).map(Self.storedMessage(from:))
        }
    }

    func messages(of channel: ChannelID, beforeSeq: UInt64?, limit: Int) async throws -> [StoredMessage] {
        try await self.flushAppends()
        return try await self.pool.read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM messages WHERE channel_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
                ),
                arguments: [
                    Int64(bitPattern: channel.rawValue), beforeSeq.map { Int64(clamping: $0) } ?? Int64.max, limit,
                ]
            ).map(Self.storedMessage(from:)).reversed()
        }
    }

    func hasMessages(of channel: ChannelID, beforeSeq: UInt64) async throws -> Bool {
        try await self.flushAppends()
        return try await self.pool.read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM messages WHERE channel_id = ? AND seq < ?)"),
                arguments: [Int64(bitPattern: channel.rawValue), Int64(clamping: beforeSeq)]
            ) ?? false
        }
    }

    func markSeen(
        upToSeq: UInt64,
        reader: UserID,
        in channel: ChannelID
    ) async throws -> (newlySeen: [StoredMessage], advanced: Bool) {
        try await self.flushAppends()
        return try await self.write { db in
            let cid = Int64(bitPattern: channel.rawValue)
            let uid = Int64(bitPattern: reader.rawValue)
            let upTo = Int64(clamping: upToSeq)
            let newlySeen = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM messages WHERE channel_id = ? AND user_id != ? AND seq <= ? AND seen = 0 ORDER BY seq
                        """
                ),
                arguments: [cid, uid, upTo]
            ).map(Self.storedMessage(from:))
            try db.cachedStatement(
                sql: "UPDATE messages SET seen = 1 WHERE channel_id = ? AND user_id != ? AND seq <= ? AND seen = 0"
            ).execute(
                arguments: [cid, uid, upTo]
            )
            let marker =
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT up_to_seq FROM read_markers WHERE channel_id = ? AND user_id = ?"),
                    arguments: [cid, uid]
                ) ?? 0
            guard upTo > marker else { return (newlySeen, false) }
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO read_markers (channel_id, user_id, up_to_seq) VALUES (?, ?, ?)"
            ).execute(
                arguments: [cid, uid, upTo]
            )
            let marked = newlySeen.map { message in
                var seen = message
                seen.seen = true
                return seen
            }
            return (marked, true)
        }
    }

    func advanceReadMarker(reader: UserID, in channel: ChannelID) async throws -> UInt64? {
        try await self.flushAppends()
        return try await self.write { db in
            let cid = Int64(bitPattern: channel.rawValue)
            let uid = Int64(bitPattern: reader.rawValue)
            let firstUnseen = try Int64.fetchOne(
                db.cachedStatement(
                    sql: "SELECT MIN(seq) FROM messages WHERE channel_id = ? AND user_id != ? AND seen = 0"
                ),
                arguments: [cid, uid]
            )
            let last =
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT IFNULL(MAX(seq), 0) FROM messages WHERE channel_id = ?"),
                    arguments: [cid]
                ) ?? 0
            let candidate = firstUnseen.map { $0 - 1 } ?? last
            let marker =
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT up_to_seq FROM read_markers WHERE channel_id = ? AND user_id = ?"),
                    arguments: [cid, uid]
                ) ?? 0
            guard candidate > marker else { return nil }
            try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO read_markers (channel_id, user_id, up_to_seq) VALUES (?, ?, ?)"
            ).execute(
                arguments: [cid, uid, candidate]
            )
            return UInt64(candidate)
        }
    }

    func message(_ id: MessageID, in channel: ChannelID) async throws -> V1.Message? {
        try await self.flushAppends()
        return try await self.pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM messages WHERE id = ? AND channel_id = ?"),
                arguments: [Int64(bitPattern: id.rawValue), Int64(bitPattern: channel.rawValue)]
            ).map(Self.message(from:))
        }
    }

    func markSeen(_ id: MessageID, in channel: ChannelID) async throws {
        try await self.flushAppends()
        return try await self.write { db in
            try db.cachedStatement(sql: "UPDATE messages SET seen = 1 WHERE id = ? AND channel_id = ?").execute(
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
        try await self.flushAppends()
        return try await self.pool.read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM messages WHERE channel_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
                ),
                arguments: [Int64(bitPattern: channel.rawValue), beforeSeq ?? Int64.max, limit + 1]
            )
            let page = rows.prefix(limit)
            let next: Int64? = rows.count > limit ? page.last.map { $0["seq"] as Int64 } : nil
            return (page.map(Self.message(from:)), next)
        }
    }

    private static func storedMessage(from row: Row) -> StoredMessage {
        StoredMessage(
            messageID: MessageID(UInt64(bitPattern: row["id"] as Int64)),
            seq: UInt64(max(0, row["seq"] as Int64)),
            event: V1.Event(rawValue: row["event"]),
            userID: UserID(UInt64(bitPattern: row["user_id"] as Int64)),
            payload: row["payload"],
            seen: row["seen"],
            time: row["time"],
            clientMessageID: row["client_msg_id"],
            fileSize: UInt64(max(0, row["file_size"] as Int64)),
            contentType: row["content_type"]
        )
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
