import ChatProtocol
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }

/// Where a chat message is persisted first: one `write(2)` of a small record to an append-only file, on the
/// caller's thread, before the message is fanned out.
///
/// A SQLite commit per message cost about ten system calls (WAL page frames and shared-memory locks) and half of the
/// server's CPU per chat message (BENCHMARKS.md, B4). The journal makes the append one system call; the messages
/// reach SQLite in batches, one transaction per ``SQLiteStorage/flushAppends()``, which the server runs shortly after
/// an append and every read of messages runs first. Durability is the same as SQLite's in WAL mode with
/// `synchronous = NORMAL`: a record is in the operating system's cache when the append returns, so it survives the
/// server process being killed (not a power cut).
///
/// Two files alternate: a flush moves appends to the other file, commits the batch, then empties the file the batch
/// was written to, so a file holds at most one batch. On start, records left in either file (the server was killed
/// before their flush) are inserted (`INSERT OR IGNORE`: a record whose flush committed is skipped) and both files are
/// emptied. A record is `length (u32 LE) · FNV-1a of the body (u32 LE) · body`; a torn last record is ignored.
///
/// The journal also keeps each channel's last `seq` and state (``Cursor``), so an append does not read the database
/// except for the first append to a channel it has not seen since start (which also reads the channel's
/// `client_msg_id`s into a Bloom filter) and, for a v2 message whose `client_msg_id` the filter may hold, the
/// de-duplication lookup of messages already flushed.
final class MessageJournal: Sendable {
    /// A channel as appends see it.
    struct Cursor: Sendable {
        /// The highest `seq` stored or pending.
        var lastSeq: UInt64
        /// Deleted (or unknown): appends are refused.
        var gone: Bool
        /// Pending messages (not yet flushed) of this channel.
        var pending = 0
        /// The pending messages with a `client_msg_id`, by author and key, for de-duplication before their flush.
        var pendingKeys: [DedupKey: StoredMessage] = [:]
        /// Every `client_msg_id` of the channel is in the journal's key filter (the channel was created since start,
        /// or its keys were read with it): a key the filter does not hold is new without a database lookup.
        var keysKnown = false
    }

    /// A channel as ``append(_:channel:cap:load:storedDuplicate:)``'s `load` reads it from the database.
    struct Loaded: Sendable {
        var lastSeq: UInt64
        var gone: Bool
        /// The `client_msg_id`s stored in the channel, with their authors.
        var keys: [DedupKey]
    }

    /// A `client_msg_id` is unique per channel and author.
    struct DedupKey: Hashable, Sendable {
        var user: UserID
        var key: String
    }

    /// A pending message.
    struct Entry: Sendable, Hashable {
        var channel: ChannelID
        var message: StoredMessage
    }

    /// Errors of the journal files.
    struct IOError: Error, CustomStringConvertible {
        var operation: String
        var path: String
        var code: Int32
        var description: String { "\(self.operation) \(self.path): \(String(cString: strerror(self.code)))" }
    }

    private struct State {
        var cursors: [ChannelID: Cursor] = [:]
        /// Appended, not yet committed to the database, in append order.
        var pending: [Entry] = []
        /// The file appends go to (0 or 1).
        var active = 0
        /// Whether the other file may still hold records that are not committed (a flush failed).
        var standbyDirty = false
        /// A Bloom filter of the `client_msg_id`s stored since start and of those of channels loaded since (by
        /// channel, author and key; ``keyFilterBits`` bits, empty until the first key): a v2 message's key is looked
        /// up in the database only when the filter may hold it.
        var keyFilter: [UInt64] = []

        /// Past ``MessageJournal/maximumIdleCursors``, forgets the cursors of channels without pending messages (they
        /// reload on demand).
        mutating func forgetIdleCursors() {
            if self.cursors.count > MessageJournal.maximumIdleCursors {
                self.cursors = self.cursors.filter { $0.value.pending > 0 }
            }
        }

