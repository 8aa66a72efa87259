import ChatProtocol
import Foundation

/// A user account as the server stores it.
struct StoredUser: Hashable, Sendable {
    var id: UserID
    var name: String
    var picture: String
    /// The provider's e-mail for OAuth users; `nil` for guests.
    var email: String?

    var wire: V1.User { V1.User(id: self.id, name: self.name, picture: self.picture) }
}

/// Whether a channel exists and is usable.
enum ChannelState: Hashable, Sendable {
    case active
    case deleted
    case unknown
}

/// Why a message could not be stored.
enum AppendMessageError: Error, Hashable {
    /// The channel already holds the maximum number of messages.
    case capReached
    /// The channel is unknown or deleted.
    case channelGone
}

/// A stored text or file message with its v2 fields, rendered as v1 frames and v2 `ChatMessage`s.
struct StoredMessage: Hashable, Sendable {
    var messageID: MessageID
    /// The dense per-channel position (1, 2, 3, …), assigned when the message is stored.
    var seq: UInt64
    /// ``V1/Event/text`` or ``V1/Event/file``.
    var event: V1.Event
    var userID: UserID
    /// The text, or the v1 file payload (`{"file_name","object_key"}` as a JSON string).
    var payload: String
    var seen: Bool
    var time: Int64
    /// The v2 sender's idempotency key; `nil` for messages from v1 clients.
    var clientMessageID: String?
    /// The object size of a file message (0 when unknown, e.g. from a v1 sender).
    var fileSize: UInt64 = 0
    /// The media type a v2 sender declared for a file (may be empty).
    var contentType: String = ""

    /// The v1 frame (`seen` as stored).
    var v1: V1.Message {
        V1.Message(
            messageID: self.messageID,
            event: self.event,
            userID: self.userID,
            payload: self.payload,
            seen: self.seen,
            time: self.time
        )
    }

    /// The v2 `ChatMessage` as `viewer` receives it: `client_msg_id` is the author's own idempotency key, so only
    /// the author's connections and history pages carry it (RC-CHAT-SEND-3, RC-HIST2-5).
    func v2(for viewer: UserID) -> V2.ChatMessage {
        self.v2(keepingClientMessageID: viewer == self.userID)
    }

    /// The v2 `ChatMessage`, with its `client_msg_id` only when `keepingClientMessageID` (RC-CHAT-SEND-3).
    func v2(keepingClientMessageID: Bool) -> V2.ChatMessage {
        var message = self.v2
        if !keepingClientMessageID { message.clientMessageID = "" }
        return message
    }

    /// The v2 `ChatMessage` (§12.2: v1 file payloads become `file{file_name, object_key, size}`).
    var v2: V2.ChatMessage {
        let content: V2.ChatMessage.Content
        if self.event == .file {
            let file = try? V1.FilePayload(payloadString: self.payload)
            content = .file(
                V2.FileRef(
                    fileName: file?.fileName ?? "",
                    objectKey: file?.objectKey ?? "",
                    size: self.fileSize,
                    contentType: self.contentType
                )
            )
        } else {
            content = .text(self.payload)
        }
        return V2.ChatMessage(
            messageID: self.messageID,
            seq: self.seq,
            userID: self.userID,
            content: content,
            time: self.time,
            clientMessageID: self.clientMessageID ?? "",
            seen: self.seen
        )
    }
}

/// The outcome of storing a message.
enum AppendResult: Hashable, Sendable {
    /// Stored now, with its `seq`.
    case stored(StoredMessage)
    /// The sender's `client_msg_id` was already stored in this channel: the original message (RC-CHAT-SEND-4).
    case duplicate(StoredMessage)
}

/// The v2 position of a channel.
struct ChannelPosition: Hashable, Sendable {
    var state: ChannelState
    /// The history generation (§6.9); empty for an unknown channel.
    var epoch: String
    /// The highest stored `seq` (0 when empty).
    var lastSeq: UInt64
}

/// What ``ChatStorage/block(_:by:limit:now:)`` did.
enum BlockResult: Sendable, Equatable {
    case added
    /// The list already held the user; nothing changed.
    case alreadyBlocked
    /// No user has that id (or the blocker itself no longer exists: its account was deleted); nothing changed.
    case unknownUser
    /// The list holds `limit` users; nothing changed.
    case full
}

