/// What the session knows about the channel's messages and its own unconfirmed sends, as a pure value.
///
/// It de-duplicates messages by id (live frames are at-least-once, and history overlaps them after a
/// reconnect), matches the server's echo of our own text and file frames to the sends waiting for it (in order,
/// by event and payload), and decides which frames still have to be written after a reconnect.
struct MessageLedger: Sendable {
    /// A text or file frame the app sent whose echo has not arrived yet.
    struct PendingSend: Hashable, Sendable {
        var localID: ChatLocalMessageID
        var event: V1.Event
        var payload: String
    }

    /// A frame waiting to be written.
    enum Outbound: Hashable, Sendable {
        case message(PendingSend)
        case seen(messageID: MessageID, authorID: UserID)
        case typing(V1.Action)

        /// The frame on the wire, written by user `userID`.
        func inbound(from userID: UserID) -> V1.InboundFrame {
            switch self {
            case .message(let send):
                V1.InboundFrame(event: send.event, userID: userID, payload: send.payload)
            case .seen(let messageID, let authorID):
                V1.InboundFrame(event: .seen, userID: authorID, payload: messageID.description)
            case .typing(let action):
                V1.InboundFrame(event: .action, userID: userID, payload: action.rawValue)
            }
        }
    }

    let selfID: UserID
    /// The delivered messages' ids, the most recent ones (``RecentMessageIDs``).
    private(set) var knownIDs: RecentMessageIDs
    private(set) var pending: [PendingSend] = []
    private(set) var pendingSeen: [Outbound] = []
    /// Frames to write on the current connection, in order; only filled while the writer is active.
    private(set) var outbox: [Outbound] = []
    private(set) var isWriterActive = false

    /// Starts with what an earlier session delivered.
    /// - Parameters:
    ///   - selfID: The session's own user.
    ///   - knownIDs: Messages delivered before (a store's transcript), oldest first.
    ///   - idMemory: How many delivered ids de-duplication remembers.
    init(selfID: UserID, knownIDs: [MessageID] = [], idMemory: Int = RecentMessageIDs.defaultCapacity) {
        self.selfID = selfID
        self.knownIDs = RecentMessageIDs(knownIDs, capacity: idMemory)
    }

    /// Queues a text or file frame; it stays pending until its echo (or a history entry) confirms it.
    mutating func enqueue(_ send: PendingSend) {
        self.pending.append(send)
        if self.isWriterActive { self.outbox.append(.message(send)) }
    }

    /// Queues a seen receipt; written once, on this connection or the next. A receipt already waiting is not queued
    /// twice.
    mutating func enqueueSeen(messageID: MessageID, authorID: UserID) {
        let frame = Outbound.seen(messageID: messageID, authorID: authorID)
        guard !self.pendingSeen.contains(frame) else { return }
        self.pendingSeen.append(frame)
        if self.isWriterActive { self.outbox.append(frame) }
    }

    /// Queues a typing action; dropped (returns `false`) when no connection is active, since it would be stale. It
    /// replaces a typing action still waiting to be written: only the latest state matters, and an app that reports
    /// every keystroke while the socket is slow does not grow the queue.
    mutating func enqueueTyping(_ action: V1.Action) -> Bool {
        guard self.isWriterActive else { return false }
        self.outbox.removeAll { if case .typing = $0 { true } else { false } }
        self.outbox.append(.typing(action))
        return true
    }

    /// The connection is open and synced: everything unconfirmed is (re)sent, in order.
    mutating func activateWriter() {
        self.isWriterActive = true
        self.outbox = self.pending.map(Outbound.message) + self.pendingSeen
    }

    /// The connection ended; pending sends stay pending.
    mutating func deactivateWriter() {
        self.isWriterActive = false
        self.outbox.removeAll()
    }

    /// The next frame to write, removed from the outbox.
    mutating func nextOutbound() -> Outbound? {
        guard self.isWriterActive, !self.outbox.isEmpty else { return nil }
        return self.outbox.removeFirst()
    }

    /// A frame taken with ``nextOutbound()`` could not be written: it is the next one again.
    mutating func putBack(_ frame: Outbound) {
        guard self.isWriterActive else { return }
        self.outbox.insert(frame, at: 0)
    }

    /// A frame was written; seen receipts are done at this point.
    mutating func didWrite(_ frame: Outbound) {
        if case .seen = frame, let index = self.pendingSeen.firstIndex(of: frame) {
            self.pendingSeen.remove(at: index)
        }
    }

    /// Interprets one live event.
    mutating func receive(_ message: V1.Message) -> [ChatEvent] {
        switch message.event {
        case .text, .file:
            return self.accept(message).map { [.message($0)] } ?? []
        case .seen:
            guard let id = MessageID(decimal: message.payload) else { return [] }
            return [.seen(messageID: id, authorID: message.userID)]
        case .action:
            switch V1.Action(rawValue: message.payload) {
            case .isTyping: return [.typingStarted(message.userID)]
            case .endTyping: return [.typingStopped(message.userID)]
            case .joined: return [.joined(message.userID)]
            case .waiting: return [.waiting(message.userID)]
            case .offline: return [.offline(message.userID)]
            case .left: return [.left(message.userID)]
            default: return [.action(message.payload, from: message.userID)]
            }
        default:
            return []
        }
    }

    /// Fills a gap from history: `newestFirst` are the messages of the history pages, newest first, up to (and
    /// possibly including) the newest message already known. Returns the unknown ones, oldest first.
    mutating func backfill(newestFirst: [V1.Message]) -> [ChatEvent] {
        var events: [ChatEvent] = []
        for message in newestFirst.reversed() where message.event == .text || message.event == .file {
            if let accepted = self.accept(message) { events.append(.message(accepted)) }
        }
        return events
    }

    /// Whether a history page reached the part of the channel this ledger already knows.
    func reachesKnown(_ page: [V1.Message]) -> Bool {
        page.contains { self.knownIDs.contains($0.messageID) }
    }

    private mutating func accept(_ message: V1.Message) -> ChatMessage? {
        guard self.knownIDs.insert(message.messageID), var chat = ChatMessage(v1: message) else {
            return nil
        }
        if message.userID == self.selfID,
            let index = self.pending.firstIndex(where: { $0.event == message.event && $0.payload == message.payload })
        {
            chat.localID = self.pending[index].localID
            let confirmed = self.pending.remove(at: index)
            if let queued = self.outbox.firstIndex(of: .message(confirmed)) { self.outbox.remove(at: queued) }
        }
        return chat
    }
}