        mutating func insertKey(_ hash: KeyHash) {
            if self.keyFilter.isEmpty {
                self.keyFilter = [UInt64](repeating: 0, count: MessageJournal.keyFilterBits / 64)
            }
            self.keyFilter.withUnsafeMutableBufferPointer { words in
                for index in 0..<3 {
                    let bit = hash.bit(index)
                    words[bit.word] |= bit.mask
                }
            }
        }

        func mayHoldKey(_ hash: KeyHash) -> Bool {
            guard !self.keyFilter.isEmpty else { return false }
            return self.keyFilter.withUnsafeBufferPointer { words in
                (0..<3).allSatisfy { index in
                    let bit = hash.bit(index)
                    return words[bit.word] & bit.mask != 0
                }
            }
        }
    }

    /// Where a `client_msg_id` sits in the key filter, hashed once per append: a 512-bit block (one cache line) and
    /// three bits in it, so a lookup or an insert touches one line of the filter.
    struct KeyHash {
        private let hash: UInt64

        init(_ channel: ChannelID, _ key: DedupKey) {
            var hasher = Hasher()
            hasher.combine(channel.rawValue)
            hasher.combine(key.user.rawValue)
            hasher.combine(key.key)
            self.hash = UInt64(bitPattern: Int64(hasher.finalize()))
        }

        /// Bit `index` (0...2) of the three: the filter's word that holds it and its mask in that word. The block is
        /// the hash's low bits; each bit's place in it, nine bits of the hash from bit 32 up.
        func bit(_ index: Int) -> (word: Int, mask: UInt64) {
            let blocks = UInt64(MessageJournal.keyFilterBits / 512)
            let position = Int(self.hash % blocks) * 512 + Int((self.hash >> (32 + 9 * UInt64(index))) & 511)
            return (position >> 6, 1 << UInt64(position & 63))
        }
    }

    /// The key filter's size: 2^23 bits (1 MiB, 16,384 blocks of 512 bits), allocated on the first `client_msg_id`.
    /// With three bits per key in one block its false-positive rate is about 0.006 % at 100,000 keys and 3 % at a
    /// million; a false positive costs one lookup.
    static let keyFilterBits = 1 << 23

    /// Pending messages at which an append first flushes on its own thread (a bound on memory when flushes fall
    /// behind).
    static let maximumPending = 16_384
    /// Cursors kept for channels without pending messages; beyond it, a flush or a channel's creation forgets them
    /// (they reload on demand).
    static let maximumIdleCursors = 20_000

    let paths: [String]
    private let descriptors: [Int32]
    private let state = Mutex(State())
    /// `state.pending.count`, kept beside the lock so an append's check of the bound does not take it twice.
    private let pendingCounter = Atomic<Int>(0)
    private let signal: AsyncStream<Void>.Continuation
    /// Yields when an append finds no message pending: the server's flusher waits on it (an idle server never
    /// wakes for the journal).
    let appended: AsyncStream<Void>

    /// Opens (creating) the two journal files next to `databasePath`, locks the first against other processes, and
    /// reads what they hold.
    /// - Returns: The journal and the records left from a previous run, in append order.
    /// - Throws: ``ConfigurationError`` when another process holds the lock; ``IOError``.
    static func opening(databasePath: String) throws -> (journal: MessageJournal, recovered: [Entry]) {
        let paths = [databasePath + "-messages.0", databasePath + "-messages.1"]
        var descriptors: [Int32] = []
        var recovered: [Entry] = []
        for path in paths {
            let fd = posixOpen(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let code = errno
                for open in descriptors { close(open) }
                throw IOError(operation: "open", path: path, code: code)
            }
            descriptors.append(fd)
            if descriptors.count == 1, !Self.lock(fd) {
                let code = errno
                for open in descriptors { close(open) }
                guard code == EAGAIN || code == EACCES else { throw IOError(operation: "lock", path: path, code: code) }
                throw ConfigurationError(
                    "another chat-server process uses the database \(databasePath) (its message journal \(path) is "
                        + "locked): stop it, or give this server a data directory of its own"
                )
            }
            recovered += Self.decodeRecords(try Self.readAll(fd, path: path))
        }
        return (MessageJournal(paths: paths, descriptors: descriptors), recovered)
    }

