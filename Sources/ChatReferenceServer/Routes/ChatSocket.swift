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
        if case .text(let bytes) = message { await self.handle(bytes) }
    }

    func closed(on connection: WebSocketConnection) async {
        guard let socketID = self.socketID.withLock({ $0 }) else { return }
        self.state.metrics.chatConnections.decrement()
        let stillOnline = self.state.hub.leave(self.channel, connection: socketID)
        if !stillOnline { self.state.broadcastDeparture(of: self.user, in: self.channel) }
    }

    /// Handles one inbound frame. Frames that are malformed or claim another identity are dropped and counted,
    /// never relayed (D3, D12); v1 has no error frame an upstream client would understand.
    private func handle(_ bytes: [UInt8]) async {
        guard let frame = try? V1.InboundFrame(jsonBytes: bytes) else { return self.reject("malformed frame") }
        switch frame.event {
        case .text, .file:
            guard frame.userID == self.user else { return self.reject("user_id is not the connection's user") }
            if frame.event == .file {
                guard let file = try? V1.FilePayload(payloadString: frame.payload),
                    file.objectKey.map({ ObjectStore.channel(ofKey: $0) == self.channel }) ?? (file.fileURL != nil)
                else { return self.reject("file payload does not reference this channel's object") }
            }
            await self.store(frame)
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
        case .seen:
            await self.markSeen(frame)
        default:
            self.reject("unknown event")
        }
    }

    /// Persists a text or file message, then fans it out. Over the channel cap the message is refused: not stored,
    /// not relayed, logged and counted (`chat_messages_rejected_total`) — see `docs/COMPATIBILITY.md` (D13).
    private func store(_ frame: V1.InboundFrame) async {
        var fileSize: UInt64 = 0
        if frame.event == .file, let key = (try? V1.FilePayload(payloadString: frame.payload))?.objectKey {
            let path = self.state.objects.path(of: key).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
            fileSize = UInt64(max(0, size ?? 0))
        }
        let message = StoredMessage(
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
        do {
            _ = try await self.state.storeAndPublish(message, in: self.channel)
        } catch AppendMessageError.capReached {
            self.state.metrics.messagesRejected.increment()
            self.state.logger.warning(
                "error exceed max number of messages",
                metadata: ["chat.channel.id": "\(self.channel)", "chat.user.id": "\(self.user)"]
            )
        } catch {
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
        else { return self.reject("seen frame does not name a peer's message") }
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

    private func reject(_ reason: String) {
        self.state.metrics.framesRejected.increment()
        self.state.logger.debug(
            "chat frame dropped",
            metadata: ["reason": "\(reason)", "chat.channel.id": "\(self.channel)", "chat.user.id": "\(self.user)"]
        )
    }
}