/// Durable state of the server: users, sessions, channels, members and messages.
///
/// The embedded SQLite implementation (``SQLiteStorage``) is the default; a later issue adds PostgreSQL for several
/// instances. Every method is atomic on its own.
protocol ChatStorage: Sendable {
    func createUser(name: String, picture: String, id: UserID) async throws -> StoredUser
    func user(_ id: UserID) async throws -> StoredUser?
    /// Finds the OAuth user with this e-mail, or creates it with `name`, `picture` and `id`.
    func oauthUser(email: String, name: String, picture: String, id: UserID) async throws -> StoredUser

    func createSession(_ sessionID: String, user: UserID, now: Date) async throws
    /// The session's user, extending the session's idle deadline; `nil` when unknown or idle for too long.
    func sessionUser(_ sessionID: String, now: Date, idleTimeout: TimeInterval) async throws -> UserID?
    func deleteSession(_ sessionID: String) async throws

    /// Deletes up to `limit` sessions last used before `cutoff` (expired ones: they are refused already); returns how
    /// many.
    func forgetIdleSessions(lastUsedBefore cutoff: Date, limit: Int) async throws -> Int
    /// Looks at up to `limit` users after `cursor` (from the first when `nil`), in id order, for guests nothing can
    /// reach any more: no e-mail (not an OAuth account), created before `cutoff`, no session and no membership of an
    /// active channel. Returns them and where the next call goes on (`nil`: the last user was reached).
    func guestCandidates(
        after cursor: UserID?,
        scanning limit: Int,
        createdBefore cutoff: Date
    ) async throws -> (candidates: [UserID], next: UserID?)
    /// Deletes `user` if it still is such a guest (checked again, in the deleting transaction), with its block list
    /// and its place on other users' lists; returns whether it did.
    func forgetGuest(_ user: UserID, createdBefore cutoff: Date) async throws -> Bool
    /// The active channels `user` is a member of (an ended channel has no members), in id order.
    func channels(of user: UserID) async throws -> [ChannelID]
    /// Deletes an account (`DELETE /api/v2/user/me`, after its channels ended): the user row, its sessions, its block
    /// list and its place on other users' lists, in one transaction. Returns whether the user existed.
    @discardableResult
    func deleteUser(_ user: UserID) async throws -> Bool
    /// Where the sweep named `name` stopped (`nil`: at the start).
    func sweepCursor(_ name: String) async throws -> UserID?
    /// Records where the sweep named `name` stopped.
    func setSweepCursor(_ name: String, to position: UserID?) async throws
    /// Every user whose block list is not empty.
    func usersWithBlocks() async throws -> [UserID]
    /// The users `user` blocked, the earliest first, or `nil` when no such user exists.
    func blockedUsersIfUserExists(of user: UserID) async throws -> [UserID]?

    /// Adds `blocked` to `user`'s block list, unless the list already holds `limit` users.
    func block(_ blocked: UserID, by user: UserID, limit: Int, now: Date) async throws -> BlockResult
    /// Removes `blocked` from `user`'s block list; returns whether it was there.
    @discardableResult
    func unblock(_ blocked: UserID, by user: UserID) async throws -> Bool

    /// Creates a channel; `tokensExpireAt` is when the tokens issued with it expire (`nil`: not tracked, the
    /// channel never ends by itself).
    func createChannel(_ id: ChannelID, members: [UserID], now: Date, tokensExpireAt: Date?) async throws
    /// Records that a token of `channel` valid until `date` was issued (v2 `refresh_token`); an earlier date is
    /// ignored.
    func extendTokens(of channel: ChannelID, until date: Date) async throws
    /// Up to `limit` active channels whose every token expired before `cutoff`, the earliest first.
    func channelsWithExpiredTokens(before cutoff: Date, limit: Int) async throws -> [ChannelID]
    func channelState(_ id: ChannelID) async throws -> ChannelState
    func members(of channel: ChannelID) async throws -> [UserID]
    func isMember(_ user: UserID, of channel: ChannelID) async throws -> Bool
    /// Marks the channel deleted and drops its members; its messages stay, unreachable, until the retention sweep
    /// purges them (``purgeChannels(_:)``).
    func deleteChannel(_ id: ChannelID, now: Date) async throws
    /// Up to `limit` channels that ended before `cutoff` and still hold their messages, the earliest ended first.
    func channelsToPurge(endedBefore cutoff: Date, limit: Int) async throws -> [ChannelID]
    /// Deletes the messages and read markers of ended channels (appended messages not yet flushed included) and
    /// marks them purged; active channels among `ids` keep everything.
    func purgeChannels(_ ids: [ChannelID]) async throws
    /// Deletes the rows of purged channels that ended before `cutoff`; returns how many. Afterwards their tokens
    /// meet an unknown channel, so the caller picks a cutoff by which every such token has expired.
    func forgetChannels(endedBefore cutoff: Date) async throws -> Int