    /// A POSIX write lock on the whole file: held by this process until it ends (or closes any descriptor of the
    /// file), and refused to another process — two servers appending to one database would assign the same `seq`.
    private static func lock(_ fd: Int32) -> Bool {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0
        return fcntl(fd, F_SETLK, &lock) == 0
    }

    private init(paths: [String], descriptors: [Int32]) {
        self.paths = paths
        self.descriptors = descriptors
        (self.appended, self.signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    deinit {
        self.signal.finish()
        for fd in self.descriptors { close(fd) }
    }

    /// How many messages wait for a flush (without taking the journal's lock).
    var pendingCount: Int { self.pendingCounter.load(ordering: .relaxed) }

    /// A new channel: its cursor starts at `seq` 0 without a database read.
    func channelCreated(_ channel: ChannelID) {
        self.state.withLock { state in
            state.forgetIdleCursors()  // channels matched and never written to would otherwise pile up until a flush
            state.cursors[channel] = Cursor(lastSeq: 0, gone: false, keysKnown: true)
        }
    }

    /// Whether `channel` is known to be active: created, or read for an append, since start-up and not deleted
    /// since. `false` says nothing (ask the database). This process is the database's only writer (its lock), and every
    /// creation and deletion goes through the journal, so the answer needs no read.
    func isKnownActive(_ channel: ChannelID) -> Bool {
        self.state.withLock { $0.cursors[channel].map { !$0.gone } ?? false }
    }

    /// A deleted channel: later appends are refused.
    func channelDeleted(_ channel: ChannelID) {
        self.state.withLock { state in
            if state.cursors[channel] != nil {
                state.cursors[channel]?.gone = true
            } else {
                state.cursors[channel] = Cursor(lastSeq: 0, gone: true)
            }
        }
    }

    /// Appends `message` to `channel` (see ``ChatStorage/appendMessage(_:channel:cap:)``).
    /// - Parameters:
    ///   - message: The message (its `seq` is assigned here).
    ///   - channel: The channel.
    ///   - cap: The most messages the channel may hold.
    ///   - load: Reads a channel the journal has no cursor for: its last stored `seq`, whether it is deleted and its
    ///     `client_msg_id`s, or `nil` when unknown. Called with the journal locked.
    ///   - storedDuplicate: Looks up a flushed message of the channel with the author's `client_msg_id`.
    /// - Returns: The stored message, or the original of a duplicate `client_msg_id`.
    /// - Throws: ``AppendMessageError``, ``IOError`` when the record cannot be written, or what the lookups throw.
    func append(
        _ message: StoredMessage,
        channel: ChannelID,
        cap: Int,
        load: (ChannelID) throws -> Loaded?,
        storedDuplicate: (ChannelID, DedupKey) throws -> StoredMessage?
    ) throws -> AppendResult {
        let key = message.clientMessageID.map { DedupKey(user: message.userID, key: $0) }
        let hash = key.map { KeyHash(channel, $0) }
        // A pending message stays in `pendingKeys` until its batch commits, so a key is always pending or flushed.
        // One lock on the usual path: the key is pending (a duplicate), or the filter tells it is new. When the key
        // may be flushed, it is looked up outside the lock, and the append takes the lock again.
        var lookedUp = false
        while true {
            let outcome: AppendOutcome = try self.state.withLock { state in
                let index = try Self.cursorIndex(of: channel, in: &state, load: load)
                guard !state.cursors.values[index].gone else { throw AppendMessageError.channelGone }
                if let key, let hash {
                    if let original = state.cursors.values[index].pendingKeys[key] {
                        return .done(.duplicate(original))
                    }
                    if !lookedUp, !state.cursors.values[index].keysKnown || state.mayHoldKey(hash) {
                        return .lookUp(key)
                    }
                }
                let lastSeq = state.cursors.values[index].lastSeq
                guard lastSeq < UInt64(max(0, cap)) else { throw AppendMessageError.capReached }
                var stored = message
                stored.seq = lastSeq + 1
                stored.seen = false
                let entry = Entry(channel: channel, message: stored)
                try self.write(Self.encode(entry), to: state.active)
                // In place: a copy of the cursor would share its pending keys, and the mutation would then copy the
                // whole dictionary, per append.
                state.cursors.values[index].lastSeq = stored.seq
                state.cursors.values[index].pending += 1
                if let key, let hash {
                    state.cursors.values[index].pendingKeys[key] = stored
                    state.insertKey(hash)
                }
                state.pending.append(entry)
                self.pendingCounter.store(state.pending.count, ordering: .relaxed)
                if state.pending.count == 1 { self.signal.yield() }
                return .done(.stored(stored))
            }
            switch outcome {
            case .done(let result):
                return result
            case .lookUp(let key):
                if let original = try storedDuplicate(channel, key) { return .duplicate(original) }
                lookedUp = true
            }
        }
    }

    /// What one pass of ``append(_:channel:cap:load:storedDuplicate:)`` under the lock decided.
    private enum AppendOutcome {
        case done(AppendResult)
        /// The key may be among the flushed messages: look it up, then append (unless it was found).
        case lookUp(DedupKey)
    }

    /// Mutates the cursor of `channel` in place, if there is one: the dictionary's storage and the cursor's pending
    /// keys stay uniquely referenced, so nothing is copied (a `var` copy written back would copy the keys per call).
    private static func update(
        _ cursors: inout [ChannelID: Cursor],
        _ channel: ChannelID,
        _ body: (inout Cursor) -> Void
    ) {
        guard let index = cursors.index(forKey: channel) else { return }
        body(&cursors.values[index])
    }

    /// The index of `channel`'s cursor in `state.cursors`, loading it first when there is none.
    private static func cursorIndex(
        of channel: ChannelID,
        in state: inout State,
        load: (ChannelID) throws -> Loaded?
    ) throws -> Dictionary<ChannelID, Cursor>.Index {
        if let index = state.cursors.index(forKey: channel) { return index }
        guard let loaded = try load(channel) else { throw AppendMessageError.channelGone }
        for key in loaded.keys { state.insertKey(KeyHash(channel, key)) }
        state.cursors[channel] = Cursor(lastSeq: loaded.lastSeq, gone: loaded.gone, keysKnown: true)
        guard let index = state.cursors.index(forKey: channel) else { throw AppendMessageError.channelGone }
        return index
    }

    /// Moves the pending messages into the database: switches appends to the other file, runs `commit` with the
    /// batch (one transaction), then forgets the batch and empties its file. Flushes must not overlap (the storage
    /// runs them on its writer's serial queue).
    /// - Returns: The number of messages committed.
    func flush(_ commit: ([Entry]) throws -> Void) throws -> Int {
        let (batch, swapped): ([Entry], Int?) = self.state.withLock { state in
            guard !state.pending.isEmpty else { return ([], nil) }
            if state.standbyDirty { return (state.pending, nil) }
            let old = state.active
            state.active = 1 - old
            return (state.pending, old)
        }
        guard !batch.isEmpty else { return 0 }
        do {
            try commit(batch)
        } catch {
            self.state.withLock { $0.standbyDirty = $0.standbyDirty || swapped != nil }
            throw error
        }
        self.state.withLock { state in
            state.pending.removeFirst(batch.count)
            self.pendingCounter.store(state.pending.count, ordering: .relaxed)
            for entry in batch {
                Self.update(&state.cursors, entry.channel) { cursor in
                    cursor.pending -= 1
                    if let key = entry.message.clientMessageID {
                        cursor.pendingKeys[DedupKey(user: entry.message.userID, key: key)] = nil
                    }
                }
            }
            state.forgetIdleCursors()
            // The swapped-out file held this batch only (or, after a failed flush, records this batch includes).
            let standby = 1 - state.active
            if ftruncate(self.descriptors[standby], 0) == 0 { state.standbyDirty = false }
        }
        return batch.count
    }

    /// Empties both files (after the recovered records are committed).
    func truncateAll() throws {
        for (fd, path) in zip(self.descriptors, self.paths) where ftruncate(fd, 0) != 0 {
            throw IOError(operation: "ftruncate", path: path, code: errno)
        }
    }

    private func write(_ bytes: [UInt8], to file: Int) throws {
        let fd = self.descriptors[file]
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = posixWrite(fd, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw IOError(operation: "write", path: self.paths[file], code: errno)
                }
                offset += written
            }
        }
    }

