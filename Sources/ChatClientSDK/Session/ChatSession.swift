import Foundation
import Logging
import Synchronization

/// A chat in one channel: an ordered stream of events in, messages and signals out.
///
/// Get one from ``ChatClient/withSession(_:isolation:_:)``; it is valid only inside that closure. The session
/// connects by itself, reconnects with backoff after network failures (see ``ReconnectPolicy``), refills any gap
/// from history and de-duplicates, so ``events`` shows every message exactly once, in order.
///
/// Sends made while disconnected are queued (up to ``ChatClient/Configuration/maxQueuedMessages``) and written
/// after the reconnect; a send is confirmed when its echo arrives as a ``ChatEvent/message(_:)`` carrying the
/// ``ChatMessage/localID`` the send returned. Over protocol v2 the server also acknowledges each send
/// (``ChatEvent/sendAcknowledged(_:seq:)``) or refuses it (``ChatEvent/sendFailed(_:_:)``), and a send that is
/// still queued can be withdrawn with ``cancelSend(_:)``.
public final class ChatSession: Sendable {
    /// The match this session chats in.
    public let match: ChatMatch
    /// The session's events. Iterate it once, from one task (it is unicast).
    public let events: ChatEvents

    let client: ChatClient
    let buffer: EventBuffer<ChatEvent>
    let state: Mutex<State>
    /// The session's clock origin, for the millisecond times of ``V2Ledger``.
    let startedAt = ContinuousClock.now
    /// The most messages a v1 reconnect back-fills from history: as many as de-duplication remembers.
    static let maxBackfill = RecentMessageIDs.defaultCapacity

    struct State {
        /// The protocol sends are queued for: v2 until a v1-only server forces the fallback.
        var usesV2: Bool
        /// The protocol of the current (or last) connection.
        var wireProtocol: NegotiatedProtocol?
        /// The channel token in use (refreshed in-band over v2) and its expiry.
        var token: String
        var expiresAt: Date?
        var v2: V2SessionState
        var writerWakeV2: AsyncStream<Void>.Continuation?
        /// The open v2 connection's alarm: when it fires (a session-clock time in ms) and the task sleeping until then.
        var alarmV2: (id: Int, deadline: UInt64, task: Task<Void, Never>)?
        var alarmsV2 = 0
        /// Who writes the open v2 connection's frames (``WriterSlot``).
        var writerV2 = WriterSlot<V2.ChatClientFrame>()
        var leaveWaiter: AsyncStream<ChatError?>.Continuation?
        var ledger: MessageLedger
        var stopReason: SessionStateMachine.Ending?
        var stopSignal: AsyncStream<SessionStateMachine.Ending>.Continuation?
        /// ``reconnectNow()`` was called and no connection attempt has started since.
        var reconnectRequested = false
        /// The connection attempt in progress (connecting or open): when it started, and whether it answers a
        /// ``reconnectNow()``. `nil` between attempts.
        var attempt: (started: ContinuousClock.Instant, answersRequest: Bool)?
        var writerWake: AsyncStream<Void>.Continuation?
        /// Who writes the open v1 connection's frames (``WriterSlot``).
        var writer = WriterSlot<MessageLedger.Outbound>()
        var endReason: ChatError?
        var leftDelivered = false
        var leaveRequested = false
    }

    init(client: ChatClient, match: ChatMatch) {
        self.client = client
        self.match = match
        self.buffer = EventBuffer(capacity: client.configuration.maxBufferedEvents)
        self.events = ChatEvents(buffer: self.buffer)
        let usesV2 = client.prefersV2 && (try? ChannelTokenClaims(unverifiedJWT: match.token))?.subject != nil
        self.state = Mutex(
            State(
                usesV2: usesV2,
                token: match.token,
                expiresAt: match.expiresAt,
                v2: V2SessionState(selfID: match.userID),
                ledger: MessageLedger(selfID: match.userID)
            )
        )
    }

    /// The channel token in use: the match's, or a fresher one from an in-band refresh (v2).
    var token: String { self.state.withLock { $0.token } }

    /// The match with the token this session currently uses; save it rather than ``match`` to reopen the chat
    /// later, since v2 sessions refresh the token before it expires.
    public var currentMatch: ChatMatch {
        self.state.withLock { state in
            var match = self.match
            match.token = state.token
            match.expiresAt = state.expiresAt
            return match
        }
    }

    /// The protocol of the current (or last) connection, `nil` before the first one opened.
    public var wireProtocol: NegotiatedProtocol? { self.state.withLock { $0.wireProtocol } }

    /// The limits the server advertised in its `hello` (v2), `nil` before the first v2 connection.
    public var serverLimits: V2.Limits? { self.state.withLock { $0.v2.helloLimits } }

