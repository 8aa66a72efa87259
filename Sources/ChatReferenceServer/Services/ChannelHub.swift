import ChatProtocol
import Synchronization

/// In-memory fan-out: which chat websockets are attached to which channel.
///
/// Every broadcast reaches every socket of the channel, the sender's included (upstream semantics), rendered for the
/// socket's protocol (§12). Broadcasts are queued on the sockets while the hub's lock is held, so every socket of a
/// channel sees the channel's events in one global order (RC-CHAT1-ORDER-1). Presence is counted in distinct users,
/// not sockets (D14).
final class ChannelHub: Sendable {
    private struct Member {
        var user: UserID
        var kind: ConnectionKind
        var outbox: Outbox
    }

    private struct State {
        var nextID = 0
        var channels: [ChannelID: [Int: Member]] = [:]
        var isShuttingDown = false
    }

    private struct Rendering: Hashable {
        var kind: ConnectionKind
        var isAuthor: Bool
    }

    private let state = Mutex(State())
    private let ids: IDGenerator

    init(ids: IDGenerator) {
        self.ids = ids
    }

    /// Attaches a socket; returns its id, or `nil` when the server is shutting down.
    func join(_ channel: ChannelID, user: UserID, kind: ConnectionKind, outbox: Outbox) -> Int? {
        self.state.withLock { state in
            guard !state.isShuttingDown else { return nil }
            state.nextID += 1
            state.channels[channel, default: [:]][state.nextID] = Member(user: user, kind: kind, outbox: outbox)
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

    /// Queues the rendering of `event` on every socket of the channel, in one global order.
    /// - Parameters:
    ///   - event: What happened.
    ///   - channel: The channel.
    ///   - acknowledgedOn: For a v2 message, the socket that sent it and was just answered with its `ack`: its copy
    ///     leaves out the `client_msg_id`, which the `ack` right before carried with the same `seq`
    ///     (RC-CHAT-SEND-3). The author's other v2 sockets get the key.
    func broadcast(_ event: ChannelEvent, to channel: ChannelID, acknowledgedOn: Int?) {
        let excluded = event.excludedConnection
        let ids = self.ids
        self.state.withLock { state in
            guard let members = state.channels[channel] else { return }
            // Rendered once per kind of connection, and once more for a v2 author's other connections (their copy
            // of a message carries its client_msg_id). Without allocating for the usual one or two renderings.
            var cache = RenderCache()
            Self.forEachInIDOrder(members) { id, member in
                if id == excluded, member.kind != .v1 { return }
                let key = Rendering(
                    kind: member.kind,
                    isAuthor: member.kind != .v1 && id != acknowledgedOn && event.isAuthored(by: member.user)
                )
                let frames =
                    cache[key]
                    ?? {
                        let frames = event.rendering(for: member.kind, keepingClientMessageID: key.isAuthor, ids: ids)
                        cache[key] = frames
                        return frames
                    }()
                let binary = member.kind == .v2(.protobuf)
                switch frames {
                case .one(let frame): member.outbox.send(frame, binary: binary)
                case .many(let frames): for frame in frames { member.outbox.send(frame, binary: binary) }
                }
            }
        }
    }

    /// Calls `body` for the members in ascending connection id (join order): every socket sees a channel's events
    /// in one global order, and a channel's sockets in a stable one. A channel has a handful of sockets, so the
    /// order is found by selection, without sorting into a new array.
    private static func forEachInIDOrder(_ members: [Int: Member], _ body: (Int, Member) -> Void) {
        guard members.count <= 8 else {
            for (id, member) in members.sorted(by: { $0.key < $1.key }) { body(id, member) }
            return
        }
        var last = Int.min
        for _ in 0..<members.count {
            var next: (id: Int, member: Member)?
            for (id, member) in members where id > last && id < (next?.id ?? .max) { next = (id, member) }
            guard let next else { return }
            body(next.id, next.member)
            last = next.id
        }
    }

    /// The renderings of one broadcast: two inline (the usual case), more in an array.
    private struct RenderCache {
        private var first: (Rendering, ChannelEvent.Frames)?
        private var second: (Rendering, ChannelEvent.Frames)?
        private var more: [(Rendering, ChannelEvent.Frames)] = []

        subscript(key: Rendering) -> ChannelEvent.Frames? {
            get {
                if let first, first.0 == key { return first.1 }
                if let second, second.0 == key { return second.1 }
                return self.more.first { $0.0 == key }?.1
            }
            set {
                guard let newValue else { return }
                if self.first == nil {
                    self.first = (key, newValue)
                } else if self.second == nil {
                    self.second = (key, newValue)
                } else {
                    self.more.append((key, newValue))
                }
            }
        }
    }

    /// Closes every socket of a channel after it ended: v1 sockets with `v1Code`; v2 sockets get an `error` push of
    /// `v2Error` and close with its code and the JSON reason (§6.14).
    func closeChannel(_ channel: ChannelID, v1Code: WebSocketCloseCode, v2Error: ChatError.Code) {
        let members = self.state.withLock { state in state.channels[channel, default: [:]].values.map { $0 } }
        for member in members {
            switch member.kind {
            case .v1:
                member.outbox.close(v1Code, reason: "channel closed")
            case .v2(let encoding):
                let push = V2.ChatServerFrame(id: 0, body: .error(V2Wire.error(v2Error)))
                member.outbox.send(V2Wire.encode(push, encoding), binary: encoding == .protobuf, counted: false)
                member.outbox.close(V2Wire.closeCode(v2Error), reason: V2Wire.closeReason(v2Error))
            }
        }
    }

    /// Refuses new sockets and closes the attached ones with 1001 (v2: after an `error SERVER_SHUTTING_DOWN` push).
    func shutDown() {
        let members = self.state.withLock { state in
            state.isShuttingDown = true
            return state.channels.values.flatMap { $0.values.map { $0 } }
        }
        for member in members {
            switch member.kind {
            case .v1:
                member.outbox.close(.goingAway, reason: "server shutting down")
            case .v2(let encoding):
                let push = V2.ChatServerFrame(
                    id: 0,
                    body: .error(V2Wire.error(.serverShuttingDown, retryAfterMs: 1000))
                )
                member.outbox.send(V2Wire.encode(push, encoding), binary: encoding == .protobuf, counted: false)
                member.outbox.close(
                    .goingAway,
                    reason: V2Wire.closeReason(.serverShuttingDown, retryAfterMs: 1000)
                )
            }
        }
    }

    /// The number of attached sockets.
    var connectionCount: Int { self.state.withLock { $0.channels.values.reduce(0) { $0 + $1.count } } }
}