    /// Stores a text or file message with the next per-channel `seq` (the `seq` given is ignored), refusing it over
    /// `cap`. A message whose `clientMessageID` the same user already stored in the channel is not stored again: the
    /// original is returned as ``AppendResult/duplicate(_:)``.
    /// Synchronous, on the caller's thread: the server calls it on a connection's event loop, so an implementation
    /// must be quick (SQLite's is one `write(2)` to its ``MessageJournal``) and must not wait on the event loops.
    /// The message is durable when this returns; it may reach the database later (``flushAppends()``), but every
    /// read of messages sees it.
    /// - Throws: ``AppendMessageError``.
    func appendMessage(_ message: StoredMessage, channel: ChannelID, cap: Int) throws -> AppendResult
    /// Moves appended messages into the database (SQLite: one transaction); returns how many. The server runs it
    /// off the event loops, a second after an append or sooner under load (`FlushPolicy`); reads of messages run it
    /// first.
    @discardableResult
    func flushAppends() async throws -> Int
    /// Appended messages waiting for ``flushAppends()``.
    var pendingAppends: Int { get }
    /// Yields when a message is appended while none waited for ``flushAppends()``.
    var appends: AsyncStream<Void> { get }
    /// Background maintenance the server runs every 500 ms off the event loops (SQLite: a `PASSIVE` WAL checkpoint);
    /// returns the write-ahead log's size and how much of it is written back, in frames, or `nil` when there was
    /// nothing to do (no write that changed a row since the last call).
    @discardableResult
    func checkpoint() async throws -> (walFrames: Int, checkpointed: Int)?
    /// The channel's state, epoch and last `seq`.
    func position(of channel: ChannelID) async throws -> ChannelPosition
    /// Stored messages with `seq` > `afterSeq`, ascending, at most `limit`.
    func messages(of channel: ChannelID, afterSeq: UInt64, limit: Int) async throws -> [StoredMessage]
    /// The newest `limit` messages with `seq` < `beforeSeq` (all when `nil`), ascending.
    func messages(of channel: ChannelID, beforeSeq: UInt64?, limit: Int) async throws -> [StoredMessage]
    /// Whether a message with `seq` < `beforeSeq` exists.
    func hasMessages(of channel: ChannelID, beforeSeq: UInt64) async throws -> Bool
    /// v2 seen: marks every message of authors other than `reader` with `seq` ≤ `upToSeq` seen and advances the
    /// reader's marker. Returns the messages that became seen now (ascending) and whether the marker advanced.
    func markSeen(
        upToSeq: UInt64,
        reader: UserID,
        in channel: ChannelID
    ) async throws -> (newlySeen: [StoredMessage], advanced: Bool)
    /// After a v1 seen: moves the reader's marker to the largest `s` such that every message of other authors with
    /// `seq` ≤ `s` is seen (§12.2). Returns the new marker if it advanced.
    func advanceReadMarker(reader: UserID, in channel: ChannelID) async throws -> UInt64?
    func message(_ id: MessageID, in channel: ChannelID) async throws -> V1.Message?
    func markSeen(_ id: MessageID, in channel: ChannelID) async throws
    /// Messages newest first, strictly older than `beforeSeq` when given; `nextSeq` is set when more remain.
    func history(
        of channel: ChannelID,
        beforeSeq: Int64?,
        limit: Int
    ) async throws -> (
        messages: [V1.Message], nextSeq: Int64?
    )
}

extension ChatStorage {
    /// The users `user` blocked, the earliest blocked first (none for an unknown user).
    func blockedUsers(of user: UserID) async throws -> [UserID] {
        try await self.blockedUsersIfUserExists(of: user) ?? []
    }
}

extension ChatStorage {
    /// Creates a channel whose tokens are not tracked (tests, tools).
    func createChannel(_ id: ChannelID, members: [UserID], now: Date) async throws {
        try await self.createChannel(id, members: members, now: now, tokensExpireAt: nil)
    }
}