    var configuration: ChatClient.Configuration { self.client.configuration }
    var logger: Logger {
        var logger = self.configuration.logger
        logger[metadataKey: "chat.channel.id"] = "\(self.match.channelID)"
        return logger
    }

    /// Starts from what a store kept: the transcript's ids (de-duplication), and over v2 the position to resume
    /// from and the sends still waiting for the server's acknowledgement.
    func seed(knownMessages: [ChatMessage], position: ChatChannelPosition? = nil, pendingSends: [ChatPendingSend] = [])
    {
        self.state.withLock { state in
            state.ledger = MessageLedger(selfID: self.match.userID, knownIDs: knownMessages.map(\.id))
            state.v2.ledger = V2Ledger(selfID: self.match.userID, knownIDs: knownMessages.map(\.id))
            state.v2.ledger.keepsSettled = true  // the store removes them (forgetSettledSends)
            if let position { state.v2.ledger.restore(position) }
            state.v2.restore(pendingSends, localIDs: self.client.nextLocalID)
        }
    }

    // MARK: Sending

    /// Sends a text message.
    ///
    /// Returns once the message is queued; its echo arrives later in ``events`` with the same ``ChatMessage/localID``.
    /// While connected, the calling task writes the message to the connection itself unless another send is being
    /// written (that one writes it), which saves a thread wake-up per message; it waits only while the connection's
    /// send buffer is full. While disconnected the message waits and is sent after the reconnect, once.
    /// - Parameter text: The text; not empty, and small enough for the server's frame limit.
    /// - Returns: The local id that the confirming ``ChatEvent/message(_:)`` will carry.
    /// - Throws: `ChatError` with `ChatError.Code.invalidParameter` for empty text,
    ///   `ChatError.Code.messageTooLarge` when the frame would exceed ``ChatClient/Configuration/maxMessageSize``,
    ///   `ChatError.Code.rateLimited` when too many sends await confirmation, `ChatError.Code.invalidState` when
    ///   the session has ended, `ChatError.Code.cancelled`.
    @discardableResult
    public func send(text: String) async throws -> ChatLocalMessageID {
        try await mappingErrors("sending a message") {
            guard !text.isEmpty else {
                throw ChatError(code: .invalidParameter, message: "cannot send an empty message")
            }
            if self.state.withLock({ $0.usesV2 }) { return try await self.enqueueV2(.text(text)) }
            let localID = try self.enqueue(event: .text, payload: text)
            await self.writeFromCaller()
            return localID
        }
    }

    func checkFrameSize(event: V1.Event, payload: String) throws {
        let size = V1.InboundFrame(event: event, userID: self.match.userID, payload: payload).jsonBytes().count
        guard size <= self.configuration.maxMessageSize else {
            throw ChatError(
                code: .messageTooLarge,
                message: "the message frame is \(size) bytes; the server accepts at most "
                    + "\(self.configuration.maxMessageSize) (Configuration.maxMessageSize). Split the text."
            )
        }
    }

    func enqueue(event: V1.Event, payload: String) throws -> ChatLocalMessageID {
        try self.checkOpen()
        try self.checkFrameSize(event: event, payload: payload)
        let localID = self.client.nextLocalID()
        try self.state.withLock { state in
            guard state.ledger.pending.count < self.configuration.maxQueuedMessages else {
                throw ChatError(
                    code: .rateLimited,
                    message: "\(state.ledger.pending.count) messages are still waiting for the server "
                        + "(Configuration.maxQueuedMessages); wait for their echoes before sending more"
                )
            }
            state.ledger.enqueue(.init(localID: localID, event: event, payload: payload))
        }
        return localID
    }

    /// Tells the author that you have seen their message.
    ///
    /// Queued while disconnected and sent once. Marking your own messages does nothing.
    /// - Parameter message: A message received in this channel.
    /// - Throws: `ChatError` with `ChatError.Code.invalidState` when the session has ended,
    ///   `ChatError.Code.cancelled`.
    public func markSeen(_ message: ChatMessage) async throws {
        try await mappingErrors("marking a message seen") {
            try self.checkOpen()
            guard message.senderID != self.match.userID else { return }
            if self.state.withLock({ $0.usesV2 }), let seq = message.seq { return self.markSeenV2(upTo: seq) }
            let wake = self.state.withLock { state in
                state.ledger.enqueueSeen(messageID: message.id, authorID: message.senderID)
                return state.writerWake
            }
            wake?.yield()
        }
    }

