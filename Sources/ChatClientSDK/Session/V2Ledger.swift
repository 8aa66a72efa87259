import Foundation

/// What a v2 session knows about the channel and its own sends, as a pure value (no I/O, no clocks).
///
/// - Receive side: messages are delivered in `seq` order, each once (RC-CLIENT-DEDUP-1); a message above the next
///   expected `seq` is held back until the gap is filled (RC-CLIENT-GAP-1); message ids already known (a store, or
///   a transcript from before an epoch change; the last ``RecentMessageIDs/defaultCapacity`` of them) are not
///   delivered twice.
/// - Send side: an ordered, bounded queue of sends keyed by `client_msg_id` (RC-CLIENT-SEND-1). A send stays queued
///   until the server's `ack` (or the replayed message carrying its `client_msg_id`) confirms it, or a permanent
///   error fails it; every connection re-sends what is still queued, in order, with the same ids.
struct V2Ledger: Sendable {
    /// One queued send.
    struct OutgoingSend: Hashable, Sendable {
        var localID: ChatLocalMessageID
        var clientMessageID: String
        var content: V2.ChatMessage.Content
        /// The connection this send was last written on (`nil`: not yet written on the current one).
        var writtenOn: Int?
        /// Whether it was ever written to any connection (then a cancel can no longer promise it was not stored).
        var everWritten = false
        /// Do not write before this many milliseconds of the session's clock (temporary error advice).
        var notBefore: UInt64 = 0
    }

    /// What the loop must do after a `resumed` reply.
    enum ResumeOutcome: Hashable, Sendable {
        /// The replay follows; nothing to do.
        case replaying
        /// The server cannot replay from our position (`resumed:false`): back-fill from the history endpoint, paging
        /// forward after `afterSeq` in the server's epoch (RC-CLIENT-RESUME-2).
        case backfill(afterSeq: UInt64)
    }

    let selfID: UserID
    /// The channel's history generation our `seq`s belong to (`""`: none yet).
    private(set) var epoch = ""
    /// The highest `seq` delivered with every lower one delivered too.
    private(set) var lastSeq: UInt64 = 0
    /// The delivered messages' ids, the most recent ones (``RecentMessageIDs``).
    private(set) var knownIDs: RecentMessageIDs
    /// Messages above `lastSeq + 1`, waiting for the gap below them to fill; at most ``maximumHeldBack``.
    private(set) var heldBack: [UInt64: V2.ChatMessage] = [:]
    /// The outgoing queue, oldest first.
    private(set) var queue: [OutgoingSend] = []
    /// Sends already acknowledged whose `message` push has not arrived yet. The push on the connection that got the
    /// `ack` leaves out the `client_msg_id` (RC-CHAT-SEND-3), so it is matched by `seq` (0 once an epoch change made
    /// the `seq` void); a replayed or back-filled copy carries the key and is matched by it.
    /// At most the id memory's capacity: past it the oldest half goes (a push that comes after all is then
    /// delivered without its local id).
    private(set) var acknowledged: [(seq: UInt64, clientMessageID: String, localID: ChatLocalMessageID)] = []
    /// Own delivered messages the peer has not been reported to have seen, by `seq`: the most recent ones, at most
    /// the id memory's capacity (the oldest half goes when it is full; their `seen` is then not reported).
    private(set) var ownUnseen: [(seq: UInt64, id: MessageID)] = []
    /// Whether settled sends are collected for ``takeSettled()``: only a session with a store takes them (set when
    /// it is seeded from the store); without one they would pile up for the session's lifetime.
    var keepsSettled = false
    /// `client_msg_id`s of sends that left the queue for good (acknowledged, refused, withdrawn) since the last
    /// ``takeSettled()``: the session removes them from its store.
    private var settled: [String] = []

    /// Starts with what an earlier session delivered.
    /// - Parameters:
    ///   - selfID: The session's own user.
    ///   - knownIDs: Messages delivered before (a store's transcript), oldest first.
    ///   - idMemory: How many delivered ids de-duplication remembers.
    init(selfID: UserID, knownIDs: [MessageID] = [], idMemory: Int = RecentMessageIDs.defaultCapacity) {
        self.selfID = selfID
        self.knownIDs = RecentMessageIDs(knownIDs, capacity: idMemory)
    }

    /// How many messages above a hole are held back at most. Past it a message is dropped, which loses nothing: the
    /// `resume` or the history back-fill that fills the hole sends everything after ``lastSeq`` again.
    static let maximumHeldBack = 1_000

    /// The position a store keeps across restarts.
    var position: ChatChannelPosition { ChatChannelPosition(epoch: self.epoch, lastSeq: self.lastSeq) }

