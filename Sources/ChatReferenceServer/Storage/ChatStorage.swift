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

    func createChannel(_ id: ChannelID, members: [UserID], now: Date) async throws
    func channelState(_ id: ChannelID) async throws -> ChannelState
    func members(of channel: ChannelID) async throws -> [UserID]
    func isMember(_ user: UserID, of channel: ChannelID) async throws -> Bool
    /// Marks the channel deleted and drops its members; messages stay for audit but are unreachable.
    func deleteChannel(_ id: ChannelID, now: Date) async throws

    /// Stores a text or file message with the next per-channel `seq`, refusing it over `cap`.
    func appendMessage(_ message: V1.Message, channel: ChannelID, cap: Int) async throws -> V1.Message
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
