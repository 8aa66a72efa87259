import Foundation

/// The v2 protocol logic of a session, as a value: which frame to write next, and what each server frame means.
///
/// The session keeps it under its lock and performs the I/O around it; unit tests drive it without sockets. Times
/// are milliseconds of the session's clock.
struct V2SessionState: Sendable {
    /// What a pending command id stands for, so its reply can be interpreted.
    enum Command: Hashable, Sendable {
        case send(clientMessageID: String)
        case resume
        case typing
        case seen
        case leave
        case refreshToken
    }

    /// What handling one server frame produced.
    struct Outcome: Sendable {
        var events: [ChatEvent] = []
        /// Frames were queued: wake the writer.
        var wake = false
        /// `hello` arrived: report the connection as connected.
        var connected = false
        /// A fresh token and its expiry (Unix milliseconds).
        var refreshedToken: (token: String, expiresAtMs: Int64)?
        /// The reply to `leave`: `nil` success, else the error.
        var leaveReply: ChatError??
        /// The connection cannot go on (for example a failed `resume`); the session reconnects.
        var reconnect: String?
        /// `resumed:false`: back-fill from history after this `seq` before the connection becomes active.
        var backfillAfterSeq: UInt64?
    }

    var ledger: V2Ledger

    /// The websocket ping interval of a v2 connection. The server's `ping` pushes already probe the link every
    /// `serverPings`, and the session drops a link silent for that + 10 s; a websocket ping left unanswered is noticed
    /// up to two ping intervals after the link died. So websocket pings go out only when they notice a dead link
    /// sooner than that deadline (an app that configured a short interval); otherwise each interval would cost both
    /// sides two probes and two wake-ups instead of one (PROTOCOL.md §6.16).
    static func webSocketPingInterval(configured: Duration?, serverPings: Duration) -> Duration? {
        guard let configured, configured * 2 < serverPings + .seconds(10) else { return nil }
        return configured
    }

    /// The limits in force: the spec's defaults until a `hello` says otherwise (§7).
    private(set) var limits = V2.Limits.specDefaults
    /// The limits of the last `hello`.
    private(set) var helloLimits: V2.Limits?
    /// The server's `ping_interval_ms`: the protocol's 25 s until a `hello` says otherwise.
    private(set) var pingInterval: Duration = .seconds(25)
    /// The current connection's number; 0 while disconnected.
    private(set) var connection = 0
    private var connectionCount = 0
    /// Whether the connection is synced (`resumed`), so sends, receipts and typing may be written.
    private(set) var isActive = false
    private(set) var hasHello = false
    private(set) var lastInbound: ContinuousClock.Instant = .now
    /// `retry_after_ms` of the last `error` push (it precedes the server's close).
    private(set) var errorRetryAfter: Duration?
    private var control: [V2.ChatClientFrame] = []
    private var pending: [UInt32: Command] = [:]
    /// The ids of the latest commands whose reply nothing waits for (`typing`, `seen`, `refresh_token`), oldest
    /// first: they are in `pending` only so that their reply is recognised. A server that never answers them would
    /// grow `pending` for the connection's life, so past ``maximumUnansweredNotices`` the oldest are forgotten (a
    /// late reply to one is then ignored as unmatched).
    private var notices: [UInt32] = []
    static let maximumUnansweredNotices = 256
    private var lastCommandID: UInt32 = 0
    private var seenToSend: UInt64?
    private var seenSent: UInt64 = 0
    private var typingToSend: Bool?
    private(set) var lastTypingStarted: UInt64?
    /// The other members' typing indicators that are on, with the time (ms) of their last `typing:true`; at most
    /// ``maximumTypingUsers`` (a channel has two members; a server naming more users is not followed further).
    private(set) var typingSince: [UserID: UInt64] = [:]
    static let maximumTypingUsers = 16
    /// The latest sends written on this connection, in order: when each one's reply arrived (`nil`: not yet).
    private var sendReplies: [UInt64?] = []
    /// How many earlier sends of this connection were trimmed from the front of `sendReplies`.
    private var sendBase = 0
    /// Command id → position of the send on this connection (`sendBase` + index in `sendReplies`).
    private var sendIndex: [UInt32: Int] = [:]
    private var resumePending = false
    private var resumesThisConnection = 0
    /// The `last_seq` of the replay in progress: a gap below it is not a gap yet.
    private var replayTarget: UInt64 = 0
    private var leaveCommand: UInt32?

    init(selfID: UserID) {
        self.ledger = V2Ledger(selfID: selfID)
    }

    // MARK: Connection lifecycle

