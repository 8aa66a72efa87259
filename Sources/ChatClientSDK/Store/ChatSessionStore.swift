import Synchronization

/// Where a session keeps its transcript and matches, so an app can reopen a chat after a restart without
/// re-delivering old messages and without losing the ones that arrived meanwhile.
///
/// The SDK calls ``append(_:to:)`` as messages are delivered (in order, each once), reads ``messages(in:)`` when a
/// session opens (their ids seed de-duplication; newer messages are recovered from history), and calls
/// ``removeChannel(_:)`` when the channel ends. Implementations must be safe to call from any task.
public protocol ChatSessionStore: Sendable {
    /// The delivered messages of a channel, oldest first.
    /// - Parameter channelID: The channel.
    /// - Returns: The stored messages, or an empty array.
    /// - Throws: Any error; the session fails to open with it.
    func messages(in channelID: ChannelID) async throws -> [ChatMessage]

    /// Records messages that were just delivered.
    /// - Parameters:
    ///   - messages: The messages, oldest first.
    ///   - channelID: The channel.
    /// - Throws: Any error; it is logged and the session goes on.
    func append(_ messages: [ChatMessage], to channelID: ChannelID) async throws

    /// Records a match so the app can find it after a restart.
    /// - Parameter match: The match.
    /// - Throws: Any error; it is logged and the session goes on.
    func saveMatch(_ match: ChatMatch) async throws

    /// The matches saved and not yet removed.
    /// - Returns: The matches.
    /// - Throws: Any error.
    func matches() async throws -> [ChatMatch]

    /// Forgets a channel (its match and its messages) once it has ended.
    /// - Parameter channelID: The channel.
    /// - Throws: Any error; it is logged.
    func removeChannel(_ channelID: ChannelID) async throws
}

/// A ``ChatSessionStore`` that keeps everything in memory: the default, and a model for a persistent one.
public final class ChatMemoryStore: ChatSessionStore {
    private struct State {
        var messages: [ChannelID: [ChatMessage]] = [:]
        var matches: [ChannelID: ChatMatch] = [:]
    }

    private let state = Mutex(State())

    /// Creates an empty store.
    public init() {}

    /// The delivered messages of a channel, oldest first.
    /// - Parameter channelID: The channel.
    /// - Returns: The stored messages.
    public func messages(in channelID: ChannelID) async -> [ChatMessage] {
        self.state.withLock { $0.messages[channelID] ?? [] }
    }

    /// Records delivered messages.
    /// - Parameters:
    ///   - messages: The messages, oldest first.
    ///   - channelID: The channel.
    public func append(_ messages: [ChatMessage], to channelID: ChannelID) async {
        self.state.withLock { $0.messages[channelID, default: []].append(contentsOf: messages) }
    }

    /// Records a match.
    /// - Parameter match: The match.
    public func saveMatch(_ match: ChatMatch) async {
        self.state.withLock { $0.matches[match.channelID] = match }
    }

    /// The saved matches.
    /// - Returns: The matches, in no particular order.
    public func matches() async -> [ChatMatch] {
        self.state.withLock { Array($0.matches.values) }
    }

    /// Forgets a channel.
    /// - Parameter channelID: The channel.
    public func removeChannel(_ channelID: ChannelID) async {
        self.state.withLock {
            $0.messages[channelID] = nil
            $0.matches[channelID] = nil
        }
    }
}