    /// Continues from a position saved by an earlier session of this channel (a store), so the first `resume`
    /// asks only for what came after it.
    mutating func restore(_ position: ChatChannelPosition) {
        self.epoch = position.epoch
        self.lastSeq = position.lastSeq
    }

    private mutating func settle(_ clientMessageID: String) {
        if self.keepsSettled { self.settled.append(clientMessageID) }
    }

    /// The `client_msg_id`s settled since the last call.
    mutating func takeSettled() -> [String] {
        defer { self.settled.removeAll() }
        return self.settled
    }

    // MARK: Sending

    /// Appends a send to the queue.
    mutating func enqueue(_ send: OutgoingSend) {
        self.queue.append(send)
    }

    /// Removes a send that was never written to the server. Returns `false` when it is unknown or may already be
    /// stored (it was written; the server de-duplicates, so it arrives at most once either way).
    mutating func cancel(_ localID: ChatLocalMessageID) -> Bool {
        guard let index = self.queue.firstIndex(where: { $0.localID == localID }), !self.queue[index].everWritten
        else { return false }
        self.settle(self.queue.remove(at: index).clientMessageID)
        return true
    }

    /// A new connection: everything queued is written again, in order.
    mutating func connectionOpened() {
        for index in self.queue.indices { self.queue[index].writtenOn = nil }
    }

    /// The next send to write on connection `connection`, if one is due at `now` and `inFlight` allows; marks it
    /// written. Keeps order: it never skips a send that is waiting for its `notBefore`.
    mutating func nextSend(connection: Int, now: UInt64, maxInFlight: Int) -> OutgoingSend? {
        let inFlight = self.queue.count { $0.writtenOn == connection }
        guard inFlight < maxInFlight, let index = self.queue.firstIndex(where: { $0.writtenOn != connection }) else {
            return nil
        }
        guard self.queue[index].notBefore <= now else { return nil }
        self.queue[index].writtenOn = connection
        self.queue[index].everWritten = true
        return self.queue[index]
    }

    /// Whether a send waits to be written on `connection`.
    func hasUnwritten(connection: Int) -> Bool {
        self.queue.contains { $0.writtenOn != connection }
    }

    /// The earliest `notBefore` of the next unwritten send, when it is in the future.
    func nextDueTime(connection: Int, now: UInt64) -> UInt64? {
        guard let next = self.queue.first(where: { $0.writtenOn != connection }), next.notBefore > now else {
            return nil
        }
        return next.notBefore
    }

    /// The server stored a send (`ack`): it leaves the queue. Returns the event, or `nil` for an unknown id (a
    /// duplicate ack after a resend).
    mutating func acknowledge(_ ack: V2.Ack) -> ChatEvent? {
        guard let index = self.queue.firstIndex(where: { $0.clientMessageID == ack.clientMessageID }) else {
            return nil
        }
        let send = self.queue.remove(at: index)
        self.settle(send.clientMessageID)
        if ack.seq > self.lastSeq {
            self.acknowledged.append((ack.seq, send.clientMessageID, send.localID))
            if self.acknowledged.count > self.knownIDs.capacity {
                self.acknowledged.removeFirst(self.acknowledged.count / 2)
            }
        }
        return .sendAcknowledged(send.localID, seq: ack.seq)
    }

    /// A send was refused. Temporary errors keep it queued (written again after `retryAt`); others fail it.
    mutating func refuse(clientMessageID: String, error: ChatError, temporary: Bool, retryAt: UInt64) -> ChatEvent? {
        guard let index = self.queue.firstIndex(where: { $0.clientMessageID == clientMessageID }) else { return nil }
        if temporary {
            self.queue[index].writtenOn = nil
            self.queue[index].notBefore = retryAt
            return nil
        }
        let send = self.queue.remove(at: index)
        self.settle(send.clientMessageID)
        return .sendFailed(send.localID, error)
    }

    /// Fails every queued send (the channel ended, or the session ended for good).
    mutating func failAll(_ error: ChatError) -> [ChatEvent] {
        defer { self.queue.removeAll() }
        return self.queue.map { .sendFailed($0.localID, error) }
    }

    // MARK: Receiving

    /// A ledger without a position yet takes the channel's epoch from the connection's `hello`: live pushes can
    /// overtake the `resumed` reply, and a position saved after them must name the epoch their `seq`s belong to
    /// (a saved `{epoch: "", last_seq: 2}` would be refused as `epoch_changed` after a restart and replayed).
    mutating func adoptEpochIfUnknown(_ epoch: String) {
        if self.epoch.isEmpty, self.lastSeq == 0 { self.epoch = epoch }
    }

    /// The connection's `hello` named the channel's epoch; a different one than ours means our `seq`s are void.
    /// Returns the `resume` to send first.
    func resumeCommand() -> V2.ResumeCommand {
        V2.ResumeCommand(afterSeq: self.lastSeq, epoch: self.epoch)
    }

