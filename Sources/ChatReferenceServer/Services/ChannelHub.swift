import ChatProtocol
import Synchronization

/// In-memory fan-out: which chat websockets are attached to which channel.
///
/// Every broadcast reaches every socket of the channel, the sender's included (upstream semantics). Presence is
/// counted in distinct users, not sockets (D14).
final class ChannelHub: Sendable {
    private struct Member {
        var user: UserID
        var outbox: Outbox
    }

    private struct State {
        var nextID = 0
        var channels: [ChannelID: [Int: Member]] = [:]
        var isShuttingDown = false
    }

    private let state = Mutex(State())

    /// Attaches a socket; returns its id, or `nil` when the server is shutting down.
    func join(_ channel: ChannelID, user: UserID, outbox: Outbox) -> Int? {
        self.state.withLock { state in
            guard !state.isShuttingDown else { return nil }
            state.nextID += 1
            state.channels[channel, default: [:]][state.nextID] = Member(user: user, outbox: outbox)
            return state.nextID
        }
    }

    /// Detaches a socket; returns whether the user still has another socket in the channel.
    func leave(_ channel: ChannelID, connection: Int) -> Bool {
        self.state.withLock { state in
            guard let member = state.channels[channel]?.removeValue(forKey: connection) else { return false }
            if state.channels[channel]?.isEmpty == true { state.channels[channel] = nil }
            return state.channels[channel]?.values.contains { $0.user == member.user } ?? false
        }
    }

    /// The distinct users with at least one socket in the channel.
    func onlineUsers(_ channel: ChannelID) -> [UserID] {
        self.state.withLock { state in
            let members = state.channels[channel, default: [:]].sorted { $0.key < $1.key }
            var seen = Set<UserID>()
            return members.compactMap { seen.insert($0.value.user).inserted ? $0.value.user : nil }
        }
    }

    /// Queues a frame on every socket of the channel.
    func broadcast(_ frame: [UInt8], to channel: ChannelID) {
        let outboxes = self.state.withLock { state in state.channels[channel, default: [:]].values.map(\.outbox) }
        for outbox in outboxes { outbox.send(frame) }
    }

    /// Closes every socket of a channel (after deletion) with `code`.
    func closeChannel(_ channel: ChannelID, code: WebSocketCloseCode, reason: String) {
        let outboxes = self.state.withLock { state in state.channels[channel, default: [:]].values.map(\.outbox) }
        for outbox in outboxes { outbox.close(code, reason: reason) }
    }

    /// Refuses new sockets and closes the attached ones with 1001.
    func shutDown() {
        let outboxes = self.state.withLock { state in
            state.isShuttingDown = true
            return state.channels.values.flatMap { $0.values.map(\.outbox) }
        }
        for outbox in outboxes { outbox.close(.goingAway, reason: "server shutting down") }
    }

    /// The number of attached sockets.
    var connectionCount: Int { self.state.withLock { $0.channels.values.reduce(0) { $0 + $1.count } } }
}