    private static func readAll(_ fd: Int32, path: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { pread(fd, $0, buffer.count, offset) } ?? 0
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw IOError(operation: "read", path: path, code: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            offset += off_t(count)
        }
    }

    // MARK: Records

    static func encode(_ entry: Entry) -> [UInt8] {
        let message = entry.message
        // One array: the header's 8 bytes are reserved first and filled in at the end.
        var record: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        record.reserveCapacity(
            8 + 7 * 8 + 1 + 3 * 4 + message.payload.utf8.count + (message.clientMessageID?.utf8.count ?? 0)
                + message.contentType.utf8.count
        )
        for value in [
            entry.channel.rawValue, message.messageID.rawValue, message.seq, UInt64(bitPattern: message.event.rawValue),
            message.userID.rawValue, UInt64(bitPattern: message.time), message.fileSize,
        ] {
            Self.append(value, to: &record)
        }
        record.append(message.clientMessageID == nil ? 0 : 1)
        Self.append(message.payload, to: &record)
        Self.append(message.clientMessageID ?? "", to: &record)
        Self.append(message.contentType, to: &record)
        let length = UInt32(record.count - 8)
        let sum = record.withUnsafeBufferPointer { Self.checksum($0[8...]) }
        for index in 0..<4 {
            record[index] = UInt8(truncatingIfNeeded: length >> (8 * index))
            record[4 + index] = UInt8(truncatingIfNeeded: sum >> (8 * index))
        }
        return record
    }

