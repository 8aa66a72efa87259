import Testing

@testable import ChatClientSDK

@Suite("V2Ledger: seq order, de-duplication and the outgoing queue (no sockets)")
struct V2LedgerTests {
    let me = UserID(1)
    let peer = UserID(2)

    func message(_ seq: UInt64, from user: UserID, key: String = "", id: UInt64? = nil) -> V2.ChatMessage {
        V2.ChatMessage(
            messageID: MessageID(id ?? 100 + seq),
            seq: seq,
            userID: user,
            content: .text("m\(seq)"),
            time: 1,
            clientMessageID: key
        )
    }

    func seqs(_ events: [ChatEvent]) -> [UInt64] {
        events.compactMap { if case .message(let m) = $0 { m.seq } else { nil } }
    }

    /// The local ids of the delivered messages (`nil` for a message not matched to a send of ours).
    func localIDs(_ events: [ChatEvent]) -> [ChatLocalMessageID?] {
        events.compactMap { if case .message(let m) = $0 { m.localID } else { nil } }
    }

    @Test("delivers each seq once, in order, holding back messages above a hole")
    func ordering() {
        var ledger = V2Ledger(selfID: self.me)
        #expect(self.seqs(ledger.receive(self.message(1, from: self.peer)).events) == [1])
        let early = ledger.receive(self.message(3, from: self.peer))
        #expect(early.events.isEmpty && early.hasGap)
        #expect(self.seqs(ledger.receive(self.message(1, from: self.peer)).events).isEmpty, "a repeat is dropped")
        let filled = ledger.receive(self.message(2, from: self.peer))
        #expect(self.seqs(filled.events) == [2, 3] && !filled.hasGap)
        #expect(ledger.resumeCommand() == V2.ResumeCommand(afterSeq: 3, epoch: ""))
    }

    @Test("a fresh ledger takes hello's epoch, so pushes that overtake the resumed reply save a usable position")
    func freshLedgerAdoptsHelloEpoch() {
        var ledger = V2Ledger(selfID: self.me)
        ledger.adoptEpochIfUnknown("e1")
        #expect(ledger.resumeCommand() == V2.ResumeCommand(afterSeq: 0, epoch: "e1"))
        // Live pushes before the `resumed` reply: the saved position names the epoch of their seqs.
        _ = ledger.receive(self.message(1, from: self.peer))
        _ = ledger.receive(self.message(2, from: self.peer))
        #expect(ledger.position == ChatChannelPosition(epoch: "e1", lastSeq: 2))
        // A restored position keeps its own epoch: the resume decides whether it still holds.
        var restored = V2Ledger(selfID: self.me)
        restored.restore(ChatChannelPosition(epoch: "e0", lastSeq: 5))
        restored.adoptEpochIfUnknown("e1")
        #expect(restored.resumeCommand() == V2.ResumeCommand(afterSeq: 5, epoch: "e0"))
    }