    /// Tells the other member you started typing. Dropped while disconnected (it would be stale by the reconnect).
    ///
    /// Over v2 a repeat within the server's `typing_min_interval_ms` is refused before sending.
    /// - Throws: `ChatError` with `ChatError.Code.rateLimited` (v2, too soon after the last one; see
    ///   `ChatError/retryAfter`), `ChatError.Code.invalidState` when the session has ended,
    ///   `ChatError.Code.cancelled`.
    public func startTyping() async throws {
        try await mappingErrors("sending a typing indicator") {
            if self.state.withLock({ $0.usesV2 }) { return try self.sendTypingV2(true) }
            try self.sendTyping(.isTyping)
        }
    }

    /// Tells the other member you stopped typing. Dropped while disconnected.
    /// - Throws: `ChatError` with `ChatError.Code.invalidState` when the session has ended,
    ///   `ChatError.Code.cancelled`.
    public func stopTyping() async throws {
        try await mappingErrors("sending a typing indicator") {
            if self.state.withLock({ $0.usesV2 }) { return try self.sendTypingV2(false) }
            try self.sendTyping(.endTyping)
        }
    }

    private func sendTyping(_ action: V1.Action) throws {
        try self.checkOpen()
        let wake = self.state.withLock { state in
            state.ledger.enqueueTyping(action) ? state.writerWake : nil
        }
        wake?.yield()
    }

    /// Ends the channel for both members. The session then ends: ``events`` reports ``ChatEvent/left(_:)`` and
    /// finishes. Over v2 this is the `leave` command on the open connection (the REST call when disconnected).
    /// - Throws: `ChatError` with `ChatError.Code.invalidState` when the session has already ended, the
    ///   server's error (for example `ChatError.Code.tokenExpired`), or `ChatError.Code.cancelled`.
    public func leave() async throws {
        try await mappingErrors("leaving the channel") {
            try self.checkOpen()
            try self.checkTokenNotExpired()
            if try await self.leaveV2() { return }
            _ = try await self.client.send(
                "DELETE",
                "/api/chat/channel",
                query: [("delby", self.match.userID.description)],
                auth: .bearer(self.token)
            )
            self.state.withLock { $0.leaveRequested = true }
            self.stop(.channelEnded(ChatError(code: .channelClosed, message: "you left the channel")))
        }
    }

    // MARK: Queries

    /// The members of the channel.
    /// - Returns: Both members' ids.
    /// - Throws: `ChatError` with `ChatError.Code.tokenExpired`, `ChatError.Code.channelNotFound`, or
    ///   `ChatError.Code.cancelled`.
    public func members() async throws -> [UserID] {
        try await mappingErrors("listing members") {
            try self.checkTokenNotExpired()
            let response = try await self.client.send("GET", "/api/chat/users", auth: .bearer(self.token))
            return try V1.UserIDList(jsonBytes: response.body).userIDs
        }
    }

    /// The members currently connected to the channel.
    /// - Returns: The online members' ids (possibly empty).
    /// - Throws: `ChatError` with `ChatError.Code.tokenExpired` or `ChatError.Code.cancelled`.
    public func onlineMembers() async throws -> [UserID] {
        try await mappingErrors("listing online members") {
            try self.checkTokenNotExpired()
            let response = try await self.client.send(
                "GET",
                "/api/chat/users/online",
                auth: .bearer(self.token)
            )
            return try V1.UserIDList(jsonBytes: response.body).userIDs
        }
    }

    /// The channel's history, one page at a time, newest page first.
    /// - Returns: An async sequence of pages; each page lists messages newest first.
    public func history() -> ChatHistory {
        ChatHistory(session: self)
    }

    func historyPage(_ pageState: String) async throws -> V1.HistoryPage {
        try self.checkTokenNotExpired()
        let query = pageState.isEmpty ? [] : [("ps", pageState)]
        let response = try await self.client.send(
            "GET",
            "/api/chat/channel/messages",
            query: query,
            auth: .bearer(self.token)
        )
        return try V1.HistoryPage(jsonBytes: response.body)
    }

    /// The message to scroll to when the chat opens: the oldest of the other member's messages that you have not
    /// seen yet, after the newest one you have seen.
    /// - Returns: That message, or `nil` when you have seen everything (scroll to the bottom).
    /// - Throws: `ChatError` from the history requests, or `ChatError.Code.cancelled`.
    public func firstUnseenMessage() async throws -> ChatMessage? {
        try await mappingErrors("finding the first unseen message") {
            var candidate: ChatMessage?
            for try await page in self.history() {
                for message in page.messages where message.senderID != self.match.userID {
                    if message.isSeen { return candidate }
                    candidate = message
                }
            }
            return candidate
        }
    }

    // MARK: State

    func checkOpen() throws {
        if let reason = self.state.withLock({ $0.endReason }) {
            throw ChatError(
                code: .invalidState,
                message: "the session has ended (\(reason.message)); open a new session with client.withSession(_:) "
                    + "or match again",
                cause: reason
            )
        }
        try self.client.checkUsable()
    }