    /// The whole records of `bytes`, up to the first torn or corrupt one.
    static func decodeRecords(_ bytes: [UInt8]) -> [Entry] {
        var entries: [Entry] = []
        var offset = 0
        while bytes.count - offset >= 8 {
            let length = Int(Self.readUInt32(bytes, at: offset))
            let sum = Self.readUInt32(bytes, at: offset + 4)
            guard length <= bytes.count - offset - 8 else { break }
            let body = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            guard Self.checksum(body) == sum, let entry = Self.decodeBody(body) else { break }
            entries.append(entry)
            offset += 8 + length
        }
        return entries
    }

    private static func decodeBody(_ body: [UInt8]) -> Entry? {
        var offset = 0
        func u64() -> UInt64? {
            guard body.count - offset >= 8 else { return nil }
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(body[offset + index]) << (8 * index) }
            offset += 8
            return value
        }
        func string() -> String? {
            guard body.count - offset >= 4 else { return nil }
            let length = Int(Self.readUInt32(body, at: offset))
            offset += 4
            guard length <= body.count - offset else { return nil }
            defer { offset += length }
            return String(decoding: body[offset..<(offset + length)], as: UTF8.self)
        }
        guard let channel = u64(), let id = u64(), let seq = u64(), let event = u64(), let user = u64(),
            let time = u64(), let fileSize = u64(), offset < body.count
        else { return nil }
        let hasKey = body[offset] == 1
        offset += 1
        guard let payload = string(), let key = string(), let contentType = string(), offset == body.count else {
            return nil
        }
        return Entry(
            channel: ChannelID(channel),
            message: StoredMessage(
                messageID: MessageID(id),
                seq: seq,
                event: V1.Event(rawValue: Int64(bitPattern: event)),
                userID: UserID(user),
                payload: payload,
                seen: false,
                time: Int64(bitPattern: time),
                clientMessageID: hasKey ? key : nil,
                fileSize: fileSize,
                contentType: contentType
            )
        )
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for index in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    private static func append(_ string: String, to bytes: inout [UInt8]) {
        Self.append(UInt32(string.utf8.count), to: &bytes)
        bytes += string.utf8
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * index) }
        return value
    }

    /// FNV-1a, 32 bits: enough to tell a torn record from a whole one.
    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