    @Test("resumed:false in the same epoch back-fills after our position; pages continue up to last_seq")
    func backfillSameEpoch() {
        var ledger = V2Ledger(selfID: self.me)
        _ = ledger.resumed(V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0))
        _ = ledger.receive(self.message(1, from: self.peer))
        _ = ledger.receive(self.message(2, from: self.peer))
        let outcome = ledger.resumed(V2.Resumed(resumed: false, reason: "too_old", epoch: "e1", lastSeq: 5))
        #expect(outcome == .backfill(afterSeq: 2))
        let first = ledger.backfill(
            V2.HistoryPage(
                messages: [self.message(3, from: self.peer), self.message(4, from: self.peer)],
                epoch: "e1",
                lastSeq: 5
            )
        )
        #expect(self.seqs(first.events) == [3, 4] && first.nextAfterSeq == 4)
        let overlap = ledger.backfill(
            V2.HistoryPage(
                messages: [self.message(4, from: self.peer), self.message(5, from: self.peer)],
                epoch: "e1",
                lastSeq: 5
            )
        )
        #expect(self.seqs(overlap.events) == [5], "an overlapping page delivers nothing twice")
        #expect(overlap.nextAfterSeq == nil, "the last page reached last_seq")
    }

    @Test("epoch_changed and ahead_of_server start over in the server's epoch without repeating message ids")
    func backfillFromStart() {
        for reason in ["epoch_changed", "ahead_of_server"] {
            var ledger = V2Ledger(selfID: self.me)
            _ = ledger.resumed(V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0))
            _ = ledger.receive(self.message(1, from: self.peer, id: 7))
            let epoch = reason == "epoch_changed" ? "e2" : "e1"
            let outcome = ledger.resumed(V2.Resumed(resumed: false, reason: reason, epoch: epoch, lastSeq: 0))
            #expect(outcome == .backfill(afterSeq: 0), "\(reason)")
            #expect(ledger.resumeCommand() == V2.ResumeCommand(afterSeq: 0, epoch: epoch))
            let page = ledger.backfill(
                V2.HistoryPage(
                    messages: [self.message(1, from: self.peer, id: 7), self.message(2, from: self.peer, id: 8)],
                    epoch: epoch,
                    lastSeq: 2
                )
            )
            #expect(self.seqs(page.events) == [2], "\(reason): the same id is not delivered again")
            #expect(page.nextAfterSeq == nil)
        }
    }

    @Test("a long session remembers a bounded number of ids; an epoch change's replay skips the recent ones")
    func boundedMemory() {
        var ledger = V2Ledger(selfID: self.me, idMemory: 50)
        _ = ledger.resumed(V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0))
        for seq in UInt64(1)...1000 {
            #expect(self.seqs(ledger.receive(self.message(seq, from: self.peer)).events) == [seq])
        }
        #expect(ledger.knownIDs.count == 50, "1,000 messages delivered, 50 ids remembered")
        _ = ledger.resumed(V2.Resumed(resumed: false, reason: "epoch_changed", epoch: "e2", lastSeq: 0))
        // The new epoch numbers the last 40 messages from 1 and adds one.
        let replay = (961...1001).enumerated().map { index, id in
            self.message(UInt64(index + 1), from: self.peer, id: 100 + UInt64(id))
        }
        let page = ledger.backfill(V2.HistoryPage(messages: replay, epoch: "e2", lastSeq: 41))
        #expect(self.seqs(page.events) == [41], "only the new message is delivered")
        #expect(ledger.knownIDs.count == 50)
    }

    @Test("messages above a hole are held up to a bound; the ones dropped past it come again with the hole's fill")
    func boundedHeldBack() {
        var ledger = V2Ledger(selfID: self.me)
        let limit = UInt64(V2Ledger.maximumHeldBack)
        var delivered = self.seqs(ledger.receive(self.message(1, from: self.peer)).events)
        for seq in 3...(limit + 12) {
            let outcome = ledger.receive(self.message(seq, from: self.peer))
            #expect(outcome.events.isEmpty && outcome.hasGap)
        }
        #expect(ledger.heldBack.count == V2Ledger.maximumHeldBack)
        // The resume after the hole replays everything after seq 1.
        for seq in 2...(limit + 12) {
            delivered += self.seqs(ledger.receive(self.message(seq, from: self.peer)).events)
        }
        #expect(delivered == Array(1...(limit + 12)), "every seq once, in order")
        #expect(ledger.heldBack.isEmpty)
    }

    @Test("own messages waiting for the peer's seen are bounded too; the newest are kept")
    func boundedOwnUnseen() {
        var ledger = V2Ledger(selfID: self.me, idMemory: 50)
        for seq in UInt64(1)...120 { _ = ledger.receive(self.message(seq, from: self.me)) }
        let waiting = ledger.ownUnseen.count
        #expect(waiting > 0 && waiting <= 50)
        let seen = ledger.seen(by: self.peer, upToSeq: 120).compactMap { event -> UInt64? in
            if case .seen(let id, _) = event { id.rawValue - 100 } else { nil }
        }
        #expect(seen == Array((121 - UInt64(waiting))...120), "the newest \(waiting), in order")
        #expect(ledger.seen(by: self.peer, upToSeq: 120).isEmpty, "reported once")
    }

    @Test("acknowledged sends whose push never comes are bounded; the newest still get their local id")
    func boundedAcknowledged() {
        var ledger = V2Ledger(selfID: self.me, idMemory: 50)
        _ = ledger.resumed(V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0))
        var localIDs: [ChatLocalMessageID] = []
        // A server that acknowledges sends at seqs 2, 3, … but never pushes seq 1, so none is delivered.
        for n in UInt64(1)...120 {
            let local = ChatLocalMessageID(rawValue: n)
            localIDs.append(local)
            ledger.enqueue(.init(localID: local, clientMessageID: "k\(n)", content: .text("t")))
            _ = ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)
            _ = ledger.acknowledge(V2.Ack(clientMessageID: "k\(n)", seq: n + 1))
        }
        let kept = ledger.acknowledged.count
        #expect(kept > 0 && kept <= 50, "120 acknowledged, \(kept) waiting for their push")
        // The pushes come after all: the newest sends are matched, the forgotten ones arrive without a local id.
        var delivered = self.localIDs(ledger.receive(self.message(1, from: self.peer)).events)
        for n in UInt64(1)...120 {
            delivered += self.localIDs(ledger.receive(self.message(n + 1, from: self.me)).events)
        }
        let matched = delivered.compactMap { $0 }
        #expect(matched == Array(localIDs.suffix(kept)), "the newest \(kept), in order")
        #expect(delivered.count == 121, "every message delivered")
        #expect(ledger.acknowledged.isEmpty)
    }

    @Test("a history page of another epoch (reset while paging) restarts the back-fill from that epoch's start")
    func backfillEpochChangesWhilePaging() {
        var ledger = V2Ledger(selfID: self.me)
        _ = ledger.resumed(V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0))
        _ = ledger.receive(self.message(1, from: self.peer, id: 7))
        #expect(
            ledger.resumed(V2.Resumed(resumed: false, reason: "too_old", epoch: "e1", lastSeq: 3))
                == .backfill(afterSeq: 1)
        )
        let reset = ledger.backfill(
            V2.HistoryPage(messages: [self.message(1, from: self.peer, id: 9)], epoch: "e2", lastSeq: 1)
        )
        #expect(reset.events.isEmpty && reset.nextAfterSeq == 0)
        let page = ledger.backfill(
            V2.HistoryPage(messages: [self.message(1, from: self.peer, id: 9)], epoch: "e2", lastSeq: 1)
        )
        #expect(self.seqs(page.events) == [1] && page.nextAfterSeq == nil)
    }

    @Test("after resumed:false the connection stays inactive until the back-fill finished")
    func backfillGatesSends() throws {
        var state = V2SessionState(selfID: self.me)
        let connection = state.beginConnection()
        try state.enqueueText("queued", localID: 1, key: "k1")
        let resume = try state.receiveHello(connection: connection)
        let refused = V2.Resumed(resumed: false, reason: "too_old", epoch: "e1", lastSeq: 4)
        let outcome = state.handle(V2.ChatServerFrame(id: resume.id, body: .resumed(refused)), now: 0)
        #expect(outcome.backfillAfterSeq == 0)
        let whileBackfilling = state.nextFrame(connection: connection, now: 0)
        #expect(whileBackfilling == nil, "no send while back-filling")
        let finished = state.backfillFinished()
        #expect(finished)
        guard case .send(let send) = state.nextFrame(connection: connection, now: 0)?.command else {
            Issue.record("expected the queued send once the back-fill finished")
            return
        }
        #expect(send.clientMessageID == "k1")
    }

    @Test("a stored position is where the first resume starts; settled sends are reported once for the store")
    func storedPositionAndSettledSends() {
        var ledger = V2Ledger(selfID: self.me)
        ledger.keepsSettled = true
        ledger.restore(ChatChannelPosition(epoch: "e1", lastSeq: 7))
        #expect(ledger.resumeCommand() == V2.ResumeCommand(afterSeq: 7, epoch: "e1"))
        #expect(ledger.receive(self.message(7, from: self.peer)).events.isEmpty, "at or below the position: not again")
        for index in 1...3 {
            ledger.enqueue(
                .init(
                    localID: ChatLocalMessageID(rawValue: UInt64(index)),
                    clientMessageID: "k\(index)",
                    content: .text("t")
                )
            )
        }
        _ = ledger.acknowledge(V2.Ack(clientMessageID: "k1", seq: 8))
        _ = ledger.refuse(
            clientMessageID: "k2",
            error: ChatError(code: .invalidParameter),
            temporary: false,
            retryAt: 0
        )
        #expect(ledger.takeSettled() == ["k1", "k2"])
        #expect(ledger.takeSettled().isEmpty)
        _ = ledger.failAll(ChatError(code: .cancelled))
        #expect(ledger.takeSettled().isEmpty, "sends failed because the session closed stay in the store")
        #expect(ledger.position == ChatChannelPosition(epoch: "e1", lastSeq: 7))
    }

    @Test("without a store, settled sends are not collected: nothing takes them")
    func settledSendsWithoutStore() {
        var ledger = V2Ledger(selfID: self.me)
        for index in 1...100 {
            let localID = ChatLocalMessageID(rawValue: UInt64(index))
            ledger.enqueue(.init(localID: localID, clientMessageID: "k\(index)", content: .text("t")))
            _ = ledger.acknowledge(V2.Ack(clientMessageID: "k\(index)", seq: UInt64(index)))
        }
        #expect(ledger.queue.isEmpty)
        #expect(ledger.takeSettled().isEmpty)
    }

    @Test("sends stay queued until acknowledged, are re-sent per connection, and keep their order")
    func sendQueue() {
        var ledger = V2Ledger(selfID: self.me)
        let a = ChatLocalMessageID(rawValue: 1)
        let b = ChatLocalMessageID(rawValue: 2)
        ledger.enqueue(.init(localID: a, clientMessageID: "ka", content: .text("a")))
        ledger.enqueue(.init(localID: b, clientMessageID: "kb", content: .text("b")))
        #expect(ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)?.clientMessageID == "ka")
        #expect(ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)?.clientMessageID == "kb")
        #expect(ledger.nextSend(connection: 1, now: 0, maxInFlight: 10) == nil)
        // The connection drops before any ack: the next one writes both again, in order, with the same ids.
        ledger.connectionOpened()
        #expect(ledger.nextSend(connection: 2, now: 0, maxInFlight: 1)?.clientMessageID == "ka")
        #expect(ledger.nextSend(connection: 2, now: 0, maxInFlight: 1) == nil, "the in-flight bound holds")
        #expect(ledger.acknowledge(V2.Ack(clientMessageID: "ka", seq: 1)) == .sendAcknowledged(a, seq: 1))
        #expect(ledger.acknowledge(V2.Ack(clientMessageID: "ka", seq: 1)) == nil, "a duplicate ack is ignored")
        let echo = ledger.receive(self.message(1, from: self.me, key: "ka")).events
        #expect(echo.count == 1)
        if case .message(let message) = echo.first { #expect(message.localID == a) }
        // The replayed message of b (stored before a crash swallowed its ack) confirms it.
        let events = ledger.receive(self.message(2, from: self.me, key: "kb")).events
        #expect(events.first == .sendAcknowledged(b, seq: 2))
        #expect(ledger.queue.isEmpty)
    }

    @Test("the push after an ack, which leaves out the client_msg_id, is matched to its send by seq")
    func keylessPushAfterAck() {
        var ledger = V2Ledger(selfID: self.me)
        let a = ChatLocalMessageID(rawValue: 1)
        let b = ChatLocalMessageID(rawValue: 2)
        ledger.enqueue(.init(localID: a, clientMessageID: "ka", content: .text("a")))
        ledger.enqueue(.init(localID: b, clientMessageID: "kb", content: .text("b")))
        _ = ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)
        _ = ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)
        #expect(ledger.acknowledge(V2.Ack(clientMessageID: "ka", seq: 1)) == .sendAcknowledged(a, seq: 1))
        #expect(ledger.acknowledge(V2.Ack(clientMessageID: "kb", seq: 3)) == .sendAcknowledged(b, seq: 3))
        #expect(self.localIDs(ledger.receive(self.message(1, from: self.me)).events) == [a])
        // seq 2 is the peer's; an own message without a key at an unacknowledged seq gets no local id.
        #expect(self.localIDs(ledger.receive(self.message(2, from: self.peer)).events) == [nil])
        // A server that still sends the key on the acknowledged connection is matched by the key.
        #expect(self.localIDs(ledger.receive(self.message(3, from: self.me, key: "kb")).events) == [b])
        #expect(self.localIDs(ledger.receive(self.message(4, from: self.me)).events) == [nil], "each local id once")
    }

    @Test("after an epoch change an acknowledged send is matched only by its key, not by a seq of the old epoch")
    func epochChangeVoidsAcknowledgedSeq() {
        var ledger = V2Ledger(selfID: self.me)
        ledger.restore(ChatChannelPosition(epoch: "e1", lastSeq: 4))
        let a = ChatLocalMessageID(rawValue: 1)
        ledger.enqueue(.init(localID: a, clientMessageID: "ka", content: .text("a")))
        _ = ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)
        _ = ledger.acknowledge(V2.Ack(clientMessageID: "ka", seq: 5))
        // The push was lost with the connection; the next one finds the history reset.
        #expect(
            ledger.resumed(V2.Resumed(resumed: false, reason: "epoch_changed", epoch: "e2")) == .backfill(afterSeq: 0)
        )
        for seq in UInt64(1)...4 {
            #expect(self.localIDs(ledger.receive(self.message(seq, from: self.me, id: 200 + seq)).events) == [nil])
        }
        #expect(self.localIDs(ledger.receive(self.message(5, from: self.me, id: 205)).events) == [nil], "seq 5 of e2")
        #expect(self.localIDs(ledger.receive(self.message(6, from: self.me, key: "ka", id: 206)).events) == [a])
    }

    @Test("cancel only withdraws unwritten sends; permanent refusals fail, temporary ones wait")
    func cancelAndRefuse() {
        var ledger = V2Ledger(selfID: self.me)
        let a = ChatLocalMessageID(rawValue: 1)
        let b = ChatLocalMessageID(rawValue: 2)
        let c = ChatLocalMessageID(rawValue: 3)
        ledger.enqueue(.init(localID: a, clientMessageID: "ka", content: .text("a")))
        ledger.enqueue(.init(localID: b, clientMessageID: "kb", content: .text("b")))
        ledger.enqueue(.init(localID: c, clientMessageID: "kc", content: .text("c")))
        _ = ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)
        let cancelledA = ledger.cancel(a)
        let cancelledC = ledger.cancel(c)
        #expect(!cancelledA, "a was written: it may be stored")
        #expect(cancelledC)
        let full = ChatError(code: .messageCapReached)
        #expect(
            ledger.refuse(clientMessageID: "ka", error: full, temporary: false, retryAt: 0) == .sendFailed(a, full)
        )
        _ = ledger.nextSend(connection: 1, now: 0, maxInFlight: 10)
        let limited = ChatError(code: .rateLimited)
        #expect(ledger.refuse(clientMessageID: "kb", error: limited, temporary: true, retryAt: 500) == nil)
        #expect(ledger.nextSend(connection: 1, now: 100, maxInFlight: 10) == nil, "not before retry_after_ms")
        #expect(ledger.nextSend(connection: 1, now: 500, maxInFlight: 10)?.clientMessageID == "kb")
    }

    @Test("a seen push reports each own message once")
    func seen() {
        var ledger = V2Ledger(selfID: self.me)
        _ = ledger.receive(self.message(1, from: self.me))
        _ = ledger.receive(self.message(2, from: self.peer))
        _ = ledger.receive(self.message(3, from: self.me))
        #expect(ledger.seen(by: self.peer, upToSeq: 2) == [.seen(messageID: MessageID(101), authorID: self.me)])
        #expect(ledger.seen(by: self.peer, upToSeq: 3) == [.seen(messageID: MessageID(103), authorID: self.me)])
        #expect(ledger.seen(by: self.peer, upToSeq: 3).isEmpty)
    }
}