    func checkTokenNotExpired() throws {
        guard let expiresAt = self.state.withLock({ $0.expiresAt }) else { return }
        let margin = ReconnectPolicy.seconds(self.configuration.tokenExpiryMargin)
        if Date().addingTimeInterval(margin) >= expiresAt {
            throw Self.tokenExpiredError(expiresAt)
        }
    }

    static func tokenExpiredError(_ expiresAt: Date) -> ChatError {
        ChatError(
            code: .tokenExpired,
            message: "the channel token expires at \(expiresAt) (within Configuration.tokenExpiryMargin) and could "
                + "not be refreshed (v1 tokens never can); match again"
        )
    }

    /// Connects again now instead of waiting: call it when the network path changed (`NWPathMonitor` reported a new
    /// path, a VPN came up) or the app returned to the foreground.
    ///
    /// A session waiting out its reconnect backoff connects at once, and its backoff starts over. An open
    /// connection, or an attempt in progress, is replaced by a fresh one: a socket opened on a path that is gone can
    /// look open until the ping timeout notices, long after the app knew. Nothing is lost: the new connection
    /// resumes from the session's position and re-sends what the server did not acknowledge, as after any drop
    /// (events: ``ChatConnectionState/reconnecting(attempt:delay:)`` with attempt 1 and no delay, then
    /// ``ChatConnectionState/connected``). Later HTTP requests (a v1 session's history back-fill) open fresh
    /// connections too, as with ``ChatClient/reconnectNow()``, which does this for every open session.
    ///
    /// A connection that a call started is left alone by the calls within ``reconnectNowInterval`` of its start, so
    /// a burst of path updates costs one reconnect. A wait for the server's retry advice (`retry_after_ms`,
    /// `Retry-After`) is not cut short: the server asked for it. Does nothing once the session is closing or over.
    public func reconnectNow() {
        self.client.http.retireConnections()
        self.requestReconnect()
    }

    /// ``reconnectNow()`` without retiring the HTTP connections (``ChatClient/reconnectNow()`` does that once).
    func requestReconnect() {
        let honoured = self.state.withLock { state -> Bool in
            guard state.stopReason == nil, state.endReason == nil else { return false }
            if let attempt = state.attempt, attempt.answersRequest,
                ContinuousClock.now - attempt.started < Self.reconnectNowInterval
            {
                return false
            }
            state.reconnectRequested = true
            // Signalled under the lock, so that a stop request made meanwhile is signalled after it: the stream
            // keeps the newest signal, and a stop must never be overwritten.
            state.stopSignal?.yield(.reconnectRequested)
            return true
        }
        if honoured { self.logger.debug("reconnect requested by the app") }
    }

    /// How long a connection that ``reconnectNow()`` started is left alone by later calls: 1 s.
    public static let reconnectNowInterval: Duration = .seconds(1)

    /// Asks the connection loop to end (the app closed the session, the client shut down, or the channel ended).
    func stop(_ ending: SessionStateMachine.Ending) {
        self.logger.trace("stop requested", metadata: ["chat.session.ending": "\(ending)"])
        self.state.withLock { state in
            if state.stopReason == nil { state.stopReason = ending }
            if state.endReason == nil { state.endReason = Self.reason(of: ending) }
            state.stopSignal?.yield(ending)  // under the lock: see reconnectNow()
        }
    }

    // MARK: Connection loop

    func runConnectionLoop() async {
        var machine = SessionStateMachine(
            policy: self.configuration.reconnectPolicy,
            seed: self.configuration.reconnectJitterSeed
        )
        /// The next attempt answers a reconnectNow().
        var answersRequest = false
        while true {
            machine.connecting()
            let ending: SessionStateMachine.Ending
            let uptime: Duration?
            if let stop = self.state.withLock({ $0.stopReason }) {
                ending = stop
                uptime = nil
            } else if Task.isCancelled {
                ending = .closedByApp(ChatError(code: .cancelled, message: "the session's task was cancelled"))
                uptime = nil
            } else if let expiresAt = self.state.withLock({ $0.expiresAt }), (try? self.checkTokenNotExpired()) == nil {
                ending = .tokenExpired(Self.tokenExpiredError(expiresAt))
                uptime = nil
            } else {
                _ = try? await self.buffer.yield(.connection(.connecting))
                (ending, uptime) = await self.runAttempt(machine: &machine, answersRequest: answersRequest)
                self.logger.trace("connection ended", metadata: ["chat.session.ending": "\(ending)"])
            }
            let tokenStillValid = (try? self.checkTokenNotExpired()) != nil
            var action = machine.connectionEnded(ending, uptime: uptime, tokenStillValid: tokenStillValid)
            let adviceEnds = machine.retryAdvice.map { ContinuousClock.now + $0 }
            answersRequest = if case .reconnectRequested = ending { true } else { false }
            waiting: while case .reconnect(var delay, let attempt) = action {
                // reconnectNow() cuts the policy's backoff short, never the server's retry advice.
                // The wait is the advice's when the advice ends last (1 ms of slack: the time since it was read).
                var wakeable = true
                if let adviceEnds {
                    let left = adviceEnds - ContinuousClock.now
                    if left + .milliseconds(1) >= delay {
                        delay = max(delay, left)
                        wakeable = false
                    }
                }
                self.logger.debug(
                    "reconnecting",
                    metadata: ["chat.session.attempt": "\(attempt)", "chat.session.delay": "\(delay)"]
                )
                _ = try? await self.buffer.yield(.connection(.reconnecting(attempt: attempt, delay: delay)))
                switch await self.sleep(delay, wakeable: wakeable) {
                case .elapsed:
                    break waiting
                case .woken:
                    action = machine.reconnectRequested()
                    answersRequest = true
                case .stopped(let stop):
                    _ = machine.stopped(Self.reason(of: stop))
                    await self.end(Self.reason(of: stop), throwing: nil)
                    return
                }
            }
            switch action {
            case .reconnect:
                continue
            case .fail(let error):
                await self.end(error, throwing: error)
                return
            case .finish(let reason):
                await self.end(reason, throwing: nil)
                return
            }
        }
    }