    /// A websocket opened; returns its number.
    mutating func beginConnection() -> Int {
        self.connectionCount += 1
        self.connection = self.connectionCount
        self.isActive = false
        self.hasHello = false
        self.lastInbound = .now
        self.errorRetryAfter = nil
        self.control.removeAll()
        self.pending.removeAll()
        self.notices.removeAll()
        self.typingToSend = nil
        self.resumePending = false
        self.resumesThisConnection = 0
        self.replayTarget = 0
        self.leaveCommand = nil
        self.sendReplies.removeAll()
        self.sendBase = 0
        self.sendIndex.removeAll()
        self.ledger.connectionOpened()
        return self.connection
    }

    /// The websocket closed.
    mutating func deactivate() {
        self.connection = 0
        self.isActive = false
        self.control.removeAll()
        self.pending.removeAll()
        self.notices.removeAll()
        self.typingToSend = nil
    }

    // MARK: Commands from the app

    /// Queues a send after checking it against the limits in force (§10.3). `now` is the session clock.
    mutating func enqueue(
        _ content: V2.ChatMessage.Content,
        localID: ChatLocalMessageID,
        clientMessageID: String,
        maxQueued: Int,
        codec: V2FrameCodec
    ) throws {
        try self.check(content, clientMessageID: clientMessageID, maxQueued: maxQueued, codec: codec)
        self.ledger.enqueue(.init(localID: localID, clientMessageID: clientMessageID, content: content))
    }

    /// Checks a send against the limits in force (§10.3) without queueing it.
    func check(
        _ content: V2.ChatMessage.Content,
        clientMessageID: String,
        maxQueued: Int,
        codec: V2FrameCodec
    ) throws {
        if case .text(let text) = content, text.utf8.count > Int(self.limits.maxTextBytes) {
            throw ChatError(
                code: .messageTooLarge,
                message: "the text is \(text.utf8.count) UTF-8 bytes; the server accepts at most "
                    + "\(self.limits.maxTextBytes) (hello.limits.max_text_bytes). Split the text."
            )
        }
        let frame = V2.ChatClientFrame(
            id: .max,
            command: .send(V2.SendCommand(clientMessageID: clientMessageID, content: content))
        )
        let size = codec.size(of: frame)
        guard size <= Int(self.limits.maxFrameBytes) else {
            throw ChatError(
                code: .messageTooLarge,
                message: "the send frame is \(size) bytes; the server accepts at most \(self.limits.maxFrameBytes) "
                    + "(hello.limits.max_frame_bytes)"
            )
        }
        let bound = min(maxQueued, Int(self.limits.maxInflightSends))
        guard self.ledger.queue.count < bound else {
            throw ChatError(
                code: .rateLimited,
                message: "\(self.ledger.queue.count) sends are still waiting for the server's acknowledgement "
                    + "(at most \(bound): Configuration.maxQueuedMessages and hello.limits.max_inflight_sends); wait "
                    + "for sendAcknowledged events before sending more"
            )
        }
    }

    /// Queues sends kept by a store from an earlier session, ahead of any new one, with their original
    /// `client_msg_id`s (RC-CLIENT-SEND-1), so the server de-duplicates those it already stored.
    mutating func restore(_ sends: [ChatPendingSend], localIDs: () -> ChatLocalMessageID) {
        let queued = Set(self.ledger.queue.map(\.clientMessageID))
        for send in sends where !queued.contains(send.clientMessageID) {
            self.ledger.enqueue(
                .init(localID: localIDs(), clientMessageID: send.clientMessageID, content: send.content)
            )
        }
    }

    /// Queues a read receipt up to `seq` (only ever moving forward).
    mutating func markSeen(upTo seq: UInt64) {
        guard seq > max(self.seenSent, self.seenToSend ?? 0) else { return }
        self.seenToSend = seq
    }

    /// Queues a typing indicator. `typing:true` more often than `typing_min_interval_ms` is refused here, before
    /// the server would (RC-CHAT-TYPING-3); before a connection's `hello` the indicator is dropped (it would be
    /// stale by the time the connection is up).
    mutating func typing(_ typing: Bool, now: UInt64) throws -> Bool {
        guard self.hasHello else { return false }
        if typing {
            let interval = UInt64(self.limits.typingMinIntervalMs)
            if let last = self.lastTypingStarted, now < last + interval {
                let wait = last + interval - now
                throw ChatError(
                    code: .rateLimited,
                    message: "typing indicators may repeat at most every \(interval) ms "
                        + "(hello.limits.typing_min_interval_ms)",
                    retryAfter: .milliseconds(Int64(wait))
                )
            }
            self.lastTypingStarted = now
        }
        self.typingToSend = typing
        return true
    }