@Suite("V2SessionState: hello, resume and send pacing (no sockets)")
struct V2SessionStateTests {
    @Test("the alarm's deadline: none while idle; a typing indicator's expiry; the per-second budget; retry advice")
    func timerDeadline() throws {
        var state = V2SessionState(selfID: UserID(1))
        let connection = state.beginConnection()
        let resume = try state.receiveHello(connection: connection)
        let resumed = V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0)
        _ = state.handle(V2.ChatServerFrame(id: resume.id, body: .resumed(resumed)), now: 0)
        #expect(state.nextTimerDeadline(now: 0) == nil, "an idle connection needs no timer")
        _ = state.handle(V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: UserID(2), typing: true))), now: 100)
        #expect(state.nextTimerDeadline(now: 100) == 5_100, "typing_timeout_ms (5 s by default) after it started")
        _ = state.handle(V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: UserID(2), typing: false))), now: 200)
        #expect(state.nextTimerDeadline(now: 200) == nil)

        // The default budget is 20 sends a second: the 21st waits until a second after the first one's reply.
        for index in 1...21 {
            try state.enqueueText("m\(index)", localID: UInt64(index), key: "k\(index)", maxQueued: 30)
        }
        var sends: [V2.ChatClientFrame] = []
        while let frame = state.nextFrame(connection: connection, now: 300) { sends.append(frame) }
        #expect(sends.count == 20)
        #expect(state.nextTimerDeadline(now: 300) == nil, "no reply yet: the reply, not the clock, comes next")
        let ack = V2.Ack(clientMessageID: "k1", seq: 1)
        let outcome = state.handle(V2.ChatServerFrame(id: sends[0].id, body: .ack(ack)), now: 400)
        #expect(outcome.wake, "a reply wakes the writer while a send waits")
        #expect(state.nextFrame(connection: connection, now: 400) == nil)
        #expect(state.nextTimerDeadline(now: 400) == 1_400)

        // A refusal with retry advice: the send is due again after it.
        let limited = V2.Error(code: V2.Error.Code(.rateLimited), temporary: true, retryAfterMs: 300)
        _ = state.handle(V2.ChatServerFrame(id: sends[1].id, body: .error(limited)), now: 500)
        #expect(state.nextTimerDeadline(now: 500) == 800)
    }

    @Test("resume is the first command; sends wait for it and are paced by the server's replies")
    func pacing() throws {
        var state = V2SessionState(selfID: UserID(1))
        let connection = state.beginConnection()
        for index in 0..<3 {
            try state.enqueueText("m\(index)", localID: UInt64(index), key: "k\(index)", maxQueued: 100)
        }
        #expect(state.nextFrame(connection: connection, now: 0) == nil, "nothing before hello")
        let hello = V2.Hello(version: 2, limits: V2.Limits(maxSendsPerSecond: 2), epoch: "e1")
        _ = state.handle(V2.ChatServerFrame(body: .hello(hello)), now: 0)
        let resumeFrame = state.nextFrame(connection: connection, now: 0)
        let resume = try #require(resumeFrame)
        // A fresh session resumes in the epoch hello named (`adoptEpochIfUnknown`).
        #expect(resume.command == .resume(V2.ResumeCommand(afterSeq: 0, epoch: "e1")))
        #expect(state.nextFrame(connection: connection, now: 0) == nil, "no send before resumed")
        let resumed = V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0)
        _ = state.handle(V2.ChatServerFrame(id: resume.id, body: .resumed(resumed)), now: 0)
        let firstFrame = state.nextFrame(connection: connection, now: 0)
        let secondFrame = state.nextFrame(connection: connection, now: 0)
        let first = try #require(firstFrame)
        #expect(secondFrame != nil)
        #expect(state.nextFrame(connection: connection, now: 5000) == nil, "the first send is not answered yet")
        let ack = V2.Ack(clientMessageID: "k0", seq: 1)
        _ = state.handle(V2.ChatServerFrame(id: first.id, body: .ack(ack)), now: 100)
        #expect(state.nextFrame(connection: connection, now: 1099) == nil, "a second after the reply, not before")
        let third = state.nextFrame(connection: connection, now: 1100)
        guard case .send(let send) = third?.command else {
            Issue.record("expected the third send, got \(String(describing: third))")
            return
        }
        #expect(send.clientMessageID == "k2")
    }

    @Test("pings that arrive while a pong waits to be written are answered by that one pong")
    func pongsDoNotPileUp() {
        var state = V2SessionState(selfID: UserID(1))
        let connection = state.beginConnection()
        let hello = V2.Hello(version: 2, limits: V2.Limits(), epoch: "e1")
        _ = state.handle(V2.ChatServerFrame(body: .hello(hello)), now: 0)
        for _ in 0..<1000 { _ = state.handle(V2.ChatServerFrame(body: .ping(V2.Ping())), now: 0) }
        var frames: [V2.ChatClientFrame] = []
        while let frame = state.nextFrame(connection: connection, now: 0) { frames.append(frame) }
        #expect(frames.filter { $0.command == .pong(V2.Pong()) }.count == 1)
        _ = state.handle(V2.ChatServerFrame(body: .ping(V2.Ping())), now: 0)
        #expect(state.nextFrame(connection: connection, now: 0)?.command == .pong(V2.Pong()), "a later ping, a pong")
    }
}

