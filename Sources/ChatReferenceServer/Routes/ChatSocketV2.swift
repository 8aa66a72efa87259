import ChatProtocol
import Foundation
import Logging
import Prometheus
import Synchronization

/// One v2 chat websocket (PROTOCOL.md §6.6–§6.17): `hello`, presence, commands with replies in order, server pings,
/// token expiry, and the `offline` event on every disconnect path.
final class ChatSocketV2: WebSocketSession {
    let state: ServerState
    let user: UserID
    let channel: ChannelID
    let encoding: FrameEncoding
    /// The token's channel was deleted: report 4501 after the upgrade (RC-CHAT-CONNECT-1).
    let revoked: Bool
    let outbox: Outbox
    let limits: WebSocketLimits

    /// The mutable state of one connection; touched by the session's calls and the event-loop timers.
    private struct Session {
        var socketID: Int?
        /// The connection token's `exp` in Unix seconds.
        var tokenExpiresAt: Int64
        var typingSince: ContinuousClock.Instant?
        var lastTypingAccepted: ContinuousClock.Instant?
        var sends: [ContinuousClock.Instant] = []
        var rateLimited: [ContinuousClock.Instant] = []
        var lastRefresh: ContinuousClock.Instant?
        var closing = false
    }

    private let session: Mutex<Session>

    init(
        state: ServerState,
        user: UserID,
        channel: ChannelID,
        encoding: FrameEncoding,
        tokenExpiresAt: Int64,
        revoked: Bool
    ) {
        self.state = state
        self.user = user
        self.channel = channel
        self.encoding = encoding
        self.revoked = revoked
        let limits = state.configuration.limits
        self.outbox = Outbox(capacity: limits.maxQueuedFrames)
        self.limits = WebSocketLimits.v2(limits)
        self.session = Mutex(Session(tokenExpiresAt: tokenExpiresAt))
    }

    private var configuredLimits: ServerConfiguration.Limits { self.state.configuration.limits }

    func opened(on live: WebSocketConnection) async {
        if self.revoked {
            return self.closeWithError(.channelClosed, on: live)
        }
        let position: ChannelPosition
        do {
            position = try await self.state.storage.position(of: self.channel)
        } catch {
            self.state.logger.error("reading the channel position failed", metadata: ["error": "\(error)"])
            return self.closeWithError(.serverError, on: live)
        }
        self.push(.hello(self.hello(position)), on: live)
        guard
            let socketID = self.state.hub.join(
                self.channel,
                user: self.user,
                kind: .v2(self.encoding),
                outbox: self.outbox
            )
        else {
            return self.closeWithError(.serverShuttingDown, on: live, retryAfterMs: 1000)
        }
        self.session.withLock { $0.socketID = socketID }
        self.state.metrics.chatConnections.increment()
        self.state.broadcastArrival(of: self.user, in: self.channel)
        self.scheduleTokenExpiry(on: live)
    }

    func receivedOversize(on live: WebSocketConnection) async {
        self.push(.error(V2Wire.error(.messageTooLarge)), on: live)
    }

    func closed(on live: WebSocketConnection) async {
        guard let socketID = self.session.withLock({ $0.socketID }) else { return }
        self.state.metrics.chatConnections.decrement()
        self.endTyping(live)
        let stillOnline = self.state.hub.leave(self.channel, connection: socketID)
        if !stillOnline { self.state.broadcastDeparture(of: self.user, in: self.channel) }
    }

    private func hello(_ position: ChannelPosition) -> V2.Hello {
        V2.Hello(
            version: 2,
            server: ServerState.serverName,
            limits: self.state.v2Limits,
            pingIntervalMs: UInt32(clamping: self.configuredLimits.pingInterval.milliseconds),
            resumeWindowMs: UInt32(clamping: self.configuredLimits.resumeWindow.milliseconds),
            userID: self.user,
            channelID: self.channel,
            epoch: position.epoch,
            lastSeq: position.lastSeq,
            tokenExpiresAt: self.session.withLock { $0.tokenExpiresAt } * 1000
        )
    }

    // MARK: Timers (on the event loop)

    /// Server pings every `ping_interval_ms`.
    func heartbeat(on live: WebSocketConnection) -> HeartbeatPush? {
        guard !self.session.withLock({ $0.closing }) else { return nil }
        return Self.pings[self.encoding]
    }