    static func reason(of ending: SessionStateMachine.Ending) -> ChatError {
        switch ending {
        case .closed: ChatError(code: .connectionClosed)
        case .rejected(let e), .unreachable(let e), .channelEnded(let e), .tokenExpired(let e), .closedByApp(let e): e
        case .reconnectRequested: ChatError(code: .connectionClosed, message: "replaced at the app's request")
        }
    }

    private func end(_ reason: ChatError, throwing error: ChatError?) async {
        self.logger.trace("session ended", metadata: ["chat.session.reason": "\(reason)"])
        var failed: [ChatEvent] = []
        let (deliverLeft, channelEnded) = self.state.withLock { state -> (Bool, Bool) in
            state.endReason = reason
            state.ledger.deactivateWriter()
            state.v2.deactivate()
            failed = state.v2.ledger.failAll(reason)
            let ended: Bool
            if case .channelEnded = state.stopReason { ended = true } else { ended = false }
            let deliver = state.leaveRequested && !state.leftDelivered
            state.leftDelivered = state.leftDelivered || deliver
            return (deliver, ended)
        }
        // The last events never wait for buffer space: the loop must be able to end even if nobody reads.
        if deliverLeft { self.buffer.append(.left(self.match.userID)) }
        for event in failed { self.buffer.append(event) }
        if channelEnded, let store = self.configuration.store {
            try? await store.removeChannel(self.match.channelID)
        } else {
            // Sends still queued stay in the store: the next session of this channel retries them.
            await self.forgetSettledSends()
        }
        self.buffer.append(.connection(.disconnected(reason)))
        self.buffer.finish(throwing: error)
    }

    /// How a wait before reconnecting ended.
    enum Wake {
        /// The delay passed.
        case elapsed
        /// ``reconnectNow()`` cut it short.
        case woken
        /// A stop request came first.
        case stopped(SessionStateMachine.Ending)
    }

