import ChatProtocol

/// The one FIFO wait list of both match websockets (PROTOCOL.md §5.2, §5.4, §5.6), without upstream's ghosts
/// (D4, D17, D46).
///
/// Every waiting user holds one **ticket**. A v1 user gets one when their first match socket connects (a second
/// socket changes nothing) and is treated as having confirmed at pairing time; a v2 user gets one with `enqueue`
/// (or `next`), tied to that connection. The two oldest tickets whose users did not block each other are paired into
/// a **proposal** (RC-MATCH-BLOCK-1); when every
/// participant has confirmed, the channel is created and each user gets their result (v1: the one v1 token and close
/// 1000; v2: `matched` with their own v2 token). A proposal that falls through puts the live peer back at the
/// **head** of the list. A ticket ends with its connection, whatever ended it.
actor Matchmaker {
    /// What the matchmaker needs from the rest of the server.
    struct Services: Sendable {
        var newID: @Sendable () -> UInt64
        /// Creates a channel with these members.
        var createChannel: @Sendable ([UserID]) async throws -> ChannelID
        /// Drops a channel created for a proposal that fell through meanwhile.
        var discardChannel: @Sendable (ChannelID) async -> Void
        /// The v1 token of a channel (§3.2).
        var v1Token: @Sendable (ChannelID) -> String
        /// A v2 token and its `exp` (seconds) for a member (§3.3).
        var v2Token: @Sendable (ChannelID, UserID) -> (token: String, expiresAt: Int64)
        /// Called once per created match.
        var onMatched: @Sendable () -> Void
        /// Whether either user blocked the other (``BlockLists/eitherBlocks(_:_:)``): such a pair is never proposed.
        var eitherBlocks: @Sendable (UserID, UserID) -> Bool = { _, _ in false }
        /// Whether the user's account was deleted (``BlockLists/isForgotten(_:)``): its connections are refused.
        var isDeleted: @Sendable (UserID) -> Bool = { _ in false }
        var waitTimeout: Duration
        var confirmTimeout: Duration
    }

    private struct V2Socket {
        var user: UserID
        var outbox: Outbox
        var encoding: FrameEncoding
    }

    private struct Ticket {
        var id: UInt64
        /// The v2 connection holding the ticket; `nil` for a v1 user (kept alive by any of their v1 sockets).
        var socket: Int?
        var created: ContinuousClock.Instant
        var proposal: UInt64?
    }

    private struct Proposal {
        var users: [UserID]
        var confirmed: Set<UserID>
        var deadline: ContinuousClock.Instant
        var isCreating = false
    }

    private let services: Services
    private var queue: [UserID] = []
    /// Users in ``queue`` not yet checked against everyone waiting. Every other pair in the queue is blocked (one of
    /// them blocked the other), so pairing checks only these users: with nobody blocked, only the newcomer, against
    /// one other. Those pairs need a block each, so at most 2 × the block list limit + 1 users wait unpaired.
    private var unchecked: Set<UserID> = []
    private var v1Sockets: [UserID: [Int: Outbox]] = [:]
    private var v2Sockets: [Int: V2Socket] = [:]
    private var tickets: [UserID: Ticket] = [:]
    private var proposals: [UInt64: Proposal] = [:]
    private var nextSocketID = 0
    private var isShuttingDown = false
    /// The `ok` owed to a socket's last `confirm` (its command id) while the channel is being created: sent right
    /// before the next frame to that socket, or when the creation ends.
    private var heldConfirmations: [Int: UInt32] = [:]

    /// Yields when a ticket is created, for ``MatchTimers``-style drivers that sleep while nothing can time out.
    nonisolated let ticketCreated: AsyncStream<Void>
    private nonisolated let ticketSignal: AsyncStream<Void>.Continuation

    init(services: Services) {
        self.services = services
        (self.ticketCreated, self.ticketSignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Whether ``tick()`` has anything to time out: a ticket (waiting, or in a proposal) exists.
    var hasTimedWork: Bool { !self.tickets.isEmpty || !self.proposals.isEmpty }

    /// The users waiting, oldest first (users in a pending proposal are not waiting).
    var waitingUsers: [UserID] { self.queue }

    /// The number of match sockets (v1 and v2) the user has open.
    func connectionCount(_ user: UserID) -> Int {
        (self.v1Sockets[user]?.count ?? 0) + self.v2Sockets.values.filter { $0.user == user }.count
    }

    // MARK: v1

    /// Registers a v1 match socket and enqueues its user unless they already hold a ticket (RC-MATCH1-2). Returns the
    /// socket's id, or `nil` when the server is shutting down or the user's account was deleted.
    func connectV1(_ user: UserID, outbox: Outbox) async -> Int? {
        guard !self.isShuttingDown, !self.services.isDeleted(user) else { return nil }
        self.nextSocketID += 1
        let id = self.nextSocketID
        self.v1Sockets[user, default: [:]][id] = outbox
        if self.tickets[user] == nil {
            self.tickets[user] = Ticket(id: self.services.newID(), socket: nil, created: .now)
            self.ticketSignal.yield()
            self.queueUp(user)
            await self.pairWaiting()
        }
        return id
    }

    /// Removes a v1 match socket; the user's ticket ends with their last one (RC-MATCH1-5).
    func disconnectV1(_ user: UserID, connection: Int) async {
        guard self.v1Sockets[user]?.removeValue(forKey: connection) != nil else { return }
        guard self.v1Sockets[user]?.isEmpty == true else { return }
        self.v1Sockets[user] = nil
        if let ticket = self.tickets[user], ticket.socket == nil {
            self.removeTicket(of: user, peerReason: "peer_disconnected")
            await self.pairWaiting()
        }
    }

    // MARK: v2

    /// Registers a v2 match socket (no ticket yet, §5.3). Returns its id, or `nil` when shutting down or the user's
    /// account was deleted.
    func connectV2(_ user: UserID, outbox: Outbox, encoding: FrameEncoding) -> Int? {
        guard !self.isShuttingDown, !self.services.isDeleted(user) else { return nil }
        self.nextSocketID += 1
        self.v2Sockets[self.nextSocketID] = V2Socket(user: user, outbox: outbox, encoding: encoding)
        return self.nextSocketID
    }

    /// Removes a v2 match socket and the ticket it holds (RC-MATCH-ENQ-2); a pending proposal is voided for the peer.
    func disconnectV2(_ socket: Int) async {
        guard let removed = self.v2Sockets.removeValue(forKey: socket) else { return }
        self.heldConfirmations[socket] = nil
        if self.tickets[removed.user]?.socket == socket {
            self.removeTicket(of: removed.user, peerReason: "peer_disconnected")
            await self.pairWaiting()
        }
    }

    /// `enqueue` (and the second half of `next`): replies `queued`; idempotent on the ticket's own connection; on
    /// another connection of the same user it takes the ticket over (RC-MATCH-ENQ-1, RC-MATCH-TABS-1).
    func enqueue(socket: Int, id: UInt32) async {
        guard let connection = self.v2Sockets[socket] else { return }
        let user = connection.user
        if var ticket = self.tickets[user] {
            if ticket.socket != socket {
                let pending = ticket.proposal
                if let pending { self.voidProposal(pending, leaving: user, peerReason: "peer_cancelled") }
                if let old = ticket.socket {
                    let voided = V2.MatchVoided(matchID: pending ?? 0, reason: "replaced", requeued: false)
                    self.send(.voided(voided), to: old)
                }
                ticket.socket = socket
                ticket.proposal = nil
                self.tickets[user] = ticket
                if !self.queue.contains(user) { self.queueUp(user, atHead: true) }  // keeps the head position
            }
            self.send(.queued(self.queued(ticket)), to: socket, id: id)
        } else {
            let ticket = Ticket(id: self.services.newID(), socket: socket, created: .now)
            self.tickets[user] = ticket
            self.ticketSignal.yield()
            self.queueUp(user)
            self.send(.queued(self.queued(ticket)), to: socket, id: id)
        }
        await self.pairWaiting()
    }

    /// `cancel`: always `ok`; removes the connection's ticket and voids a pending proposal for the peer
    /// (RC-MATCH-CANCEL-1).
    func cancel(socket: Int, id: UInt32) async {
        guard let connection = self.v2Sockets[socket] else { return }
        if self.tickets[connection.user]?.socket == socket {
            self.removeTicket(of: connection.user, peerReason: "peer_cancelled")
        }
        self.send(.ok(V2.Ok()), to: socket, id: id)
        await self.pairWaiting()
    }

    /// `confirm{match_id}`: `ok` for the connection's pending proposal (again for a repeat), else `NOT_FOUND`
    /// (RC-MATCH-CONFIRM-1/2). The last confirmation creates the channel.
    func confirm(socket: Int, id: UInt32, matchID: UInt64) async {
        guard let connection = self.v2Sockets[socket] else { return }
        let user = connection.user
        guard let ticket = self.tickets[user], ticket.socket == socket, ticket.proposal == matchID,
            var proposal = self.proposals[matchID]
        else {
            return self.send(.error(V2Wire.error(.notFound)), to: socket, id: id)
        }
        proposal.confirmed.insert(user)
        self.proposals[matchID] = proposal
        guard proposal.confirmed.count == proposal.users.count, !proposal.isCreating else {
            return self.send(.ok(V2.Ok()), to: socket, id: id)
        }
        // The last confirmation creates the channel; its `ok` waits for the next frame to this socket (`matched`, or
        // `voided` when the channel cannot be made), so that both go out in one write.
        self.heldConfirmations[socket] = id
        await self.complete(matchID)
        self.releaseHeldConfirmation(of: socket)
    }

    /// Sends a reply to a v2 socket (used by the route for errors it decides itself).
    func reply(_ body: V2.MatchServerFrame.Body, to socket: Int, id: UInt32) {
        self.send(body, to: socket, id: id)
    }

    // MARK: Timers

    /// Confirm timeouts (RC-MATCH-VOID-1/2) and wait timeouts (RC-MATCH-TIMEOUT-1); run every 100 ms.
    func tick() async {
        let now = ContinuousClock.now
        var changed = false
        for (matchID, proposal) in self.proposals where !proposal.isCreating && proposal.deadline <= now {
            self.proposals[matchID] = nil
            changed = true
            for user in proposal.users where self.tickets[user]?.proposal == matchID {
                self.tickets[user]?.proposal = nil
                if proposal.confirmed.contains(user) {
                    self.queueUp(user, atHead: true)
                    if let socket = self.tickets[user]?.socket {
                        self.send(.voided(.init(matchID: matchID, reason: "peer_timeout", requeued: true)), to: socket)
                    }
                } else {
                    let socket = self.tickets[user]?.socket
                    self.tickets[user] = nil
                    if let socket {
                        let voided = V2.MatchVoided(matchID: matchID, reason: "confirm_timeout", requeued: false)
                        self.send(.voided(voided), to: socket)
                    }
                }
            }
        }
        if self.services.waitTimeout > .zero {
            for (user, ticket) in self.tickets {
                guard let socket = ticket.socket, now - ticket.created >= self.services.waitTimeout,
                    ticket.proposal.map({ self.proposals[$0]?.isCreating != true }) ?? true
                else { continue }
                self.removeTicket(of: user, peerReason: "peer_disconnected")
                changed = true
                if let connection = self.v2Sockets[socket] {
                    self.send(.error(V2Wire.error(.matchTimeout)), to: socket)
                    connection.outbox.close(.matchTimeout, reason: V2Wire.closeReason(.matchTimeout))
                }
            }
        }
        // Users requeued by a channel that could not be made wait for this: they are still unchecked.
        if changed || !self.unchecked.isEmpty { await self.pairWaiting() }
    }

    /// A deleted account (``ServerState/deleteAccount(_:)``): ends its ticket (a pending proposal is voided for the
    /// peer, who goes back to the head) and closes its match sockets with 4500 `unauthorized` (v2 after an `error
    /// UNAUTHORIZED` push). The sockets leave the matcher now, so nothing they still send is served; their later
    /// disconnects find nothing to remove. The caller marks the user deleted first (``Services/isDeleted``), so no
    /// connection of it registers afterwards.
    func removeUser(_ user: UserID) async {
        let v1 = self.v1Sockets.removeValue(forKey: user) ?? [:]
        let v2 = self.v2Sockets.filter { $0.value.user == user }.keys.sorted()
        self.removeTicket(of: user, peerReason: "peer_disconnected")
        let code = V2Wire.closeCode(.unauthorized)
        // The reasons the match route gives when it refuses such a user itself: v1 the message, v2 the JSON reason.
        for outbox in v1.values { outbox.close(code, reason: ChatError.Code.unauthorized.mapping.message) }
        for socket in v2 {
            self.send(.error(V2Wire.error(.unauthorized)), to: socket)
            let connection = self.v2Sockets.removeValue(forKey: socket)
            self.heldConfirmations[socket] = nil
            connection?.outbox.close(code, reason: V2Wire.closeReason(.unauthorized))
        }
        await self.pairWaiting()
    }

    /// Refuses new sockets and closes the open ones with 1001 (v2: after `error SERVER_SHUTTING_DOWN`).
    func shutDown() {
        self.isShuttingDown = true
        for outbox in self.v1Sockets.values.flatMap(\.values) {
            outbox.close(.goingAway, reason: "server shutting down")
        }
        for (socket, connection) in self.v2Sockets {
            self.send(.error(V2Wire.error(.serverShuttingDown, retryAfterMs: 1000)), to: socket)
            connection.outbox.close(.goingAway, reason: V2Wire.closeReason(.serverShuttingDown, retryAfterMs: 1000))
        }
    }

    // MARK: Internals

    private func queued(_ ticket: Ticket) -> V2.Queued {
        V2.Queued(ticketID: ticket.id, waitTimeoutMs: UInt32(clamping: self.services.waitTimeout.milliseconds))
    }

    private func send(_ body: V2.MatchServerFrame.Body, to socket: Int, id: UInt32 = 0) {
        guard let connection = self.v2Sockets[socket] else { return }
        if !self.heldConfirmations.isEmpty { self.releaseHeldConfirmation(of: socket) }
        let bytes = V2Wire.encode(V2.MatchServerFrame(id: id, body: body), connection.encoding)
        connection.outbox.send(bytes, binary: connection.encoding == .protobuf)
    }

    /// Sends the `ok` held for the socket's last `confirm`, if any (frames keep their order: it precedes whatever the
    /// socket is sent next).
    private func releaseHeldConfirmation(of socket: Int) {
        guard let id = self.heldConfirmations.removeValue(forKey: socket) else { return }
        self.send(.ok(V2.Ok()), to: socket, id: id)
    }

    /// Ends a user's ticket; a pending proposal is voided for the peer, who goes back to the head.
    private func removeTicket(of user: UserID, peerReason: String) {
        guard let ticket = self.tickets.removeValue(forKey: user) else { return }
        self.queue.removeAll { $0 == user }
        self.unchecked.remove(user)
        if let pending = ticket.proposal { self.voidProposal(pending, leaving: user, peerReason: peerReason) }
    }

    /// Drops a proposal because `user` left it; every other participant is requeued at the head (v2: `voided`).
    private func voidProposal(_ matchID: UInt64, leaving user: UserID, peerReason: String) {
        guard let proposal = self.proposals.removeValue(forKey: matchID) else { return }
        for other in proposal.users where other != user && self.tickets[other]?.proposal == matchID {
            self.tickets[other]?.proposal = nil
            self.queueUp(other, atHead: true)
            if let socket = self.tickets[other]?.socket {
                self.send(.voided(V2.MatchVoided(matchID: matchID, reason: peerReason, requeued: true)), to: socket)
            }
        }
    }

    /// Puts `user` in the wait list, at the tail or (a voided proposal's live peer, RC-MATCH-VOID-1) at the head.
    private func queueUp(_ user: UserID, atHead: Bool = false) {
        if atHead {
            self.queue.insert(user, at: 0)
        } else {
            self.queue.append(user)
        }
        self.unchecked.insert(user)
    }

    /// Pairs waiting users while two can be paired (never a user with themselves: one ticket per user).
    private func pairWaiting() async {
        while let (first, second) = self.nextPair() {
            let matchID = self.services.newID()
            var proposal = Proposal(
                users: [first, second],
                confirmed: [],
                deadline: .now + self.services.confirmTimeout
            )
            for user in proposal.users {
                self.tickets[user]?.proposal = matchID
                if self.tickets[user]?.socket == nil { proposal.confirmed.insert(user) }  // v1: confirmed at pairing
            }
            self.proposals[matchID] = proposal
            for (user, peer) in [(first, second), (second, first)] {
                guard let socket = self.tickets[user]?.socket else { continue }
                let proposed = V2.MatchProposed(
                    matchID: matchID,
                    peerID: peer,
                    confirmTimeoutMs: UInt32(clamping: self.services.confirmTimeout.milliseconds)
                )
                self.send(.proposed(proposed), to: socket)
            }
            // A channel that cannot be made (storage failing) is tried again at the next tick, not at once: v1 users
            // are confirmed at pairing, so retrying here would spin for as long as the storage fails.
            if proposal.confirmed.count == proposal.users.count, !(await self.complete(matchID)) { break }
        }
    }

    /// The next two users to propose to each other, taken out of the list: for the earliest unchecked user, the
    /// earliest other user that neither blocked (RC-MATCH-PAIR-1, RC-MATCH-BLOCK-1), in list order. An unchecked user
    /// with nobody to pair with is checked.
    private func nextPair() -> (UserID, UserID)? {
        while !self.unchecked.isEmpty, let index = self.queue.firstIndex(where: { self.unchecked.contains($0) }) {
            let user = self.queue[index]
            let partner = self.queue.indices.first { other in
                other != index && !self.services.eitherBlocks(user, self.queue[other])
            }
            guard let partner else {
                self.unchecked.remove(user)
                continue
            }
            let (earlier, later) = (min(index, partner), max(index, partner))
            let pair = (self.queue[earlier], self.queue[later])
            self.queue.remove(at: later)
            self.queue.remove(at: earlier)
            self.unchecked.remove(pair.0)
            self.unchecked.remove(pair.1)
            return pair
        }
        return nil
    }

    /// `user`'s block list lost someone (an unblock): check them against everyone waiting again.
    func blockListShrank(of user: UserID) async {
        guard self.queue.contains(user) else { return }
        self.unchecked.insert(user)
        await self.pairWaiting()
    }

    /// Creates the channel of a fully confirmed proposal and delivers the results. The matcher decides atomically
    /// after the awaits: if a participant left meanwhile (their ticket no longer points here), the channel is
    /// discarded and the live peers were already requeued by the leave (RC-MATCH-RACE-3, RC-MATCH1-6). Returns
    /// `false` when the channel could not be created (the participants are back at the head of the list).
    @discardableResult
    private func complete(_ matchID: UInt64) async -> Bool {
        guard var proposal = self.proposals[matchID], !proposal.isCreating else { return true }
        proposal.isCreating = true
        self.proposals[matchID] = proposal
        let users = proposal.users
        let channel: ChannelID
        var v1Token: String?
        do {
            channel = try await self.services.createChannel(users)
            if users.contains(where: { self.tickets[$0]?.socket == nil }) {
                v1Token = self.services.v1Token(channel)
            }
        } catch {
            // Storage failed: every live participant goes back to the head (fixes D17).
            self.proposals[matchID] = nil
            for user in users.reversed() where self.tickets[user]?.proposal == matchID {
                self.tickets[user]?.proposal = nil
                self.queueUp(user, atHead: true)
                if let socket = self.tickets[user]?.socket {
                    self.send(.voided(.init(matchID: matchID, reason: "server_error", requeued: true)), to: socket)
                }
            }
            return false
        }
        self.proposals[matchID] = nil
        guard users.allSatisfy({ self.tickets[$0]?.proposal == matchID }) else {
            await self.services.discardChannel(channel)
            return true
        }
        for (user, peer) in [(users[0], users[1]), (users[1], users[0])] {
            guard let ticket = self.tickets.removeValue(forKey: user) else { continue }
            if let socket = ticket.socket {
                let (token, expiresAt) = self.services.v2Token(channel, user)
                let matched = V2.Matched(
                    matchID: matchID,
                    channelID: channel,
                    peerID: peer,
                    accessToken: token,
                    tokenExpiresAt: expiresAt * 1000
                )
                self.send(.matched(matched), to: socket)
            } else if let v1Token {
                for outbox in self.v1Sockets[user, default: [:]].values {
                    outbox.send(V1.MatchResult(accessToken: v1Token, peerID: peer).jsonBytes())
                    outbox.close(.normalClosure, reason: "matched")
                }
            }
        }
        self.services.onMatched()
        return true
    }
}