    private static let pings = HeartbeatPush.V2Pair { encoding in
        V2Wire.encode(V2.ChatServerFrame(id: 0, body: .ping(V2.Ping())), encoding)
    }

    /// Nothing received for `ping_interval_ms` + 10 s: 4002.
    func livenessExpired(on live: WebSocketConnection) {
        guard !self.session.withLock({ $0.closing }) else { return }
        self.closeWithError(.pingTimeout, on: live)
    }

    /// Closes with 4003 when the token expires (re-armed by a refresh).
    private func scheduleTokenExpiry(on live: WebSocketConnection) {
        let expiresAt = self.session.withLock { $0.tokenExpiresAt } * 1000
        let delay = Duration.milliseconds(max(0, expiresAt - ServerState.nowMilliseconds()))
        live.schedule(.tokenExpiry, in: delay) { [self] in
            let expired = self.session.withLock {
                !$0.closing && ServerState.nowMilliseconds() >= $0.tokenExpiresAt * 1000
            }
            if expired {
                self.closeWithError(.tokenExpired, on: live)
            } else {
                self.scheduleTokenExpiry(on: live)
            }
        }
    }

    /// Ends the typing indicator `typing_timeout_ms` after it started (re-armed when typing starts again).
    private func scheduleTypingExpiry(on live: WebSocketConnection, after delay: Duration) {
        let timeout = self.configuredLimits.typingTimeout
        live.schedule(.typing, in: delay) { [self] in
            let remaining: Duration? = self.session.withLock { session in
                guard let since = session.typingSince else { return nil }
                let elapsed = ContinuousClock.now - since
                return elapsed >= timeout ? .zero : timeout - elapsed
            }
            guard let remaining else { return }
            if remaining == .zero {
                self.endTyping(live)
            } else {
                self.scheduleTypingExpiry(on: live, after: remaining)
            }
        }
    }

    // MARK: Frames

    private func push(
        _ body: V2.ChatServerFrame.Body,
        on live: WebSocketConnection,
        id: UInt32 = 0,
        counted: Bool = true
    ) {
        let frame = V2.ChatServerFrame(id: id, body: body)
        live.outbox.send(V2Wire.encode(frame, self.encoding), binary: self.encoding == .protobuf, counted: counted)
    }

    /// Sends the reply of command `id`; nothing for `id` = 0 (RC-CHAT-ENV-1).
    private func reply(_ id: UInt32, _ body: V2.ChatServerFrame.Body, on live: WebSocketConnection) {
        guard id != 0 else { return }
        self.push(body, on: live, id: id)
    }

    private func fail(_ id: UInt32, _ code: ChatError.Code, on live: WebSocketConnection, retryAfterMs: UInt32 = 0) {
        self.reply(id, .error(V2Wire.error(code, retryAfterMs: retryAfterMs)), on: live)
    }

    /// An `error` push, then a close with the code's close code and the JSON reason (RC-CHAT-CLOSE-1).
    private func closeWithError(
        _ code: ChatError.Code,
        on live: WebSocketConnection,
        retryAfterMs: UInt32 = 0,
        closeCode: WebSocketCloseCode? = nil
    ) {
        self.session.withLock { $0.closing = true }
        self.push(.error(V2Wire.error(code, retryAfterMs: retryAfterMs)), on: live, counted: false)
        live.outbox.close(
            closeCode ?? V2Wire.closeCode(code),
            reason: V2Wire.closeReason(code, retryAfterMs: retryAfterMs)
        )
    }

    func received(_ message: InboundMessage, on live: WebSocketConnection) async {
        guard let frame = self.decode(message, on: live) else { return }
        await self.handle(frame, on: live)
    }

    /// `send`, `typing`, `ping` and `pong` on the event loop; the other commands (storage reads first) continue on
    /// the job task, in order.
    func receivedOnLoop(_ message: InboundMessage, on live: WebSocketConnection) -> Bool {
        guard let frame = self.decode(message, on: live) else { return true }
        switch frame.command {
        case .send(let command):
            self.sendOnLoop(command, id: frame.id, on: live)
        case .typing(let command):
            self.typing(command, id: frame.id, on: live)
        case .ping:
            self.push(.pong(V2.Pong()), on: live, id: frame.id)
        case .pong:
            break
        default:
            live.enqueueWork { [self] in await self.handle(frame, on: live) }
        }
        return true
    }

