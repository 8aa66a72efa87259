import ChatProtocol
import Foundation
import GRDB
import Synchronization
import Testing

@testable import ChatReferenceServer

/// The message journal: an append is one record in a file, durable before the database sees it; a flush moves the
/// batch into SQLite and empties the file; a reopened storage recovers what was not flushed.
@Suite("Message journal", .serialized, .timeLimit(.minutes(1)))
struct MessageJournalTests {
    private static func message(
        _ id: UInt64,
        key: String? = nil,
        user: UInt64 = 1,
        text: String? = nil
    ) -> StoredMessage {
        StoredMessage(
            messageID: MessageID(id),
            seq: 0,
            event: .text,
            userID: UserID(user),
            payload: text ?? "message \(id) ✓",
            seen: false,
            time: Int64(id) * 1000,
            clientMessageID: key,
            fileSize: 0,
            contentType: ""
        )
    }

    /// A journal record of message `id` stored as `seq`.
    private static func entry(_ id: UInt64, seq: UInt64, in channel: ChannelID) -> MessageJournal.Entry {
        var message = Self.message(id)
        message.seq = seq
        return MessageJournal.Entry(channel: channel, message: message)
    }

    private static func journalSizes(_ path: String) throws -> [Int] {
        try [0, 1].map { index in
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "-messages.\(index)")
            return (attributes[.size] as? NSNumber)?.intValue ?? -1
        }
    }

    @Test("an append writes a journal record and no database row; a flush commits the batch and empties the file")
    func flushMovesTheBatch() async throws {
        try await V2PersistenceTests.withStorage { storage, path, channel in
            for id in 1...3 {
                _ = try storage.appendMessage(Self.message(UInt64(id)), channel: channel, cap: 10)
            }
            #expect(try Self.journalSizes(path).reduce(0, +) > 0)
            #expect(try await storage.flushAppends() == 3)
            #expect(try Self.journalSizes(path) == [0, 0])
            #expect(try await storage.flushAppends() == 0)
            let stored = try await storage.messages(of: channel, afterSeq: 0, limit: 10)
            #expect(stored.map(\.seq) == [1, 2, 3])
            #expect(stored.map(\.payload) == ["message 1 ✓", "message 2 ✓", "message 3 ✓"])
        }
    }

    @Test("every read of messages sees an append that was not flushed yet")
    func readsSeePendingAppends() async throws {
        try await V2PersistenceTests.withStorage { storage, _, channel in
            _ = try storage.appendMessage(Self.message(1), channel: channel, cap: 10)
            #expect(try await storage.position(of: channel).lastSeq == 1)
            _ = try storage.appendMessage(Self.message(2), channel: channel, cap: 10)
            #expect(try await storage.messages(of: channel, beforeSeq: nil, limit: 10).map(\.seq) == [1, 2])
            _ = try storage.appendMessage(Self.message(3), channel: channel, cap: 10)
            #expect(try await storage.history(of: channel, beforeSeq: nil, limit: 10).messages.count == 3)
            _ = try storage.appendMessage(Self.message(4), channel: channel, cap: 10)
            #expect(try await storage.message(MessageID(4), in: channel)?.payload == "message 4 ✓")
            #expect(try await storage.flushAppends() == 0, "the reads flushed")
        }
    }

    @Test("appends that were never flushed (the server was killed) are recovered, in order, when the storage reopens")
    func recoveryAfterKill() async throws {
        try await V2PersistenceTests.withStorage { storage, path, channel in
            _ = try storage.appendMessage(Self.message(1), channel: channel, cap: 10)
            #expect(try await storage.flushAppends() == 1)
            _ = try storage.appendMessage(Self.message(2, key: "k2"), channel: channel, cap: 10)
            _ = try storage.appendMessage(
                Self.message(3, text: String(repeating: "é", count: 5000)),
                channel: channel,
                cap: 10
            )
            // `storage` is not flushed again: a second storage on the same files is the restarted server.
            let reopened = try SQLiteStorage(path: path)
            #expect(try Self.journalSizes(path) == [0, 0], "recovery empties the journal")
            let stored = try await reopened.messages(of: channel, afterSeq: 0, limit: 10)
            #expect(stored.map(\.seq) == [1, 2, 3])
            #expect(stored.map(\.messageID) == [MessageID(1), MessageID(2), MessageID(3)])
            #expect(stored[1].clientMessageID == "k2" && stored[2].payload.count == 5000)
            #expect(stored[2].time == 3000 && stored.allSatisfy { !$0.seen })
            // The reopened storage goes on from seq 3 and still knows the recovered key.
            guard case .stored(let next) = try reopened.appendMessage(Self.message(4), channel: channel, cap: 10)
            else { throw TestFailure("not stored") }
            #expect(next.seq == 4)
            #expect(
                try reopened.appendMessage(Self.message(5, key: "k2"), channel: channel, cap: 10)
                    == .duplicate(stored[1])
            )
        }
    }

    @Test("recovery skips a record whose batch was already committed, and stops at a torn or corrupt record")
    func recoveryIsIdempotentAndStopsAtTornRecords() async throws {
        try await V2PersistenceTests.withStorage { storage, path, channel in
            _ = try storage.appendMessage(Self.message(1), channel: channel, cap: 10)
            #expect(try await storage.flushAppends() == 1)
            let committed = Self.entry(1, seq: 1, in: channel)
            let fresh = Self.entry(2, seq: 2, in: channel)
            let torn = MessageJournal.encode(Self.entry(3, seq: 3, in: channel))
            let bytes = MessageJournal.encode(committed) + MessageJournal.encode(fresh) + torn.dropLast(5)
            try Data(bytes).write(to: URL(fileURLWithPath: path + "-messages.1"))
            #expect(MessageJournal.decodeRecords(bytes) == [committed, fresh])
            var corrupt = MessageJournal.encode(committed) + MessageJournal.encode(fresh)
            corrupt[corrupt.count - 3] ^= 0x20
            #expect(MessageJournal.decodeRecords(corrupt) == [committed])

            let reopened = try SQLiteStorage(path: path)
            #expect(try await reopened.messages(of: channel, afterSeq: 0, limit: 10).map(\.seq) == [1, 2])
        }
    }

    @Test("a client_msg_id is recognised while its message is pending, after its flush, and after a restart")
    func deduplicationAcrossFlushes() async throws {
        try await V2PersistenceTests.withStorage { storage, path, channel in
            guard
                case .stored(let original) = try storage.appendMessage(
                    Self.message(1, key: "k"),
                    channel: channel,
                    cap: 10
                )
            else { throw TestFailure("not stored") }
            #expect(
                try storage.appendMessage(Self.message(2, key: "k"), channel: channel, cap: 10) == .duplicate(original)
            )
            #expect(try await storage.flushAppends() == 1)
            #expect(
                try storage.appendMessage(Self.message(3, key: "k"), channel: channel, cap: 10) == .duplicate(original)
            )
            // Per author: user 2 may use the same key.
            guard
                case .stored(let other) = try storage.appendMessage(
                    Self.message(4, key: "k", user: 2),
                    channel: channel,
                    cap: 10
                )
            else { throw TestFailure("another author's key was treated as a duplicate") }
            #expect(other.seq == 2)
            #expect(try await storage.flushAppends() == 1)
            let reopened = try SQLiteStorage(path: path)
            #expect(
                try reopened.appendMessage(Self.message(5, key: "k"), channel: channel, cap: 10) == .duplicate(original)
            )
            #expect(try await reopened.position(of: channel).lastSeq == 2)
        }
    }

    @Test("unknown and deleted channels refuse appends, and the cap counts pending messages")
    func refusals() async throws {
        try await V2PersistenceTests.withStorage { storage, path, channel in
            #expect(throws: AppendMessageError.channelGone) {
                try storage.appendMessage(Self.message(1), channel: ChannelID(999), cap: 10)
            }
            _ = try storage.appendMessage(Self.message(1), channel: channel, cap: 2)
            _ = try storage.appendMessage(Self.message(2), channel: channel, cap: 2)
            #expect(throws: AppendMessageError.capReached) {
                try storage.appendMessage(Self.message(3), channel: channel, cap: 2)
            }
            try await storage.deleteChannel(channel, now: Date())
            #expect(throws: AppendMessageError.channelGone) {
                try storage.appendMessage(Self.message(4), channel: channel, cap: 10)
            }
            // After a restart the channel is read from the database: deleted there too.
            let reopened = try SQLiteStorage(path: path)
            #expect(throws: AppendMessageError.channelGone) {
                try reopened.appendMessage(Self.message(5), channel: channel, cap: 10)
            }
            #expect(try await reopened.position(of: channel).lastSeq == 2)
        }
    }

    @Test("a channel the journal knows as active is answered without a read; others, and deleted ones, are read")
    func channelStateFromMemory() async throws {
        try await V2PersistenceTests.withStorage { storage, path, channel in
            // Behind the storage's back (no server does this: the storage is the database's only writer), so a read
            // would see it: the known channel marked deleted, and a channel the storage never saw.
            let unseen = ChannelID(43)
            let other = try DatabaseQueue(path: path)
            try await other.write { db in
                try db.execute(
                    sql: "UPDATE channels SET deleted_at = 1 WHERE id = ?",
                    arguments: [Int64(bitPattern: channel.rawValue)]
                )
                try db.execute(
                    sql: "INSERT INTO channels (id, created_at, epoch) VALUES (?, 0, 'e')",
                    arguments: [Int64(bitPattern: unseen.rawValue)]
                )
            }
            #expect(try await storage.channelState(channel) == .active, "known: no read")
            #expect(try await storage.channelState(unseen) == .active, "read from the database")
            #expect(try await storage.channelState(ChannelID(44)) == .unknown)
            try await storage.deleteChannel(unseen, now: Date())
            #expect(try await storage.channelState(unseen) == .deleted)
            try other.close()
            let reopened = try SQLiteStorage(path: path)
            #expect(try await reopened.channelState(channel) == .deleted, "a new process reads the database")
        }
    }

    @Test("creating channels forgets the cursors of idle ones past the limit: matched channels never written to")
    func idleCursorsBounded() throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (journal, _) = try MessageJournal.opening(
            databasePath: directory.appendingPathComponent("chat.sqlite").path
        )
        let last = UInt64(MessageJournal.maximumIdleCursors + 2)
        for id in 1...last { journal.channelCreated(ChannelID(id)) }
        #expect(!journal.isKnownActive(ChannelID(1)), "forgotten: a read answers for it")
        #expect(journal.isKnownActive(ChannelID(last)))
    }

    @Test("a second server process on the same database is refused with a ConfigurationError naming the lock")
    func anotherProcessIsRefused() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("chat.sqlite").path
        // Another process holds the journal's POSIX lock, as a running server does.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            path + "-messages.0",
        ]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        // SIGKILL: a child may inherit a mask that blocks SIGTERM.
        defer { kill(holder.processIdentifier, SIGKILL) }
        let line = output.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self).hasPrefix("locked"))
        do {
            _ = try SQLiteStorage(path: path)
            Issue.record("the database opened while another process held its journal")
        } catch let error as ConfigurationError {
            #expect(error.description.contains("another chat-server process"))
        }
        kill(holder.processIdentifier, SIGKILL)
        // Once that process is gone (its locks go with it) the database opens.
        var reopened: SQLiteStorage?
        for _ in 0..<500 where reopened == nil {
            reopened = try? SQLiteStorage(path: path)
            if reopened == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(reopened != nil)
    }

    @Test(
        "the key filter: a new client_msg_id needs no database lookup; a stored one (or a false positive) is looked up"
    )
    func keyFilterSkipsLookupsForNewKeys() throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (journal, recovered) = try MessageJournal.opening(databasePath: directory.appendingPathComponent("db").path)
        #expect(recovered.isEmpty)
        let lookups = Mutex(0)
        let stored = { (channel: ChannelID, key: MessageJournal.DedupKey) -> StoredMessage? in
            lookups.withLock { $0 += 1 }
            return key.key == "old" ? Self.message(99, key: "old") : nil
        }
        let created = ChannelID(1)
        journal.channelCreated(created)
        for id in 1...50 {
            let result = try journal.append(
                Self.message(UInt64(id), key: "key-\(id)"),
                channel: created,
                cap: 100,
                load: { _ in
                    Issue.record("a created channel was loaded")
                    return nil
                },
                storedDuplicate: stored
            )
            guard case .stored = result else { throw TestFailure("not stored") }
        }
        #expect(lookups.withLock { $0 } == 0, "new keys were looked up in the database")
        // A channel read from the database brings its keys: "old" is looked up (and found), "new" is not.
        let loaded = ChannelID(2)
        let load = { (_: ChannelID) -> MessageJournal.Loaded? in
            MessageJournal.Loaded(lastSeq: 7, gone: false, keys: [MessageJournal.DedupKey(user: UserID(1), key: "old")])
        }
        let appendToLoaded = { (id: UInt64, key: String) in
            try journal.append(
                Self.message(id, key: key),
                channel: loaded,
                cap: 100,
                load: load,
                storedDuplicate: stored
            )
        }
        #expect(try appendToLoaded(100, "old") == .duplicate(Self.message(99, key: "old")))
        #expect(lookups.withLock { $0 } == 1)
        guard case .stored(let message) = try appendToLoaded(101, "new") else { throw TestFailure("not stored") }
        #expect(message.seq == 8)
        #expect(lookups.withLock { $0 } == 1)
    }

    @Test("pending messages are bounded: when no flush runs, the append that finds the journal full flushes first")
    func pendingIsBounded() async throws {
        try await V2PersistenceTests.withStorage { storage, _, channel in
            let limit = MessageJournal.maximumPending
            for id in 1...(limit + 10) {
                _ = try storage.appendMessage(Self.message(UInt64(id)), channel: channel, cap: 100_000)
                #expect(storage.pendingAppends <= limit)
            }
            #expect(storage.pendingAppends == 10, "the full journal was flushed once, by an append")
            #expect(try await storage.position(of: channel).lastSeq == UInt64(limit + 10))
        }
    }
}