@Suite("V2SessionState: replies the server never sends")
struct V2UnansweredCommandTests {
    static func started() -> (V2SessionState, Int) {
        var state = V2SessionState(selfID: UserID(1))
        let connection = state.beginConnection()
        let hello = V2.Hello(version: 2, limits: V2.Limits(), epoch: "e1")
        _ = state.handle(V2.ChatServerFrame(body: .hello(hello)), now: 0)
        let resume = state.nextFrame(connection: connection, now: 0)
        _ = state.handle(
            V2.ChatServerFrame(id: resume?.id ?? 0, body: .resumed(V2.Resumed(resumed: true, epoch: "e1"))),
            now: 0
        )
        return (state, connection)
    }

    @Test("receipts and typing a server never answers are remembered up to a bound; a send's reply still counts")
    func unansweredNoticesAreBounded() throws {
        var (state, connection) = Self.started()
        #expect(state.unansweredCommands == 0)
        try state.enqueueText("hi", localID: 1, key: "k1", maxQueued: 10)
        let sendFrame = state.nextFrame(connection: connection, now: 0)
        let send = try #require(sendFrame)
        var written = 0
        for seq in UInt64(1)...5000 {
            state.markSeen(upTo: seq)
            if state.nextFrame(connection: connection, now: seq) != nil { written += 1 }
            if seq % 1000 == 0 {
                _ = try state.typing(true, now: seq * 1000)
                if state.nextFrame(connection: connection, now: seq) != nil { written += 1 }
            }
        }
        #expect(written == 5005, "every receipt and indicator written")
        let waiting = state.unansweredCommands
        #expect(waiting == V2SessionState.maximumUnansweredNotices + 1, "the notices' bound, and the send")
        // The send's refusal is still matched to it.
        let refusal = V2.ChatServerFrame(
            id: send.id,
            body: .error(V2.Error(code: V2.Error.Code(.invalidParameter), message: "no", temporary: false))
        )
        let outcome = state.handle(refusal, now: 6000)
        #expect(outcome.events.contains { if case .sendFailed = $0 { true } else { false } })
        #expect(state.unansweredCommands == V2SessionState.maximumUnansweredNotices)
    }