    /// The frame, or `nil` when it was undecodable (the connection closes) or the connection is closing.
    private func decode(_ message: InboundMessage, on live: WebSocketConnection) -> V2.ChatClientFrame? {
        let frame: V2.ChatClientFrame
        do {
            switch (message, self.encoding) {
            case (.text(let bytes), .json):
                frame = try V2.ChatClientFrame(jsonBytes: bytes)
            case (.binary(let bytes), .protobuf):
                frame = try V2.ChatClientFrame(protobufBytes: bytes)
            default:
                // RC-VER-FRAME-2: the wrong kind of websocket message.
                self.closeWithError(.protocolViolation, on: live, closeCode: .unsupportedData)
                return nil
            }
        } catch {
            // RC-CHAT-ENV-5: undecodable.
            self.closeWithError(.protocolViolation, on: live)
            return nil
        }
        return self.session.withLock({ $0.closing }) ? nil : frame
    }

    private func handle(_ frame: V2.ChatClientFrame, on live: WebSocketConnection) async {
        let id = frame.id
        switch frame.command {
        case nil:
            self.fail(id, .invalidParameter, on: live)  // RC-CHAT-ENV-4
        case .ping:
            self.push(.pong(V2.Pong()), on: live, id: id)  // answered even with id 0 (RC-CHAT-ENV-1)
        case .pong:
            break
        case .send(let command):
            await self.send(command, id: id, on: live)
        case .resume(let command):
            await self.resume(command, id: id, on: live)
        case .typing(let command):
            self.typing(command, id: id, on: live)
        case .seen(let command):
            await self.seen(command, id: id, on: live)
        case .leave:
            self.reply(id, .ok(V2.Ok()), on: live)
            do {
                try await self.state.endChannel(self.channel, by: self.user)
            } catch {
                self.state.logger.error("ending a channel failed", metadata: ["error": "\(error)"])
            }
        case .refreshToken:
            await self.refreshToken(id: id, on: live)
        }
    }

    // MARK: Commands

    private func send(_ command: V2.SendCommand, id: UInt32, on live: WebSocketConnection) async {
        guard let message = self.prepare(command, id: id, on: live) else { return }
        await self.publish(message, id: id, on: live)
    }

    /// ``send(_:id:on:)`` on the event loop; continues on the job task when the channel's lock is busy.
    private func sendOnLoop(_ command: V2.SendCommand, id: UInt32, on live: WebSocketConnection) {
        guard let message = self.prepare(command, id: id, on: live) else { return }
        do {
            let stored = try self.state.storeAndPublishIfUncontended(
                message,
                in: self.channel,
                acknowledgedOn: self.acknowledgedSocket(id)
            ) { result in
                self.acknowledge(result, of: message, id: id, on: live)
            }
            if stored != nil { return }
        } catch {
            return self.failSend(error, id: id, on: live)
        }
        live.enqueueWork { [self] in await self.publish(message, id: id, on: live) }
    }

    /// Stores a prepared message (waiting for the channel's lock), acknowledges it, and fans it out.
    private func publish(_ message: StoredMessage, id: UInt32, on live: WebSocketConnection) async {
        do {
            _ = try await self.state.storeAndPublish(
                message,
                in: self.channel,
                acknowledgedOn: self.acknowledgedSocket(id)
            ) { result in
                self.acknowledge(result, of: message, id: id, on: live)
            }
        } catch {
            self.failSend(error, id: id, on: live)
        }
    }