    /// Sleeps `delay` unless a stop request comes first, or, when `wakeable` and `delay` is not zero, a
    /// ``reconnectNow()`` (a zero wait is over at once anyway: the attempt after it answers the request).
    private func sleep(_ delay: Duration, wakeable: Bool) async -> Wake {
        let wakeable = wakeable && delay > .zero
        let (stream, continuation) = AsyncStream<SessionStateMachine.Ending>.makeStream(
            bufferingPolicy: .bufferingNewest(1)
        )
        let installed = self.state.withLock { state -> Wake? in
            if let stop = state.stopReason { return .stopped(stop) }
            if wakeable, state.reconnectRequested {
                state.reconnectRequested = false
                return .woken
            }
            state.stopSignal = continuation
            return nil
        }
        if let installed { return installed }
        defer { self.state.withLock { $0.stopSignal = nil } }
        let cancelled = SessionStateMachine.Ending.closedByApp(
            ChatError(code: .cancelled, message: "the session's task was cancelled")
        )
        let first = await withTaskGroup(of: SessionStateMachine.Ending?.self) { group in
            group.addTask {
                for await stop in stream {
                    if case .reconnectRequested = stop, !wakeable { continue }
                    return stop
                }
                return cancelled
            }
            group.addTask {
                do {
                    try await Task.sleep(for: delay)
                    return nil
                } catch {
                    return cancelled
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return self.state.withLock { state -> Wake in
            if let stop = state.stopReason { return .stopped(stop) }
            guard let first else { return .elapsed }
            if case .reconnectRequested = first {
                state.reconnectRequested = false
                return .woken
            }
            return .stopped(first)
        }
    }

    /// Installs the stop signal for a connection attempt, which also answers any ``reconnectNow()`` request made
    /// before it; returns the stop request instead if there is one.
    private func installStopSignal(
        _ continuation: AsyncStream<SessionStateMachine.Ending>.Continuation,
        answersRequest: Bool
    ) -> SessionStateMachine.Ending? {
        self.state.withLock { state in
            if let stop = state.stopReason { return stop }
            state.stopSignal = continuation
            state.attempt = (.now, answersRequest || state.reconnectRequested)
            state.reconnectRequested = false
            return nil
        }
    }

    /// One connection: open, fill the gap, then read and write until it ends or a stop request arrives.
    private func runAttempt(
        machine: inout SessionStateMachine,
        answersRequest: Bool
    ) async -> (SessionStateMachine.Ending, Duration?) {
        let (stream, continuation) = AsyncStream<SessionStateMachine.Ending>.makeStream(
            bufferingPolicy: .bufferingNewest(1)
        )
        if let stop = self.installStopSignal(continuation, answersRequest: answersRequest) { return (stop, nil) }
        defer {
            self.state.withLock {
                $0.stopSignal = nil
                $0.attempt = nil
            }
        }
        let opened = LockedBox<ContinuousClock.Instant?>(nil)
        let hasExpiry = self.state.withLock { $0.expiresAt != nil }
        let result = await withTaskGroup(of: SessionStateMachine.Ending?.self) { group in
            group.addTask { await self.connectAndServe(opened: opened) }
            group.addTask {
                for await stop in stream { return stop }
                return nil
            }
            if hasExpiry {
                group.addTask { await self.waitForTokenExpiry() }
            }
            var first: SessionStateMachine.Ending?
            while let next = await group.next() {
                if let next {
                    first = next
                    break
                }
            }
            group.cancelAll()
            return first
        }
        self.state.withLock {
            $0.ledger.deactivateWriter()
            $0.writerWake = nil
            $0.writer.close()
        }
        let uptime = opened.value.map { ContinuousClock.now - $0 }
        if uptime != nil { machine.connected() }
        // A stop request made while `reconnectNow()` ended the attempt wins over the reconnect.
        if case .reconnectRequested = result, let stop = self.state.withLock({ $0.stopReason }) {
            return (stop, uptime)
        }
        return (
            result ?? .closedByApp(ChatError(code: .cancelled, message: "the session's task was cancelled")),
            uptime
        )
    }

    /// Sleeps until the token in use reaches the expiry margin; a refresh (v2) moves the deadline.
    private func waitForTokenExpiry() async -> SessionStateMachine.Ending? {
        while let expiresAt = self.state.withLock({ $0.expiresAt }) {
            let seconds = expiresAt.timeIntervalSinceNow - ReconnectPolicy.seconds(self.configuration.tokenExpiryMargin)
            do {
                try await Task.sleep(for: ReconnectPolicy.duration(seconds: max(0, seconds)))
            } catch {
                return nil
            }
            if self.state.withLock({ $0.expiresAt }) == expiresAt {
                return .tokenExpired(Self.tokenExpiredError(expiresAt))
            }
        }
        return nil
    }

    private var chatURL: String {
        self.client.webSocketBaseURL + "/api/chat?uid=\(self.match.userID)&access_token="
            + percentEncoded(self.token)
    }

    private func connectAndServe(opened: LockedBox<ContinuousClock.Instant?>) async -> SessionStateMachine.Ending {
        if self.state.withLock({ $0.usesV2 }) {
            switch await self.connectAndServeV2(opened: opened) {
            case .ended(let ending): return ending
            case .serverSpeaksOnlyV1:
                guard self.configuration.protocolPreference.contains(.v1) else {
                    return .rejected(
                        ChatError(
                            code: .unsupportedVersion,
                            message: "the server speaks only protocol v1 and Configuration.protocolPreference "
                                + "does not list .v1"
                        )
                    )
                }
                self.client.learnServerSpeaksOnlyV1()
                self.fallBackToV1()
            }
        }
        let options = WebSocketOptions(
            maxMessageSize: 1 << 20,
            pingInterval: self.configuration.pingInterval
        )
        do {
            let close = try await self.client.webSocket.connect(
                url: self.chatURL,
                options: options,
                logger: self.logger
            ) { io in
                opened.value = ContinuousClock.now
                self.state.withLock { $0.wireProtocol = .v1 }
                self.logger.trace("websocket open")
                try await self.serve(io)
            }
            return .closed(code: close.code, retryAfter: Self.retryAfter(in: close.reason))
        } catch {
            return await self.ending(for: error)
        }
    }

    /// The upgrade was refused: ask the same question over HTTP to learn whether retrying can help.
    private func diagnoseRejection(_ error: WebSocketConnectError) async -> ChatError {
        do {
            _ = try await self.client.send("GET", "/api/chat/users", auth: .bearer(self.token))
            return ChatError(code: .connectionClosed, message: "the chat upgrade was refused", cause: error)
        } catch let chat as ChatError {
            return chat
        } catch {
            return ChatError(code: .connectionClosed, message: "the chat upgrade was refused", cause: error)
        }
    }

    /// Handles a refused upgrade or an unusable connection, as `connectAndServe` does for v1.
    func ending(for error: any Error) async -> SessionStateMachine.Ending {
        if Task.isCancelled { return .closedByApp(ChatError(code: .cancelled)) }
        if let error = error as? WebSocketConnectError {
            switch error.kind {
            case .unreachable:
                return .unreachable(
                    ChatError(code: .connectionClosed, message: "could not reach the chat server", cause: error)
                )
            case .upgradeRejected:
                if let refusal = error.chatError {
                    return refusal.isTemporary ? .unreachable(refusal) : .rejected(refusal)
                }
                return .rejected(await self.diagnoseRejection(error))
            }
        }
        let chat = chatError(error, while: "chatting")
        return chat.isTemporary || chat.code == .connectionClosed ? .unreachable(chat) : .rejected(chat)
    }

    static func retryAfter(in reason: String?) -> Duration? {
        guard let reason, let range = reason.range(of: "retry_after_ms") else { return nil }
        let digits = reason[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int64(digits).map { .milliseconds($0) }
    }

    private func serve(_ io: WebSocketIO) async throws {
        let send = io.send
        let closeIO = io.close
        let close = { @Sendable in try await closeIO(1000, nil) }
        let firstFrame = LockedBox(false)
        let firstFrameTimeout = self.configuration.firstFrameTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            // A v1 server greets every chat connection with `waiting` or `joined`. A socket that delivers nothing
            // is not usable (a broken proxy, a half-open link), so it is closed and the session reconnects instead of
            // sitting "connected" until the ping timeout.
            group.addTask {
                try await Task.sleep(for: firstFrameTimeout)
                if !firstFrame.value {
                    self.logger.debug("no frame since the websocket opened; reconnecting")
                    try? await close()
                }
            }
            // The server sends the greeting once it has registered the connection, so every message stored from
            // then on is pushed here. The gap is filled from history only after it: a message stored while the
            // server was still setting the connection up is then in the history page, not lost between the two.
            var greeting: String?
            while let message = try await io.receive() {
                if case .text(let text) = message {  // v1 ignores binary frames (RC-VER-FRAME-1)
                    greeting = text
                    break
                }
            }
            guard let greeting else {
                group.cancelAll()
                return
            }
            firstFrame.value = true
            _ = try await self.buffer.yield(.connection(.connected))
            try await self.fillGap()
            let (wakeStream, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let userID = self.match.userID
            let generation = self.state.withLock { state in
                state.ledger.activateWriter()
                state.writerWake = wake
                return state.writer.open { frame in
                    try await send(.text(String(decoding: frame.inbound(from: userID).jsonBytes(), as: UTF8.self)))
                }
            }
            group.addTask {
                for await _ in wakeStream { try await self.writeQueued(generation: generation) }
            }
            wake.yield()
            io.setReceiver { self.receiveOnLoop($0) }
            try await self.handle(greeting)
            while let message = try await io.receive() {
                guard case .text(let text) = message else { continue }  // v1 ignores binary frames (RC-VER-FRAME-1)
                try await self.handle(text)
            }
            group.cancelAll()
        }
    }

    /// Writes the queued frames from the calling task, unless another task is writing them (that one writes these
    /// too): a send then costs no wake-up of the writer task. A frame whose write failed is put back for the writer
    /// task, which retries it or finds the connection gone (pending sends are re-sent after the reconnect).
    func writeFromCaller() async {
        do {
            try Task.checkCancellation()  // a cancelled task's write would fail: the writer task writes it
            try await self.writeQueued(generation: nil)
        } catch {
            self.state.withLock { $0.writerWake }?.yield()
        }
    }

    /// Writes the ledger's queued frames in order on connection `generation` (`nil`: the open one), unless another
    /// task is writing them.
    private func writeQueued(generation: Int?) async throws {
        try await self.drain(
            \.writer,
            generation: generation,
            next: { $0.ledger.nextOutbound() },
            written: { $0.ledger.didWrite($1) },
            unwritten: { $0.ledger.putBack($1) }
        )
    }

    /// Writes the frames `next` hands out (under the state lock) through `slot`, once this task claimed it for
    /// connection `generation` (`nil`: the open one), until none is left or the connection changed.
    func drain<Frame>(
        _ slot: WritableKeyPath<State, WriterSlot<Frame>>,
        generation: Int?,
        next: (inout State) -> Frame?,
        written: (inout State, Frame) -> Void = { _, _ in },
        unwritten: (inout State, Frame) -> Void = { _, _ in }
    ) async throws {
        guard let (write, generation) = self.state.withLock({ $0[keyPath: slot].claim(generation) }) else { return }
        while let frame = self.state.withLock({ state -> Frame? in
            guard state[keyPath: slot].generation == generation else { return nil }
            if let frame = next(&state) { return frame }
            state[keyPath: slot].release(generation)
            return nil
        }) {
            do {
                try await write(frame)
            } catch {
                self.state.withLock { state in
                    guard state[keyPath: slot].generation == generation else { return }
                    unwritten(&state, frame)
                    state[keyPath: slot].release(generation)
                }
                throw error
            }
            self.state.withLock { written(&$0, frame) }
        }
    }

    /// Fetches history newest-first until a known message, and delivers what was missed, oldest first: at most the
    /// newest ``maxBackfill`` (the pages are collected before anything is delivered, so the gap must be bounded).
    private func fillGap() async throws {
        var collected: [V1.Message] = []
        var pageState = ""
        for _ in 0..<1000 {
            let page = try await self.historyPage(pageState)
            collected += page.messages
            if self.state.withLock({ $0.ledger.reachesKnown(page.messages) }) { break }
            if collected.count >= Self.maxBackfill {
                self.logger.warning(
                    "more than \(Self.maxBackfill) messages were missed; the older ones stay in the channel's history",
                    metadata: ["chat.session.collected": "\(collected.count)"]
                )
                collected.removeLast(collected.count - Self.maxBackfill)
                break
            }
            if page.nextPageState.isEmpty || page.messages.isEmpty || page.nextPageState == pageState { break }
            pageState = page.nextPageState
        }
        let events = self.state.withLock { $0.ledger.backfill(newestFirst: collected) }
        self.logger.trace("gap filled", metadata: ["chat.session.backfilled": "\(events.count)"])
        try await self.deliver(events)
    }

    private func handle(_ text: String) async throws {
        let message: V1.Message
        do {
            message = try V1.Message(jsonBytes: Array(text.utf8))
        } catch {
            self.logger.debug("ignoring a malformed chat frame", metadata: ["error": "\(error)"])
            return
        }
        let events = self.state.withLock { $0.ledger.receive(message) }
        try await self.deliver(events)
    }

    /// The live v1 path on the transport's thread (``WebSocketIO/setReceiver``): a frame whose events go straight to
    /// the events buffer — no store to append to first, room in the buffer, not the channel's end — is handled here,
    /// without waking the connection's task; any other frame goes to ``handle(_:)`` on that task.
    private func receiveOnLoop(_ message: WebSocketMessage) -> Bool {
        guard case .text(let text) = message else { return true }  // v1 ignores binary frames (RC-VER-FRAME-1)
        guard self.configuration.store == nil, self.buffer.hasRoom,
            let frame = try? V1.Message(jsonBytes: Array(text.utf8)),  // a malformed frame is logged by `handle`
            frame.event != .action || V1.Action(rawValue: frame.payload) != .left
        else { return false }
        let events = self.state.withLock { $0.ledger.receive(frame) }
        self.buffer.append(contentsOf: events)
        return true
    }

    func deliver(_ events: [ChatEvent]) async throws {
        var messages: [ChatMessage] = []
        for event in events {
            if case .message(let message) = event { messages.append(message) }
        }
        if !messages.isEmpty, let store = self.configuration.store {
            do {
                try await store.append(messages, to: self.match.channelID)
                // After the transcript, so the position never runs ahead of what the store holds.
                if let position = self.state.withLock({ $0.usesV2 ? $0.v2.ledger.position : nil }) {
                    try await store.savePosition(position, in: self.match.channelID)
                }
            } catch {
                self.logger.warning("the session store failed to append", metadata: ["error": "\(error)"])
            }
        }
        for event in events {
            if case .left(let user) = event {
                // The channel is over: refuse sends from now on, then deliver without waiting for buffer space
                // (the stop request cancels this connection).
                let reason = ChatError(
                    code: .channelClosed,
                    message: user == self.match.userID ? "you left the channel" : "the other member left the channel"
                )
                let alreadyDelivered = self.state.withLock { state in
                    defer { state.leftDelivered = true }
                    return state.leftDelivered
                }
                self.stop(.channelEnded(reason))
                if !alreadyDelivered { self.buffer.append(event) }
                return
            }
            try await self.buffer.yield(event)
        }
    }
}