    /// Queues `leave`; returns its command id, or `nil` when not connected.
    mutating func leave() -> UInt32? {
        guard self.hasHello else { return nil }
        let id = self.register(.leave)
        self.control.append(V2.ChatClientFrame(id: id, command: .leave(V2.LeaveCommand())))
        self.leaveCommand = id
        return id
    }

    /// Queues `refresh_token`.
    mutating func refreshToken() {
        guard self.connection != 0 else { return }
        let id = self.register(.refreshToken)
        self.control.append(V2.ChatClientFrame(id: id, command: .refreshToken(V2.RefreshTokenCommand())))
    }

    // MARK: Writing

    /// The next frame to write on `connection`, or `nil` when nothing is due.
    mutating func nextFrame(connection: Int, now: UInt64) -> V2.ChatClientFrame? {
        guard connection == self.connection, connection != 0 else { return nil }
        if !self.control.isEmpty { return self.control.removeFirst() }
        if self.hasHello, let typing = self.typingToSend {
            self.typingToSend = nil
            return V2.ChatClientFrame(id: self.register(.typing), command: .typing(V2.TypingCommand(typing: typing)))
        }
        guard self.isActive else { return nil }
        if let seq = self.seenToSend {
            self.seenToSend = nil
            self.seenSent = max(self.seenSent, seq)
            return V2.ChatClientFrame(id: self.register(.seen), command: .seen(V2.SeenCommand(upToSeq: seq)))
        }
        // Stay under max_sends_per_second ourselves, so the server never refuses a send and later sends never
        // overtake a refused one (RC-CHAT-SEND-6). The server counts a send when it admits it, which is before its
        // reply: send n may be written only a second after the reply to send n − limit arrived, so the server's
        // one-second window can never hold more than `limit` of them, however the network delays the frames.
        let limit = max(1, Int(self.limits.maxSendsPerSecond))
        if self.sendReplies.count >= limit {
            guard let replied = self.sendReplies[self.sendReplies.count - limit], now >= replied + 1000 else {
                return nil
            }
            if self.sendReplies.count >= 4 * limit {
                let drop = self.sendReplies.count - limit
                self.sendReplies.removeFirst(drop)
                self.sendBase += drop
            }
        }
        guard
            let send = self.ledger.nextSend(
                connection: connection,
                now: now,
                maxInFlight: max(1, Int(self.limits.maxInflightSends))
            )
        else { return nil }
        let id = self.register(.send(clientMessageID: send.clientMessageID))
        self.sendIndex[id] = self.sendBase + self.sendReplies.count
        self.sendReplies.append(nil)
        return V2.ChatClientFrame(
            id: id,
            command: .send(V2.SendCommand(clientMessageID: send.clientMessageID, content: send.content))
        )
    }

    private mutating func register(_ command: Command) -> UInt32 {
        repeat {
            self.lastCommandID &+= 1
        } while self.lastCommandID == 0 || self.pending[self.lastCommandID] != nil
        self.pending[self.lastCommandID] = command
        switch command {
        case .typing, .seen, .refreshToken:
            self.notices.append(self.lastCommandID)
            if self.notices.count > Self.maximumUnansweredNotices {
                let forgotten = self.notices.removeFirst()
                switch self.pending[forgotten] {
                case .typing, .seen, .refreshToken: self.pending[forgotten] = nil
                default: break  // answered long ago, and its id taken by another command since
                }
            }
        case .send, .resume, .leave:
            break
        }
        return self.lastCommandID
    }

    /// The commands written on this connection whose reply has not arrived.
    var unansweredCommands: Int { self.pending.count }

    private mutating func queueResume(_ command: V2.ResumeCommand) {
        let id = self.register(.resume)
        self.control.append(V2.ChatClientFrame(id: id, command: .resume(command)))
        self.resumePending = true
        self.resumesThisConnection += 1
    }

    /// The back-fill after `resumed:false` delivered everything up to the channel's `last_seq`: the connection is
    /// synced. A hole still open (a live message above the back-filled range) is asked for with a new `resume`.
    mutating func backfillFinished() -> Bool {
        guard self.connection != 0 else { return false }
        self.replayTarget = max(self.replayTarget, self.ledger.lastSeq)
        if !self.ledger.heldBack.isEmpty, self.resumesThisConnection < 3 {
            self.queueResume(self.ledger.resumeCommand())
        }
        self.isActive = true
        return true
    }

    // MARK: Reading

