import Foundation
import Logging
import Synchronization

extension ChatSession {
    /// How a v2 connection attempt ended.
    enum V2Attempt {
        case ended(SessionStateMachine.Ending)
        /// The server refused the v2 offer (400 `unsupported_version`) or answered it with v1.
        case serverSpeaksOnlyV1
    }

    /// Milliseconds of the session's clock.
    var nowMs: UInt64 { (ContinuousClock.now - self.startedAt).wholeMilliseconds }

    // MARK: App commands

    func enqueueV2(_ content: V2.ChatMessage.Content) async throws -> ChatLocalMessageID {
        try self.checkOpen()
        let localID = self.client.nextLocalID()
        let clientMessageID = UUID().uuidString.lowercased()
        let codec = V2FrameCodec(self.wireProtocol ?? self.client.preferredV2)
        let maxQueued = self.configuration.maxQueuedMessages
        if let store = self.configuration.store {
            // Stored before it can be written: a send the server may have seen is always in the store, so a
            // restart retries it with the same client_msg_id (and the server de-duplicates it).
            try self.state.withLock {
                try $0.v2.check(content, clientMessageID: clientMessageID, maxQueued: maxQueued, codec: codec)
            }
            do {
                let send = ChatPendingSend(clientMessageID: clientMessageID, content: content)
                try await store.addPendingSend(send, to: self.match.channelID)
            } catch {
                self.logger.warning("the session store failed to keep a send", metadata: ["error": "\(error)"])
            }
        }
        do {
            try self.state.withLock { state in
                try state.v2.enqueue(
                    content,
                    localID: localID,
                    clientMessageID: clientMessageID,
                    maxQueued: maxQueued,
                    codec: codec
                )
            }
        } catch {
            try? await self.configuration.store?.removePendingSends([clientMessageID], from: self.match.channelID)
            throw error
        }
        await self.writeFromCallerV2()
        return localID
    }

    /// Removes the sends that left the queue for good from the store.
    func forgetSettledSends() async {
        guard let store = self.configuration.store else { return }
        let settled = self.state.withLock { $0.v2.ledger.takeSettled() }
        guard !settled.isEmpty else { return }
        do {
            try await store.removePendingSends(settled, from: self.match.channelID)
        } catch {
            self.logger.warning("the session store failed to forget sends", metadata: ["error": "\(error)"])
        }
    }

    func markSeenV2(upTo seq: UInt64) {
        self.state.withLock { $0.v2.markSeen(upTo: seq) }
        self.wakeWriter()
    }

    func sendTypingV2(_ typing: Bool) throws {
        try self.checkOpen()
        let now = self.nowMs
        if try self.state.withLock({ try $0.v2.typing(typing, now: now) }) { self.wakeWriter() }
    }

    /// Withdraws a send that has not been written to the server yet (v2).
    ///
    /// A send that was already written may have been stored; the server de-duplicates it, so it still arrives
    /// at most once, and this method reports `false`.
    /// - Parameter localID: What ``send(text:)`` or ``sendFile(_:named:progress:)`` returned.
    /// - Returns: `true` when the send was withdrawn and will never be delivered.
    @discardableResult
    public func cancelSend(_ localID: ChatLocalMessageID) -> Bool {
        let withdrawn = self.state.withLock { state in
            if state.usesV2 { return state.v2.ledger.cancel(localID) }
            return false
        }
        if withdrawn, self.configuration.store != nil {
            Task { await self.forgetSettledSends() }  // the withdrawn send leaves the store
        }
        return withdrawn
    }