    /// Validates a `send` and counts it against the rate limit; the message to store, or `nil` once the error
    /// reply is queued.
    private func prepare(_ command: V2.SendCommand, id: UInt32, on live: WebSocketConnection) -> StoredMessage? {
        let key = command.clientMessageID
        guard (1...64).contains(key.utf8.count) else {
            self.fail(id, .invalidParameter, on: live)
            return nil
        }
        var message = StoredMessage(
            messageID: MessageID(self.state.ids.next()),
            seq: 0,
            event: .text,
            userID: self.user,
            payload: "",
            seen: false,
            time: ServerState.nowMilliseconds(),
            clientMessageID: key
        )
        var refusal: ChatError.Code?
        switch command.content {
        case nil:
            refusal = .invalidParameter
        case .text(let text):
            if text.isEmpty {
                refusal = .invalidParameter
            } else if text.utf8.count > self.configuredLimits.maxTextBytes {
                refusal = .messageTooLarge
            }
            message.payload = text
        case .file(let file):
            refusal = self.validate(file)
            message.event = .file
            message.payload = V1.FilePayload(fileName: file.fileName, objectKey: file.objectKey).payloadString()
            message.fileSize = file.size
            message.contentType = file.contentType
        }
        if let refusal {
            self.fail(id, refusal, on: live)
            return nil
        }
        if let wait = self.admitSend(live) {
            self.rateLimited(id, wait: wait, on: live)
            return nil
        }
        self.endTyping(live)
        return message
    }

    /// The socket a send with command id `id` is acknowledged on: this one, unless `id` is 0 (no reply wanted, so
    /// its own push must carry the `client_msg_id`, RC-CHAT-SEND-3).
    private func acknowledgedSocket(_ id: UInt32) -> Int? {
        id == 0 ? nil : self.session.withLock { $0.socketID }
    }

    /// RC-CHAT-SEND-3/4: the ack (the original one for a duplicate) precedes the message push.
    private func acknowledge(_ result: AppendResult, of sent: StoredMessage, id: UInt32, on live: WebSocketConnection) {
        let stored: StoredMessage
        switch result {
        case .stored(let message), .duplicate(let message): stored = message
        }
        let ack = V2.Ack(
            clientMessageID: sent.clientMessageID ?? "",
            seq: stored.seq,
            time: stored.time,
            messageID: stored.messageID
        )
        self.reply(id, .ack(ack), on: live)
    }

    private func failSend(_ error: any Error, id: UInt32, on live: WebSocketConnection) {
        switch error {
        case AppendMessageError.capReached:
            self.state.metrics.messagesRejected.increment()
            self.fail(id, .messageCapReached, on: live)
        case AppendMessageError.channelGone:
            self.fail(id, .channelClosed, on: live)
        default:
            self.state.logger.error("storing a message failed", metadata: ["error": "\(error)"])
            self.fail(id, .serverError, on: live)
        }
    }

    /// RC-CHAT-SEND-2: the file must be a stored object of this channel with the declared size.
    private func validate(_ file: V2.FileRef) -> ChatError.Code? {
        guard (1...255).contains(file.fileName.utf8.count),
            ObjectStore.channel(ofKey: file.objectKey) == self.channel
        else { return .invalidParameter }
        guard let size = self.state.objects.size(of: file.objectKey) else { return .notFound }
        return UInt64(size) == file.size ? nil : .invalidParameter
    }

    /// Counts a send against `max_sends_per_second`; returns the wait when over it.
    private func admitSend(_ live: WebSocketConnection) -> Duration? {
        let now = ContinuousClock.now
        let limit = max(1, self.configuredLimits.maxSendsPerSecond)
        return self.session.withLock { session in
            session.sends.removeAll { now - $0 >= .seconds(1) }
            guard session.sends.count < limit else {
                return .seconds(1) - (now - session.sends[0])
            }
            session.sends.append(now)
            return nil
        }
    }

    /// `error RATE_LIMITED` with `retry_after_ms`; after 100 of them within 10 s the connection is closed with 4029.
    private func rateLimited(_ id: UInt32, wait: Duration, on live: WebSocketConnection) {
        let retry = UInt32(clamping: max(1, wait.milliseconds))
        let now = ContinuousClock.now
        let abusive = self.session.withLock { session in
            session.rateLimited.removeAll { now - $0 >= .seconds(10) }
            session.rateLimited.append(now)
            return session.rateLimited.count > 100
        }
        if abusive {
            self.closeWithError(.rateLimited, on: live, retryAfterMs: retry)
        } else {
            self.fail(id, .rateLimited, on: live, retryAfterMs: retry)
        }
    }