    /// Interprets the `resumed` reply.
    mutating func resumed(_ reply: V2.Resumed) -> ResumeOutcome {
        if reply.resumed {
            self.epoch = reply.epoch
            return .replaying
        }
        // too_old (or a reason this version does not know) in our epoch, below the server's last seq: our position
        // still holds; fetch what we missed after it.
        if reply.epoch == self.epoch, !self.epoch.isEmpty, reply.reason != "ahead_of_server",
            self.lastSeq <= reply.lastSeq
        {
            return .backfill(afterSeq: self.lastSeq)
        }
        // epoch_changed or ahead_of_server: our position is void. Start over in the server's epoch; message ids keep
        // already-delivered messages from repeating.
        self.restart(epoch: reply.epoch)
        return .backfill(afterSeq: 0)
    }

    /// Drops the position: `seq`s of another epoch mean nothing (message ids still de-duplicate).
    private mutating func restart(epoch: String) {
        self.epoch = epoch
        self.lastSeq = 0
        self.heldBack.removeAll()
        self.ownUnseen.removeAll()
        self.acknowledged = self.acknowledged.map { (0, $0.clientMessageID, $0.localID) }
    }

    /// One page of a back-fill (history paged forward with `after_seq`). Returns the events to deliver, in order,
    /// and the `after_seq` of the next page, or `nil` when the back-fill reached the channel's `last_seq`.
    ///
    /// A page from another epoch (the history was reset while paging) restarts the back-fill from the start of that
    /// epoch.
    mutating func backfill(_ page: V2.HistoryPage) -> (events: [ChatEvent], nextAfterSeq: UInt64?) {
        if page.epoch != self.epoch {
            self.restart(epoch: page.epoch)
            return ([], 0)
        }
        var events: [ChatEvent] = []
        for message in page.messages { events += self.receive(message).events }
        guard let last = page.messages.last, last.seq < page.lastSeq else { return (events, nil) }
        return (events, max(last.seq, self.lastSeq))
    }

    /// A `message` push (live or replayed). Returns the events to deliver, in order, and whether a gap is pending.
    mutating func receive(_ message: V2.ChatMessage) -> (events: [ChatEvent], hasGap: Bool) {
        if message.seq <= self.lastSeq { return ([], !self.heldBack.isEmpty) }
        if message.seq > self.lastSeq + 1 {
            if self.heldBack.count < Self.maximumHeldBack { self.heldBack[message.seq] = message }
            return ([], true)
        }
        var events = self.deliver(message)
        while let next = self.heldBack.removeValue(forKey: self.lastSeq + 1) {
            events += self.deliver(next)
        }
        return (events, !self.heldBack.isEmpty)
    }

    private mutating func deliver(_ message: V2.ChatMessage) -> [ChatEvent] {
        self.lastSeq = message.seq
        // An acknowledged send whose push went by unmatched (its id was already known) is done with.
        defer { self.acknowledged.removeAll { $0.seq != 0 && $0.seq <= self.lastSeq } }
        guard self.knownIDs.insert(message.messageID), var chat = ChatMessage(v2: message) else { return [] }
        var events: [ChatEvent] = []
        if message.userID == self.selfID {
            let key = message.clientMessageID
            if let index = self.acknowledged.firstIndex(where: {
                key.isEmpty ? $0.seq == message.seq : $0.clientMessageID == key
            }) {
                chat.localID = self.acknowledged.remove(at: index).localID
            } else if !key.isEmpty, let index = self.queue.firstIndex(where: { $0.clientMessageID == key }) {
                // Stored before a crash or a drop swallowed the ack: the replayed message is the confirmation.
                let send = self.queue.remove(at: index)
                self.settle(send.clientMessageID)
                chat.localID = send.localID
                events.append(.sendAcknowledged(send.localID, seq: message.seq))
            }
        }
        if message.userID == self.selfID, !message.seen {
            self.ownUnseen.append((message.seq, message.messageID))
            if self.ownUnseen.count > self.knownIDs.capacity {
                self.ownUnseen.removeFirst(self.ownUnseen.count / 2)
            }
        }
        events.append(.message(chat))
        return events
    }

    /// A `seen` push: `reader` has seen the other member's messages up to `upToSeq`. Returns one
    /// ``ChatEvent/seen(messageID:authorID:)`` per own message that became seen (the v1 shape of the event).
    mutating func seen(by reader: UserID, upToSeq: UInt64) -> [ChatEvent] {
        guard reader != self.selfID else { return [] }
        let newlySeen = self.ownUnseen.filter { $0.seq <= upToSeq }
        self.ownUnseen.removeAll { $0.seq <= upToSeq }
        return newlySeen.map { .seen(messageID: $0.id, authorID: self.selfID) }
    }
}
