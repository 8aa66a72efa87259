import ChatProtocol
import Foundation
import Logging
import Prometheus
import Synchronization

/// One v1 chat websocket: connect event, inbound frames, and the `offline` event on every disconnect path.
final class ChatSocket: WebSocketSession {
    let state: ServerState
    let user: UserID
    let channel: ChannelID
    let outbox: Outbox
    let limits: WebSocketLimits
    /// The hub's id of this socket, once joined.
    private let socketID = Mutex<Int?>(nil)

    init(state: ServerState, user: UserID, channel: ChannelID) {
        self.state = state
        self.user = user
        self.channel = channel
        let limits = state.configuration.limits
        self.outbox = Outbox(capacity: limits.maxQueuedFrames)
        self.limits = WebSocketLimits(maxMessageSize: limits.maxChatFrameSize, pingInterval: limits.pingInterval)
    }

    func opened(on connection: WebSocketConnection) async {
        guard let socketID = self.state.hub.join(self.channel, user: self.user, kind: .v1, outbox: self.outbox) else {
            self.outbox.close(.goingAway, reason: "server shutting down")
            return
        }
        self.socketID.withLock { $0 = socketID }
        self.state.metrics.chatConnections.increment()
        // `waiting` when this user is alone online, `joined` otherwise; counted in users, not sockets (D14).
        self.state.broadcastArrival(of: self.user, in: self.channel)
    }

    func received(_ message: InboundMessage, on connection: WebSocketConnection) async {
        // Binary frames are ignored, as upstream does.
        guard case .text(let bytes) = message else { return }
        switch self.classify(bytes) {
        case .done: return
        case .store(let message): await self.publish(message)
        case .seen(let frame): await self.markSeen(frame)
        }
    }

    /// Text messages and typing on the event loop; a seen receipt (a storage read first), or a message whose
    /// channel lock is busy, continues on the job task.
    func receivedOnLoop(_ message: InboundMessage, on connection: WebSocketConnection) -> Bool {
        guard case .text(let bytes) = message else { return true }
        switch self.classify(bytes) {
        case .done:
            break
        case .store(let message):
            if !self.publishNow(message) { connection.enqueueWork { await self.publish(message) } }
        case .seen(let frame):
            connection.enqueueWork { await self.markSeen(frame) }
        }
        return true
    }

    func closed(on connection: WebSocketConnection) async {
        guard let socketID = self.socketID.withLock({ $0 }) else { return }
        self.state.metrics.chatConnections.decrement()
        let stillOnline = self.state.hub.leave(self.channel, connection: socketID)
        if !stillOnline { self.state.broadcastDeparture(of: self.user, in: self.channel) }
    }

    /// What an inbound frame asks for once its synchronous checks passed.
    private enum Step {
        /// Handled (typing relayed) or dropped.
        case done
        case store(StoredMessage)
        case seen(V1.InboundFrame)
    }

    /// Checks one inbound frame and relays typing. Frames that are malformed or claim another identity are dropped
    /// and counted, never relayed (D3, D12); v1 has no error frame an upstream client would understand.
    private func classify(_ bytes: [UInt8]) -> Step {
        guard let frame = try? V1.InboundFrame(jsonBytes: bytes) else { return self.reject("malformed frame") }
        switch frame.event {
        case .text, .file:
            guard frame.userID == self.user else { return self.reject("user_id is not the connection's user") }
            var fileSize: UInt64 = 0
            if frame.event == .file {
                guard let file = try? V1.FilePayload(payloadString: frame.payload),
                    file.objectKey.map({ ObjectStore.channel(ofKey: $0) == self.channel }) ?? (file.fileURL != nil)
                else { return self.reject("file payload does not reference this channel's object") }
                if let key = file.objectKey {
                    fileSize = UInt64(max(0, self.state.objects.size(of: key) ?? 0))
                }
            }
            return .store(
                StoredMessage(
                    messageID: MessageID(self.state.ids.next()),
                    seq: 0,
                    event: frame.event,
                    userID: self.user,
                    payload: frame.payload,
                    seen: false,
                    time: ServerState.nowMilliseconds(),
                    clientMessageID: nil,
                    fileSize: fileSize
                )
            )
        case .action:
            guard frame.userID == self.user else { return self.reject("user_id is not the connection's user") }
            let action = V1.Action(rawValue: frame.payload)
            guard V1.Action.clientActions.contains(action) else { return self.reject("action not allowed") }
            let typing = ChannelEvent.typing(
                self.user,
                action == .isTyping,
                time: ServerState.nowMilliseconds(),
                except: nil
            )
            self.state.hub.broadcast(typing, to: self.channel)
            return .done
        case .seen:
            return .seen(frame)
        default:
            return self.reject("unknown event")
        }
    }

    /// Persists a text or file message, then fans it out.
    private func publish(_ message: StoredMessage) async {
        do {
            _ = try await self.state.storeAndPublish(message, in: self.channel)
        } catch {
            self.report(error)
        }
    }

    /// ``publish(_:)`` without waiting; `false` (nothing stored) when the channel's lock is busy.
    private func publishNow(_ message: StoredMessage) -> Bool {
        do {
            return try self.state.storeAndPublishIfUncontended(message, in: self.channel) != nil
        } catch {
            self.report(error)
            return true
        }
    }

    /// Over the channel cap the message is refused: not stored, not relayed, logged and counted
    /// (`chat_messages_rejected_total`) — see `docs/COMPATIBILITY.md` (D13).
    private func report(_ error: any Error) {
        if case AppendMessageError.capReached = error {
            self.state.metrics.messagesRejected.increment()
            self.state.logger.warning(
                "error exceed max number of messages",
                metadata: ["chat.channel.id": "\(self.channel)", "chat.user.id": "\(self.user)"]
            )
        } else {
            self.state.logger.error("storing a message failed", metadata: ["error": "\(error)"])
        }
    }

    /// A seen receipt: `payload` names a stored message of this channel, `user_id` must be its author, and the
    /// author cannot mark their own message (D12). v2 sockets get `seen{reader, up_to_seq}` when the reader's
    /// contiguous marker advanced (§12.2).
    private func markSeen(_ frame: V1.InboundFrame) async {
        guard let target = MessageID(decimal: frame.payload),
            let stored = try? await self.state.storage.message(target, in: self.channel),
            stored.userID == frame.userID, stored.userID != self.user
        else {
            self.reject("seen frame does not name a peer's message")
            return
        }
        do {
            try await self.state.channelLocks.withLock(self.channel) {
                try await self.state.storage.markSeen(target, in: self.channel)
                let marker = try await self.state.storage.advanceReadMarker(reader: self.user, in: self.channel)
                let now = ServerState.nowMilliseconds()
                let event = V1.Message(
                    messageID: MessageID(self.state.ids.next()),
                    event: .seen,
                    userID: stored.userID,
                    payload: target.description,
                    seen: true,
                    time: now
                )
                let push = marker.map { V2.SeenEvent(userID: self.user, upToSeq: $0, time: now) }
                self.state.hub.broadcast(.seen(push, v1: [event]), to: self.channel)
            }
        } catch {
            self.state.logger.error("marking seen failed", metadata: ["error": "\(error)"])
        }
    }

    @discardableResult
    private func reject(_ reason: String) -> Step {
        self.state.metrics.framesRejected.increment()
        self.state.logger.debug(
            "chat frame dropped",
            metadata: ["reason": "\(reason)", "chat.channel.id": "\(self.channel)", "chat.user.id": "\(self.user)"]
        )
        return .done
    }
}