    /// RC-CHAT-RESUME-1..3: under the channel's lock, so the replay and live pushes neither overlap wrongly nor
    /// leave a gap; the replay is not counted against the outbound queue bound (it never causes 4001). The
    /// connection's next message waits until the replay has left for the socket (outside the lock): `resume`s sent
    /// without reading the replays cannot pile them up in memory.
    private func resume(_ command: V2.ResumeCommand, id: UInt32, on live: WebSocketConnection) async {
        do {
            let replayed = try await self.state.channelLocks.withLock(self.channel) { () async throws -> Bool in
                let position = try await self.state.storage.position(of: self.channel)
                guard position.state == .active else {
                    self.fail(id, .channelClosed, on: live)
                    return false
                }
                var resumed = V2.Resumed(resumed: true, epoch: position.epoch, lastSeq: position.lastSeq)
                if command.epoch.isEmpty ? command.afterSeq > 0 : command.epoch != position.epoch {
                    resumed.resumed = false
                    resumed.reason = "epoch_changed"
                } else if command.afterSeq > position.lastSeq {
                    resumed.resumed = false
                    resumed.reason = "ahead_of_server"
                } else if try await self.missedTooLongAgo(after: command.afterSeq, lastSeq: position.lastSeq) {
                    resumed.resumed = false
                    resumed.reason = "too_old"
                }
                self.reply(id, .resumed(resumed), on: live)
                guard resumed.resumed, command.afterSeq < position.lastSeq else { return false }
                let replay = try await self.state.storage.messages(
                    of: self.channel,
                    afterSeq: command.afterSeq,
                    limit: Int(clamping: position.lastSeq - command.afterSeq)
                )
                for message in replay { self.push(.message(message.v2(for: self.user)), on: live, counted: false) }
                return !replay.isEmpty
            }
            if replayed { await live.waitUntilWritable() }
        } catch {
            self.state.logger.error("resume failed", metadata: ["error": "\(error)"])
            self.fail(id, .serverError, on: live)
        }
    }

    /// `Limits.refusesResumeBeyondWindow`: whether the first message after `after` is older than the resume window.
    private func missedTooLongAgo(after: UInt64, lastSeq: UInt64) async throws -> Bool {
        let configured = self.state.configuration.limits
        guard configured.refusesResumeBeyondWindow, after < lastSeq else { return false }
        let first = try await self.state.storage.messages(of: self.channel, afterSeq: after, limit: 1).first
        guard let first else { return false }
        let windowMs = configured.resumeWindow.milliseconds
        return Int64(Date().timeIntervalSince1970 * 1000) - first.time > windowMs
    }

    /// RC-CHAT-TYPING-1..3.
    private func typing(_ command: V2.TypingCommand, id: UInt32, on live: WebSocketConnection) {
        guard command.typing else {
            self.endTyping(live)
            return self.reply(id, .ok(V2.Ok()), on: live)
        }
        let now = ContinuousClock.now
        let minimum = self.configuredLimits.typingMinInterval
        let wait: Duration? = self.session.withLock { session in
            if let last = session.lastTypingAccepted, now - last < minimum { return minimum - (now - last) }
            session.lastTypingAccepted = now
            session.typingSince = now
            return nil
        }
        if let wait {
            return self.fail(id, .rateLimited, on: live, retryAfterMs: UInt32(clamping: max(1, wait.milliseconds)))
        }
        let socketID = self.session.withLock { $0.socketID }
        let event = ChannelEvent.typing(self.user, true, time: ServerState.nowMilliseconds(), except: socketID)
        self.state.hub.broadcast(event, to: self.channel)
        self.reply(id, .ok(V2.Ok()), on: live)
        self.scheduleTypingExpiry(on: live, after: self.configuredLimits.typingTimeout)
    }

    /// Ends this connection's typing indicator, broadcasting `typing:false` if it was on.
    private func endTyping(_ live: WebSocketConnection) {
        let (wasOn, socketID) = self.session.withLock { session in
            defer { session.typingSince = nil }
            return (session.typingSince != nil, session.socketID)
        }
        guard wasOn else { return }
        let event = ChannelEvent.typing(self.user, false, time: ServerState.nowMilliseconds(), except: socketID)
        self.state.hub.broadcast(event, to: self.channel)
    }