    /// Interprets one server frame.
    mutating func handle(_ frame: V2.ChatServerFrame, now: UInt64) -> Outcome {
        self.lastInbound = .now
        var outcome = Outcome()
        let command = frame.id == 0 ? nil : self.pending.removeValue(forKey: frame.id)
        if let position = self.sendIndex.removeValue(forKey: frame.id), position >= self.sendBase {
            self.sendReplies[position - self.sendBase] = now
        }
        switch frame.body {
        case .hello(let hello):
            self.hasHello = true
            if let limits = hello.limits { self.limits = limits.fillingDefaults() }
            self.helloLimits = hello.limits
            if hello.pingIntervalMs > 0 { self.pingInterval = .milliseconds(Int64(hello.pingIntervalMs)) }
            self.ledger.adoptEpochIfUnknown(hello.epoch)
            self.queueResume(self.ledger.resumeCommand())  // RC-CLIENT-RESUME-1: the first command
            outcome.connected = true
            outcome.wake = true
        case .resumed(let resumed) where command == .resume:
            self.resumePending = false
            switch self.ledger.resumed(resumed) {
            case .replaying:
                self.replayTarget = resumed.lastSeq
                if !self.isActive {
                    self.isActive = true
                    outcome.wake = true
                }
            case .backfill(let afterSeq):
                // RC-CLIENT-RESUME-2: no replay follows; the session pages history, then calls `backfillFinished`.
                self.replayTarget = resumed.lastSeq
                outcome.backfillAfterSeq = afterSeq
            }
        case .message(let message):
            let (events, hasGap) = self.ledger.receive(message)
            outcome.events = events
            // RC-CLIENT-GAP-1: a live message above a hole; ask for the hole once the replay in progress is done.
            if hasGap, self.isActive, !self.resumePending, self.ledger.lastSeq >= self.replayTarget {
                self.queueResume(self.ledger.resumeCommand())
                outcome.wake = true
            }
        case .ack(let ack):
            if let event = self.ledger.acknowledge(ack) { outcome.events = [event] }
            // A reply makes room under the in-flight bound, and starts the per-second budget's clock, for a send
            // still waiting (the writer writes it, or sets the alarm for it).
            if self.ledger.hasUnwritten(connection: self.connection) { outcome.wake = true }
        case .error(let error):
            let chatError = ChatError(v2: error)
            switch command {
            case .send(let clientMessageID):
                let retryAt = now + (error.retryAfterMs > 0 ? UInt64(error.retryAfterMs) : 1000)
                if let event = self.ledger.refuse(
                    clientMessageID: clientMessageID,
                    error: chatError,
                    temporary: error.temporary,
                    retryAt: retryAt
                ) {
                    outcome.events = [event]
                }
                outcome.wake = true
            case .resume:
                outcome.reconnect = "the server refused to resume: \(chatError)"
            case .leave:
                outcome.leaveReply = .some(chatError)
            case .typing, .seen, .refreshToken:
                break
            case nil where frame.id == 0:
                // A push before the server closes (RC-CHAT-CLOSE-1); its advice holds for the reconnect.
                self.errorRetryAfter = chatError.retryAfter
            case nil:
                break  // a reply to no command we wait for (RC-CHAT-ENV-6)
            }
        case .ok where command == .leave:
            outcome.leaveReply = .some(nil)
        case .tokenRefreshed(let refreshed):
            outcome.refreshedToken = (refreshed.accessToken, refreshed.expiresAt)
        case .presence(let presence):
            switch presence.kind {
            case .waiting: outcome.events = [.waiting(presence.userID)]
            case .joined: outcome.events = [.joined(presence.userID)]
            case .offline: outcome.events = [.offline(presence.userID)]
            case .left: outcome.events = [.left(presence.userID)]
            default: break
            }
        case .typing(let typing):
            if typing.typing {
                guard self.typingSince[typing.userID] != nil || self.typingSince.count < Self.maximumTypingUsers
                else { break }
                self.typingSince[typing.userID] = now
                outcome.events = [.typingStarted(typing.userID)]
            } else if self.typingSince.removeValue(forKey: typing.userID) != nil {
                outcome.events = [.typingStopped(typing.userID)]
            }
        case .seen(let seen):
            outcome.events = self.ledger.seen(by: seen.userID, upToSeq: seen.upToSeq)
        case .ping:
            // RC-CHAT-PING-1. One pong not yet written answers every ping before it: pings from a server that does
            // not read ours (the writer waits for room) do not pile up.
            let pong = V2.ChatClientFrame(id: 0, command: .pong(V2.Pong()))
            if !self.control.contains(pong) { self.control.append(pong) }
            outcome.wake = true
        case .pong, .ok, .resumed, nil:
            break  // RC-CHAT-ENV-6: unknown bodies and unmatched replies are ignored
        }
        return outcome
    }
}