    @Test("an error reply to a command no longer waited for is ignored, not taken as the push before a close")
    func unmatchedErrorReply() {
        var (state, _) = Self.started()
        let late = V2.ChatServerFrame(
            id: 4242,
            body: .error(
                V2.Error(code: V2.Error.Code(.rateLimited), message: "slow", temporary: true, retryAfterMs: 9000)
            )
        )
        #expect(state.handle(late, now: 0).events.isEmpty)
        #expect(state.errorRetryAfter == nil)
        let push = V2.ChatServerFrame(
            id: 0,
            body: .error(
                V2.Error(code: V2.Error.Code(.rateLimited), message: "slow", temporary: true, retryAfterMs: 9000)
            )
        )
        _ = state.handle(push, now: 0)
        #expect(state.errorRetryAfter == .milliseconds(9000), "a push (id 0) still sets the reconnect's advice")
    }
}

@Suite("V2SessionState: typing indicators")
struct V2TypingExpiryTests {
    static func typing(_ user: UInt64, _ on: Bool) -> V2.ChatServerFrame {
        V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: UserID(user), typing: on)))
    }

    @Test("an indicator the server does not refresh ends locally after typing_timeout_ms (5 s by default)")
    func expiresLocally() {
        var state = V2SessionState(selfID: UserID(1))
        #expect(state.handle(Self.typing(2, true), now: 1_000).events == [.typingStarted(UserID(2))])
        #expect(state.expireTyping(now: 5_999).isEmpty, "not yet")
        _ = state.handle(Self.typing(2, true), now: 4_000)  // a refresh moves the deadline
        #expect(state.expireTyping(now: 8_999).isEmpty)
        #expect(state.expireTyping(now: 9_000) == [UserID(2)])
        #expect(state.expireTyping(now: 20_000).isEmpty, "reported once")
        #expect(state.handle(Self.typing(2, false), now: 20_001).events.isEmpty, "no second typingStopped")
    }

    @Test("the indicators followed are bounded: a server naming ever more users is not followed further")
    func boundedUsers() {
        var state = V2SessionState(selfID: UserID(1))
        let limit = UInt64(V2SessionState.maximumTypingUsers)
        for user in 2...(limit + 101) { _ = state.handle(Self.typing(user, true), now: 0) }
        #expect(state.typingSince.count == V2SessionState.maximumTypingUsers)
        #expect(state.handle(Self.typing(2, true), now: 10).events == [.typingStarted(UserID(2))], "a known one")
        #expect(state.handle(Self.typing(limit + 101, true), now: 10).events.isEmpty, "not followed")
        _ = state.handle(Self.typing(2, false), now: 20)
        #expect(state.handle(Self.typing(limit + 101, true), now: 30).events == [.typingStarted(UserID(limit + 101))])
    }

    @Test("typing:false from the server ends the indicator at once, and only once")
    func serverStop() {
        var state = V2SessionState(selfID: UserID(1))
        _ = state.handle(Self.typing(2, true), now: 0)
        #expect(state.handle(Self.typing(2, false), now: 10).events == [.typingStopped(UserID(2))])
        #expect(state.expireTyping(now: 100_000).isEmpty)
    }
}
