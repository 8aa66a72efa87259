import ChatProtocol
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Prometheus

/// One chat websocket: connect event, inbound frames, and the `offline` event on every disconnect path.
struct ChatSocket {
    let state: ServerState
    let user: UserID
    let channel: ChannelID

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, connection: any Channel) async throws {
        let outbox = Outbox(capacity: self.state.configuration.limits.maxQueuedFrames)
        guard let socketID = self.state.hub.join(self.channel, user: self.user, outbox: outbox) else {
            try await outbound.close(.init(codeNumber: Int(WebSocketCloseCode.goingAway.rawValue)), reason: nil)
            return
        }
        self.state.metrics.chatConnections.increment()
        // `waiting` when this user is alone online, `joined` otherwise; counted in users, not sockets (D14).
        let online = self.state.hub.onlineUsers(self.channel)
        self.broadcastAction(online.count <= 1 ? .waiting : .joined, by: self.user)

        var failure: (any Error)?
        do {
            try await driveWebSocket(
                inbound: inbound,
                outbound: outbound,
                outbox: outbox,
                channel: connection,
                maxMessageSize: self.state.configuration.limits.maxChatFrameSize,
                metrics: self.state.metrics
            ) { bytes in await self.handle(bytes) }
        } catch {
            failure = error
        }
        self.state.metrics.chatConnections.decrement()
        let stillOnline = self.state.hub.leave(self.channel, connection: socketID)
        if !stillOnline { self.broadcastAction(.offline, by: self.user) }
        if let failure { throw failure }
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
            self.broadcastAction(action, by: self.user)
        case .seen:
            await self.markSeen(frame)
        default:
            self.reject("unknown event")
        }
    }

    /// Persists a text or file message, then fans it out. Over the channel cap the message is refused: not stored,
    /// not relayed, logged and counted (`chat_messages_rejected_total`) — see `docs/COMPATIBILITY.md` (D13).
    private func store(_ frame: V1.InboundFrame) async {
        let message = V1.Message(
            messageID: MessageID(self.state.ids.next()),
            event: frame.event,
            userID: self.user,
            payload: frame.payload,
            seen: false,
            time: ServerState.nowMilliseconds()
        )
        do {
            _ = try await self.state.storage.appendMessage(
                message,
                channel: self.channel,
                cap: self.state.configuration.limits.maxMessagesPerChannel
            )
        } catch AppendMessageError.capReached {
            self.state.metrics.messagesRejected.increment()
            self.state.logger.warning(
                "error exceed max number of messages",
                metadata: ["chat.channel.id": "\(self.channel)", "chat.user.id": "\(self.user)"]
            )
            return
        } catch {
            self.state.logger.error("storing a message failed", metadata: ["error": "\(error)"])
            return
        }
        self.state.metrics.messagesStored.increment()
        self.state.hub.broadcast(message.jsonBytes(), to: self.channel)
    }

    /// A seen receipt: `payload` names a stored message of this channel, `user_id` must be its author, and the
    /// author cannot mark their own message (D12).
    private func markSeen(_ frame: V1.InboundFrame) async {
        guard let target = MessageID(decimal: frame.payload),
            let stored = try? await self.state.storage.message(target, in: self.channel),
            stored.userID == frame.userID, stored.userID != self.user
        else { return self.reject("seen frame does not name a peer's message") }
        do {
            try await self.state.storage.markSeen(target, in: self.channel)
        } catch {
            self.state.logger.error("marking seen failed", metadata: ["error": "\(error)"])
            return
        }
        let event = V1.Message(
            messageID: MessageID(self.state.ids.next()),
            event: .seen,
            userID: stored.userID,
            payload: target.description,
            seen: true,
            time: ServerState.nowMilliseconds()
        )
        self.state.hub.broadcast(event.jsonBytes(), to: self.channel)
    }

    private func broadcastAction(_ action: V1.Action, by user: UserID) {
        let event = V1.Message(
            messageID: MessageID(self.state.ids.next()),
            event: .action,
            userID: user,
            payload: action.rawValue,
            seen: false,
            time: ServerState.nowMilliseconds()
        )
        self.state.hub.broadcast(event.jsonBytes(), to: self.channel)
    }

    private func reject(_ reason: String) {
        self.state.metrics.framesRejected.increment()
        self.state.logger.debug(
            "chat frame dropped",
            metadata: ["reason": "\(reason)", "chat.channel.id": "\(self.channel)", "chat.user.id": "\(self.user)"]
        )
    }
}