extension V2.Limits {
    /// The defaults of PROTOCOL.md §7, in force until a `hello` advertises the server's.
    static var specDefaults: Self {
        Self(
            maxFrameBytes: 65_536,
            maxTextBytes: 16_384,
            maxUploadBytes: 64 << 20,
            historyPageDefault: 50,
            historyPageMax: 500,
            maxMessagesPerChannel: 5000,
            maxQueuedFrames: 256,
            maxInflightSends: 100,
            typingMinIntervalMs: 1000,
            typingTimeoutMs: 5000,
            maxSendsPerSecond: 20
        )
    }

    /// These limits with every unset (zero) field taken from ``specDefaults``; the upload quota, the files per upload
    /// and the block limit are kept as advertised (their 0 means "none" or "not said", and nothing in a session
    /// depends on them).
    func fillingDefaults() -> Self {
        let d = Self.specDefaults
        return Self(
            maxFrameBytes: self.maxFrameBytes == 0 ? d.maxFrameBytes : self.maxFrameBytes,
            maxTextBytes: self.maxTextBytes == 0 ? d.maxTextBytes : self.maxTextBytes,
            maxUploadBytes: self.maxUploadBytes == 0 ? d.maxUploadBytes : self.maxUploadBytes,
            historyPageDefault: self.historyPageDefault == 0 ? d.historyPageDefault : self.historyPageDefault,
            historyPageMax: self.historyPageMax == 0 ? d.historyPageMax : self.historyPageMax,
            maxMessagesPerChannel: self.maxMessagesPerChannel == 0
                ? d.maxMessagesPerChannel : self.maxMessagesPerChannel,
            maxQueuedFrames: self.maxQueuedFrames == 0 ? d.maxQueuedFrames : self.maxQueuedFrames,
            maxInflightSends: self.maxInflightSends == 0 ? d.maxInflightSends : self.maxInflightSends,
            typingMinIntervalMs: self.typingMinIntervalMs == 0 ? d.typingMinIntervalMs : self.typingMinIntervalMs,
            typingTimeoutMs: self.typingTimeoutMs == 0 ? d.typingTimeoutMs : self.typingTimeoutMs,
            maxSendsPerSecond: self.maxSendsPerSecond == 0 ? d.maxSendsPerSecond : self.maxSendsPerSecond,
            maxChannelUploadBytes: self.maxChannelUploadBytes,
            maxFilesPerUpload: self.maxFilesPerUpload,
            maxBlocksPerUser: self.maxBlocksPerUser
        )
    }
}

extension V2SessionState {
    /// The earliest session-clock time (ms) at which something becomes due without a frame arriving or the app
    /// calling in: an unwritten send held back by retry advice or by the per-second budget (``nextFrame(connection:now:)``),
    /// or the local expiry of a typing indicator (``expireTyping(now:)``). `nil` when nothing waits on the clock.
    func nextTimerDeadline(now: UInt64) -> UInt64? {
        var deadline: UInt64?
        if let oldest = self.typingSince.values.min() {
            deadline = oldest + UInt64(self.limits.typingTimeoutMs == 0 ? 5000 : self.limits.typingTimeoutMs)
        }
        guard self.isActive, self.connection != 0 else { return deadline }
        if let due = self.ledger.nextDueTime(connection: self.connection, now: now) {
            deadline = min(deadline ?? due, due)
        }
        let limit = max(1, Int(self.limits.maxSendsPerSecond))
        if self.sendReplies.count >= limit, let replied = self.sendReplies[self.sendReplies.count - limit],
            replied + 1000 > now, self.ledger.hasUnwritten(connection: self.connection)
        {
            deadline = min(deadline ?? (replied + 1000), replied + 1000)
        }
        return deadline
    }

    /// Ends the indicators that were not refreshed within `typing_timeout_ms` (RC-CHAT-TYPING-2: receivers expire
    /// them locally too, so a lost `typing:false` never leaves "typing…" on screen). Returns the users to report.
    mutating func expireTyping(now: UInt64) -> [UserID] {
        let timeout = UInt64(self.limits.typingTimeoutMs == 0 ? 5000 : self.limits.typingTimeoutMs)
        let expired = self.typingSince.filter { now >= $0.value + timeout }.map(\.key)
        for user in expired { self.typingSince[user] = nil }
        return expired.sorted { $0.rawValue < $1.rawValue }
    }
}
