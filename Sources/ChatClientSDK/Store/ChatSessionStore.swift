import Synchronization

/// Where a session keeps its transcript and matches, so an app can reopen a chat after a restart without
/// re-delivering old messages and without losing the ones that arrived meanwhile.
///
/// The SDK calls ``append(_:to:)`` as messages are delivered (in order, each once), reads ``messages(in:)`` when a
/// session opens (their ids seed de-duplication; newer messages are recovered from history), and calls
/// ``removeChannel(_:)`` when the channel ends. Implementations must be safe to call from any task.
///
/// Over protocol v2 the store also keeps the session's position in the channel (``savePosition(_:in:)``), so a
/// reopened session resumes after the last delivered message instead of replaying the channel from its start, and
/// the sends the server has not acknowledged yet (``addPendingSend(_:to:)``), so a send queued before the app was
/// killed is retried with the same `client_msg_id` after the relaunch and the server stores it once. These
/// requirements have default implementations that keep nothing (a store written for an older SDK still works,
/// without those two guarantees).
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

    /// The v2 position saved for a channel.
    /// - Parameter channelID: The channel.
    /// - Returns: The position, or `nil` when none was saved.
    /// - Throws: Any error; the session fails to open with it.
    func position(in channelID: ChannelID) async throws -> ChatChannelPosition?

    /// Records the v2 position after messages were delivered (and appended).
    /// - Parameters:
    ///   - position: The epoch and the last delivered `seq`.
    ///   - channelID: The channel.
    /// - Throws: Any error; it is logged and the session goes on.
    func savePosition(_ position: ChatChannelPosition, in channelID: ChannelID) async throws

    /// The v2 sends saved and not yet acknowledged, in the order they were added.
    /// - Parameter channelID: The channel.
    /// - Returns: The sends, oldest first.
    /// - Throws: Any error; the session fails to open with it.
    func pendingSends(in channelID: ChannelID) async throws -> [ChatPendingSend]

    /// Records a v2 send before it is written to the server.
    /// - Parameters:
    ///   - send: The send's `client_msg_id` and content.
    ///   - channelID: The channel.
    /// - Throws: Any error; it is logged and the send goes on (without surviving a restart).
    func addPendingSend(_ send: ChatPendingSend, to channelID: ChannelID) async throws

    /// Forgets v2 sends the server acknowledged or refused for good, or the app withdrew.
    /// - Parameters:
    ///   - clientMessageIDs: The sends' `client_msg_id`s.
    ///   - channelID: The channel.
    /// - Throws: Any error; it is logged.
    func removePendingSends(_ clientMessageIDs: [String], from channelID: ChannelID) async throws
}

extension ChatSessionStore {
    /// Keeps no position: a reopened v2 session replays the channel and de-duplicates by message id.
    /// - Parameter channelID: The channel.
    /// - Returns: `nil`.
    public func position(in channelID: ChannelID) async -> ChatChannelPosition? { nil }

    /// Keeps no position.
    /// - Parameters:
    ///   - position: Ignored.
    ///   - channelID: Ignored.
    public func savePosition(_ position: ChatChannelPosition, in channelID: ChannelID) async {}

    /// Keeps no pending sends.
    /// - Parameter channelID: The channel.
    /// - Returns: An empty array.
    public func pendingSends(in channelID: ChannelID) async -> [ChatPendingSend] { [] }

    /// Keeps no pending sends.
    /// - Parameters:
    ///   - send: Ignored.
    ///   - channelID: Ignored.
    public func addPendingSend(_ send: ChatPendingSend, to channelID: ChannelID) async {}

    /// Keeps no pending sends.
    /// - Parameters:
    ///   - clientMessageIDs: Ignored.
    ///   - channelID: Ignored.
    public func removePendingSends(_ clientMessageIDs: [String], from channelID: ChannelID) async {}
}

/// Where a v2 session stands in its channel: after a restart it resumes from here (PROTOCOL.md §10.4).
public struct ChatChannelPosition: Hashable, Sendable {
    /// The channel's history generation (`epoch`); `seq`s of another epoch mean nothing.
    public var epoch: String
    /// The highest `seq` delivered with every lower one delivered too.
    public var lastSeq: UInt64

    /// Creates a position.
    /// - Parameters:
    ///   - epoch: The channel's history generation.
    ///   - lastSeq: The highest `seq` delivered with every lower one delivered too.
    public init(epoch: String, lastSeq: UInt64) {
        self.epoch = epoch
        self.lastSeq = lastSeq
    }
}

/// A v2 send the server has not acknowledged yet, as a store keeps it.
public struct ChatPendingSend: Hashable, Sendable {
    /// The send's idempotency key (`client_msg_id`): the server stores one message per key, so a retry after a
    /// restart cannot duplicate it.
    public var clientMessageID: String
    /// The text or file.
    public var content: V2.ChatMessage.Content

    /// Creates a pending send.
    /// - Parameters:
    ///   - clientMessageID: The send's idempotency key.
    ///   - content: The text or file.
    public init(clientMessageID: String, content: V2.ChatMessage.Content) {
        self.clientMessageID = clientMessageID
        self.content = content
    }
}

/// A ``ChatSessionStore`` that keeps everything in memory: the default, and a model for a persistent one.
public final class ChatMemoryStore: ChatSessionStore {
    private struct State {
        var messages: [ChannelID: [ChatMessage]] = [:]
        var matches: [ChannelID: ChatMatch] = [:]
        var positions: [ChannelID: ChatChannelPosition] = [:]
        var pending: [ChannelID: [ChatPendingSend]] = [:]
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
            $0.positions[channelID] = nil
            $0.pending[channelID] = nil
        }
    }

    /// The saved v2 position of a channel.
    /// - Parameter channelID: The channel.
    /// - Returns: The position, or `nil`.
    public func position(in channelID: ChannelID) async -> ChatChannelPosition? {
        self.state.withLock { $0.positions[channelID] }
    }

    /// Records a v2 position.
    /// - Parameters:
    ///   - position: The position.
    ///   - channelID: The channel.
    public func savePosition(_ position: ChatChannelPosition, in channelID: ChannelID) async {
        self.state.withLock { $0.positions[channelID] = position }
    }

    /// The v2 sends not yet acknowledged.
    /// - Parameter channelID: The channel.
    /// - Returns: The sends, oldest first.
    public func pendingSends(in channelID: ChannelID) async -> [ChatPendingSend] {
        self.state.withLock { $0.pending[channelID] ?? [] }
    }

    /// Records a v2 send (a repeated `client_msg_id` replaces nothing).
    /// - Parameters:
    ///   - send: The send.
    ///   - channelID: The channel.
    public func addPendingSend(_ send: ChatPendingSend, to channelID: ChannelID) async {
        self.state.withLock { state in
            guard !(state.pending[channelID] ?? []).contains(where: { $0.clientMessageID == send.clientMessageID })
            else { return }
            state.pending[channelID, default: []].append(send)
        }
    }

    /// Forgets v2 sends.
    /// - Parameters:
    ///   - clientMessageIDs: The sends' `client_msg_id`s.
    ///   - channelID: The channel.
    public func removePendingSends(_ clientMessageIDs: [String], from channelID: ChannelID) async {
        let removed = Set(clientMessageIDs)
        self.state.withLock { $0.pending[channelID]?.removeAll { removed.contains($0.clientMessageID) } }
    }
}