    /// RC-CHAT-SEEN-1..3.
    private func seen(_ command: V2.SeenCommand, id: UInt32, on live: WebSocketConnection) async {
        do {
            try await self.state.channelLocks.withLock(self.channel) {
                let position = try await self.state.storage.position(of: self.channel)
                guard position.state == .active else { return self.fail(id, .channelClosed, on: live) }
                guard command.upToSeq <= position.lastSeq else { return self.fail(id, .invalidParameter, on: live) }
                let (newlySeen, advanced) = try await self.state.storage.markSeen(
                    upToSeq: command.upToSeq,
                    reader: self.user,
                    in: self.channel
                )
                self.reply(id, .ok(V2.Ok()), on: live)
                let now = ServerState.nowMilliseconds()
                let v1 = newlySeen.map { message in
                    V1.Message(
                        messageID: MessageID(self.state.ids.next()),
                        event: .seen,
                        userID: message.userID,
                        payload: message.messageID.description,
                        seen: true,
                        time: now
                    )
                }
                let push = advanced ? V2.SeenEvent(userID: self.user, upToSeq: command.upToSeq, time: now) : nil
                guard push != nil || !v1.isEmpty else { return }
                self.state.hub.broadcast(.seen(push, v1: v1), to: self.channel)
            }
        } catch {
            self.state.logger.error("seen failed", metadata: ["error": "\(error)"])
            self.fail(id, .serverError, on: live)
        }
    }

    /// RC-CHAT-REFRESH-1: a new token for the same `sub` and channel; the connection is re-bound to its expiry.
    /// At most one refresh per second per connection.
    private func refreshToken(id: UInt32, on live: WebSocketConnection) async {
        let now = ContinuousClock.now
        let wait: Duration? = self.session.withLock { session in
            if let last = session.lastRefresh, now - last < .seconds(1) { return .seconds(1) - (now - last) }
            session.lastRefresh = now
            return nil
        }
        if let wait {
            return self.fail(id, .rateLimited, on: live, retryAfterMs: UInt32(clamping: max(1, wait.milliseconds)))
        }
        do {
            guard try await self.state.storage.channelState(self.channel) == .active else {
                return self.fail(id, .channelClosed, on: live)
            }
            // Recorded before the token is handed out: the retention sweep ends a channel only once every token
            // of it has expired.
            try await self.state.storage.extendTokens(
                of: self.channel,
                until: Date().addingTimeInterval(self.state.configuration.tokenLifetime.timeInterval + 1)
            )
        } catch {
            return self.fail(id, .serverError, on: live)
        }
        let (token, expiresAt) = self.state.tokens.issueV2(for: self.channel, user: self.user)
        self.session.withLock { $0.tokenExpiresAt = expiresAt }
        self.reply(id, .tokenRefreshed(V2.TokenRefreshed(accessToken: token, expiresAt: expiresAt * 1000)), on: live)
    }
}

extension ServerState {
    /// The `server` field of `hello`.
    static let serverName = "random-chat-swift/0.1.0"

    /// `hello.limits` of chat connections, every field set (RC-CHAT-HELLO-1).
    var v2Limits: V2.Limits {
        let limits = self.configuration.limits
        return V2.Limits(
            maxFrameBytes: UInt32(clamping: limits.maxV2FrameSize),
            maxTextBytes: UInt32(clamping: limits.maxTextBytes),
            maxUploadBytes: UInt64(clamping: limits.maxUploadSize),
            historyPageDefault: UInt32(clamping: limits.historyPageDefault),
            historyPageMax: UInt32(clamping: limits.historyPageMax),
            maxMessagesPerChannel: UInt32(clamping: limits.maxMessagesPerChannel),
            maxQueuedFrames: UInt32(clamping: limits.maxQueuedFrames),
            maxInflightSends: UInt32(clamping: limits.maxInflightSends),
            typingMinIntervalMs: UInt32(clamping: limits.typingMinInterval.milliseconds),
            typingTimeoutMs: UInt32(clamping: limits.typingTimeout.milliseconds),
            maxSendsPerSecond: UInt32(clamping: limits.maxSendsPerSecond),
            maxChannelUploadBytes: UInt64(clamping: limits.maxChannelUploadBytes),
            maxFilesPerUpload: UInt32(clamping: limits.maxFilesPerUpload),
            maxBlocksPerUser: UInt32(clamping: limits.maxBlocksPerUser)
        )
    }
}

extension Duration {
    /// The duration in whole milliseconds (negative durations give 0).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