    /// Sends `leave` on the open v2 connection and waits for its reply; `false` when there is no v2 connection
    /// (the caller then uses the REST call).
    func leaveV2() async throws -> Bool {
        let (stream, continuation) = AsyncStream<ChatError?>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let queued = self.state.withLock { state -> Bool in
            guard state.usesV2, state.v2.leave() != nil else { return false }
            state.leaveWaiter = continuation
            return true
        }
        guard queued else { return false }
        self.wakeWriter()
        let timeout = self.configuration.requestTimeout
        let reply: ChatError?? = await withTaskGroup(of: ChatError??.self) { group in
            group.addTask {
                for await reply in stream { return .some(reply) }
                return .some(ChatError(code: .connectionClosed, message: "the connection closed before leave's reply"))
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        self.state.withLock { $0.leaveWaiter = nil }
        switch reply {
        case .some(nil):
            self.state.withLock { $0.leaveRequested = true }
            self.stop(.channelEnded(ChatError(code: .channelClosed, message: "you left the channel")))
            return true
        case .some(.some(let error)):
            if error.code == .channelClosed {
                self.stop(.channelEnded(error))
                return true
            }
            throw error
        case .none:
            throw ChatError(code: .timeout, message: "the server did not answer leave within the request timeout")
        }
    }

    func wakeWriter() {
        self.state.withLock { $0.writerWakeV2 }?.yield()
    }

    /// Sets the open connection's alarm for ``V2SessionState/nextTimerDeadline(now:)``, unless one rings at or before
    /// that time already: a send held back by retry advice or the per-second budget is written, and a typing
    /// indicator the server did not refresh ends, when it is due; a connection with nothing due has no timer.
    func armAlarmV2() {
        let now = self.nowMs
        let replaced = self.state.withLock { state -> Task<Void, Never>? in
            guard state.writerWakeV2 != nil, let deadline = state.v2.nextTimerDeadline(now: now) else { return nil }
            if let armed = state.alarmV2, armed.deadline <= deadline { return nil }
            let previous = state.alarmV2?.task
            state.alarmsV2 += 1
            let id = state.alarmsV2
            let instant = self.startedAt + .milliseconds(Int64(clamping: deadline))
            let task = Task { [self] in
                do { try await Task.sleep(until: instant) } catch { return }
                await self.alarmRangV2(id)
            }
            state.alarmV2 = (id, deadline, task)
            return previous
        }
        replaced?.cancel()
    }

    /// The alarm `id` rang: wakes the writer, ends expired typing indicators, and sets the next alarm.
    private func alarmRangV2(_ id: Int) async {
        let now = self.nowMs
        let (expired, wake) = self.state.withLock { state -> ([UserID], AsyncStream<Void>.Continuation?) in
            guard state.alarmV2?.id == id else { return ([], nil) }
            state.alarmV2 = nil
            return (state.v2.expireTyping(now: now), state.writerWakeV2)
        }
        wake?.yield()
        for user in expired { _ = try? await self.buffer.yield(.typingStopped(user)) }
        self.armAlarmV2()
    }

    /// Moves queued v2 sends to the v1 ledger after a fallback.
    func fallBackToV1() {
        self.state.withLock { state in
            state.usesV2 = false
            for send in state.v2.ledger.queue {
                switch send.content {
                case .text(let text):
                    state.ledger.enqueue(.init(localID: send.localID, event: .text, payload: text))
                case .file(let file):
                    let payload = V1.FilePayload(fileName: file.fileName, objectKey: file.objectKey).payloadString()
                    state.ledger.enqueue(.init(localID: send.localID, event: .file, payload: payload))
                }
            }
            _ = state.v2.ledger.failAll(ChatError(code: .unsupportedVersion))
        }
    }

    // MARK: Connection

    func connectAndServeV2(opened: LockedBox<ContinuousClock.Instant?>) async -> V2Attempt {
        let offer = self.client.v2Offer
        let options = WebSocketOptions(
            headers: [("Authorization", "Bearer \(self.token)")],
            subprotocols: offer,
            maxMessageSize: 1 << 20,
            pingInterval: V2SessionState.webSocketPingInterval(
                configured: self.configuration.pingInterval,
                serverPings: self.state.withLock { $0.v2.pingInterval }
            )
        )
        let answeredV1 = LockedBox(false)
        do {
            let close = try await self.client.webSocket.connect(
                url: self.client.webSocketBaseURL + "/api/chat",
                options: options,
                logger: self.logger
            ) { io in
                // RC-VER-NEG-6: a 101 without one of our v2 tokens is not a v2 connection.
                guard let chosen = WebSocketSubprotocol.accepted(io.subprotocol), chosen.version == .v2,
                    let token = chosen.subprotocol, offer.contains(token)
                else {
                    answeredV1.value = true
                    try? await io.close(4503, #"{"code":"unsupported_version"}"#)
                    return
                }
                opened.value = ContinuousClock.now
                self.state.withLock { $0.wireProtocol = chosen }
                self.logger.trace("websocket open", metadata: ["chat.protocol": "\(chosen)"])
                try await self.serveV2(io, codec: V2FrameCodec(chosen))
            }
            if answeredV1.value { return .serverSpeaksOnlyV1 }
            var retryAfter = Self.retryAfter(in: close.reason)
            if let advice = self.state.withLock({ $0.v2.errorRetryAfter }), advice > (retryAfter ?? .zero) {
                retryAfter = advice
            }
            return .ended(.closed(code: close.code, retryAfter: retryAfter))
        } catch let error as WebSocketConnectError where error.chatError?.code == .unsupportedVersion {
            return .serverSpeaksOnlyV1
        } catch {
            return .ended(await self.ending(for: error))
        }
    }

    /// One open v2 connection: `hello`, `resume`, then commands and pushes until it closes.
    private func serveV2(_ io: WebSocketIO, codec: V2FrameCodec) async throws {
        let (wakeStream, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let send = io.send
        let abort = io.abort
        let generation = self.state.withLock { state in
            state.writerWakeV2 = wake
            _ = state.v2.beginConnection()
            // A frame that could not be written was registered as sent: the connection is dropped, and the reconnect
            // re-sends what the server did not acknowledge.
            return state.writerV2.open { frame in
                do {
                    try await send(codec.message(frame))
                } catch {
                    abort()
                    throw error
                }
            }
        }
        defer {
            let alarm = self.state.withLock { state in
                state.v2.deactivate()
                state.writerWakeV2 = nil
                state.writerV2.close()
                state.leaveWaiter?.finish()
                defer { state.alarmV2 = nil }
                return state.alarmV2?.task
            }
            alarm?.cancel()
        }
        self.armAlarmV2()  // typing indicators still on from the previous connection
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in wakeStream { try await self.writeQueuedV2(generation: generation) }
            }
            group.addTask { try await self.watchLiveness(abort: abort) }
            group.addTask { try await self.refreshTokenInTime() }
            io.setReceiver { self.receiveOnLoopV2($0, codec: codec) }
            while let message = try await io.receive() {
                let frame: V2.ChatServerFrame
                do {
                    frame = try codec.chatFrame(message)
                } catch {
                    // RC-VER-FRAME-2, RC-CHAT-ENV-5, seen from the client: close, and report a broken server.
                    let wrongKind = (error as? ChatError) == V2FrameCodec.wrongKind
                    try? await io.close(wrongKind ? 1003 : 1002, nil)
                    throw ChatError(
                        code: .protocolViolation,
                        message: "the server sent an undecodable v2 frame",
                        cause: error
                    )
                }
                try await self.handleV2(frame)
            }
            group.cancelAll()
        }
    }

    /// The live v2 path on the transport's thread (``WebSocketIO/setReceiver``): a message, an acknowledgement, a
    /// typing indicator, a seen receipt, presence other than the channel's end, or a ping — frames whose handling
    /// needs no wait — is handled here when there is no store to write first and the events buffer has room, without
    /// waking the connection's task. Any other frame (and a malformed one) goes to ``handleV2(_:)`` on that task.
    private func receiveOnLoopV2(_ message: WebSocketMessage, codec: V2FrameCodec) -> Bool {
        guard self.configuration.store == nil, self.buffer.hasRoom, let frame = try? codec.chatFrame(message),
            Self.isHandledOnLoop(frame)
        else { return false }
        let now = self.nowMs
        let (outcome, wake) = self.state.withLock { state in
            (state.v2.handle(frame, now: now), state.writerWakeV2)
        }
        if outcome.wake { wake?.yield() }
        if case .typing = frame.body { self.armAlarmV2() }
        self.buffer.append(contentsOf: outcome.events)
        return true
    }

    /// Whether handling `frame` can only yield events and a writer wake-up (``V2SessionState/Outcome``): no
    /// reconnect, back-fill, token, `leave` reply or end of the channel.
    static func isHandledOnLoop(_ frame: V2.ChatServerFrame) -> Bool {
        switch frame.body {
        case .message, .ack, .typing, .seen, .ping: true
        case .presence(let presence): presence.kind != .left
        default: false
        }
    }

    private func handleV2(_ frame: V2.ChatServerFrame) async throws {
        let now = self.nowMs
        let (outcome, wake, waiter) = self.state.withLock { state in
            (state.v2.handle(frame, now: now), state.writerWakeV2, state.leaveWaiter)
        }
        if outcome.wake { wake?.yield() }
        if case .typing = frame.body { self.armAlarmV2() }
        if outcome.connected { _ = try await self.buffer.yield(.connection(.connected)) }
        if let (token, expiresAtMs) = outcome.refreshedToken, !token.isEmpty {
            await self.adoptRefreshedToken(token, expiresAt: Date(timeIntervalSince1970: Double(expiresAtMs) / 1000))
        }
        if let reply = outcome.leaveReply { waiter?.yield(reply) }
        if let reason = outcome.reconnect {
            self.logger.debug("reconnecting", metadata: ["reason": "\(reason)"])
            throw V2ConnectionReset(reason: reason)
        }
        try await self.deliver(outcome.events)
        await self.forgetSettledSends()
        if let afterSeq = outcome.backfillAfterSeq {
            try await self.backfill(after: afterSeq)
            if self.state.withLock({ $0.v2.backfillFinished() }) { self.wakeWriter() }
        }
    }

    /// RC-CLIENT-RESUME-2: after `resumed:false`, pages `GET /api/v2/chat/channel/messages` forward from `afterSeq`
    /// until the channel's `last_seq`, delivering each message once and in order (the ledger de-duplicates by `seq`
    /// and message id). Live pushes wait meanwhile (this runs on the connection's reader), and the ledger holds back
    /// any above the back-filled range, so nothing is lost between the history and the live stream.
    private func backfill(after afterSeq: UInt64) async throws {
        let limits = self.state.withLock { $0.v2.limits }
        let pageSize = max(1, Int(limits.historyPageMax))
        // Bounded: the channel stores at most max_messages_per_channel messages; a history reset restarts once more.
        let maxPages = 2 * (Int(limits.maxMessagesPerChannel) / pageSize + 2)
        var after: UInt64? = afterSeq
        var pages = 0
        while let cursor = after {
            guard pages < maxPages else {
                throw V2ConnectionReset(reason: "the history back-fill did not reach the channel's last seq")
            }
            pages += 1
            let page: V2.HistoryPage
            do {
                page = try await self.historyPageV2(afterSeq: cursor, limit: pageSize)
            } catch let error as ChatError where !error.isTemporary && error.code != .connectionClosed {
                throw error
            } catch {
                self.logger.debug("the history back-fill failed; reconnecting", metadata: ["error": "\(error)"])
                throw V2ConnectionReset(reason: "the history back-fill failed: \(error)")
            }
            let (events, next) = self.state.withLock { $0.v2.ledger.backfill(page) }
            try await self.deliver(events)
            after = next
        }
        self.logger.trace("back-filled from history", metadata: ["chat.session.pages": "\(pages)"])
    }

    /// One page of v2 history (§4.3), oldest first, with `seq > afterSeq`.
    func historyPageV2(afterSeq: UInt64, limit: Int) async throws -> V2.HistoryPage {
        try self.checkTokenNotExpired()
        let response = try await self.client.send(
            "GET",
            "/api/v2/chat/channel/messages",
            query: [("after_seq", String(afterSeq)), ("limit", String(limit))],
            auth: .bearer(self.token)
        )
        return try V2.HistoryPage(jsonBytes: response.body)
    }

    private func adoptRefreshedToken(_ token: String, expiresAt: Date) async {
        self.logger.debug("token refreshed", metadata: ["chat.token.expires_at": "\(expiresAt)"])
        let match = self.state.withLock { state in
            state.token = token
            state.expiresAt = expiresAt
            var match = self.match
            match.token = token
            match.expiresAt = expiresAt
            return match
        }
        do {
            try await self.configuration.store?.saveMatch(match)
        } catch {
            self.logger.warning("the session store failed to save the refreshed match", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the queued v2 frames in order on connection `generation` (`nil`: the open one), unless another task is
    /// writing them (``WriterSlot``).
    private func writeQueuedV2(generation: Int?) async throws {
        try await self.drain(\.writerV2, generation: generation) { state in
            state.v2.nextFrame(connection: state.v2.connection, now: self.nowMs)
        }
        self.armAlarmV2()  // a send held back by retry advice or the per-second budget
    }

    /// The v2 form of ``writeFromCaller()``: a task that queued a send writes it itself when no other task is
    /// writing. A cancelled task leaves it to the writer task (a cancelled write would drop the connection).
    func writeFromCallerV2() async {
        guard !Task.isCancelled else { return self.wakeWriter() }
        try? await self.writeQueuedV2(generation: nil)
    }

    /// Closes a connection that stays silent: before `hello` for ``ChatClient/Configuration/firstFrameTimeout``,
    /// afterwards for the server's ping interval + 10 s (RC-CLIENT-DEAD-1). The connection is dropped without a close
    /// handshake: a dead link would never complete one.
    private func watchLiveness(abort: @escaping @Sendable () -> Void) async throws {
        let firstFrameTimeout = self.configuration.firstFrameTimeout
        while true {
            let (last, hasHello, interval) = self.state.withLock {
                ($0.v2.lastInbound, $0.v2.hasHello, $0.v2.pingInterval)
            }
            let deadline = last + (hasHello ? interval + .seconds(10) : firstFrameTimeout)
            if ContinuousClock.now >= deadline {
                self.logger.debug("the link is silent; abandoning the connection")
                abort()
                return
            }
            try await Task.sleep(until: deadline)
        }
    }

    /// Refreshes the token in-band a minute before it expires (half its remaining lifetime when that is less
    /// than two minutes), RC-CHAT-EXPIRY-1.
    private func refreshTokenInTime() async throws {
        while true {
            guard let expiresAt = self.state.withLock({ $0.expiresAt }) else { return }
            let remaining = expiresAt.timeIntervalSinceNow
            let wait = max(0.5, max(remaining - 60, remaining / 2))
            try await Task.sleep(for: ReconnectPolicy.duration(seconds: wait))
            if self.state.withLock({ $0.expiresAt }) == expiresAt {
                self.state.withLock { $0.v2.refreshToken() }
                self.wakeWriter()
                try await Task.sleep(for: .seconds(2))  // the reply moves `expiresAt`; otherwise try again
            }
        }
    }
}

/// Ends a v2 connection so the session reconnects (treated as a dropped link).
struct V2ConnectionReset: Error {
    var reason: String
}
