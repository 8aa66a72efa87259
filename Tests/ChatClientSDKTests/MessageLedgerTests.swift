import Testing

@testable import ChatClientSDK

@Suite("Message ledger: exactly once, in order, echoes confirm sends")
struct MessageLedgerTests {
    let me = UserID(10)
    let peer = UserID(20)

    func text(_ id: UInt64, _ user: UserID, _ payload: String) -> V1.Message {
        V1.Message(messageID: MessageID(id), event: .text, userID: user, payload: payload, seen: false, time: 1000)
    }

    func ids(_ events: [ChatEvent]) -> [UInt64] {
        events.compactMap { if case .message(let m) = $0 { m.id.rawValue } else { nil } }
    }

    @Test("a live duplicate is dropped")
    func liveDuplicate() {
        var ledger = MessageLedger(selfID: self.me)
        #expect(self.ids(ledger.receive(self.text(1, self.peer, "a"))) == [1])
        #expect(ledger.receive(self.text(1, self.peer, "a")).isEmpty)
    }

    @Test("the echo of a send confirms it and carries its local id")
    func echoConfirms() {
        var ledger = MessageLedger(selfID: self.me)
        ledger.activateWriter()
        ledger.enqueue(.init(localID: .init(rawValue: 7), event: .text, payload: "hi"))
        #expect(ledger.nextOutbound() == .message(.init(localID: .init(rawValue: 7), event: .text, payload: "hi")))
        let events = ledger.receive(self.text(5, self.me, "hi"))
        guard case .message(let message) = events.first else {
            Issue.record("expected a message")
            return
        }
        #expect(message.localID == ChatLocalMessageID(rawValue: 7))
        #expect(ledger.pending.isEmpty)
    }

    @Test("backfill delivers only unknown messages, oldest first, and skips what live already delivered")
    func backfill() {
        var ledger = MessageLedger(selfID: self.me, knownIDs: [MessageID(1)])
        _ = ledger.receive(self.text(4, self.peer, "live"))
        let history = [4, 3, 2, 1].map { self.text($0, self.peer, "m\($0)") }
        #expect(self.ids(ledger.backfill(newestFirst: history)) == [2, 3])
        #expect(ledger.reachesKnown([self.text(3, self.peer, "")]))
    }

    @Test("a long session remembers a bounded number of ids, and still de-duplicates a reconnect's overlap")
    func boundedMemory() {
        var ledger = MessageLedger(selfID: self.me, idMemory: 50)
        let live = (1...1000).map { self.text(UInt64($0), self.peer, "m\($0)") }
        for message in live { #expect(self.ids(ledger.receive(message)) == [message.messageID.rawValue]) }
        #expect(ledger.knownIDs.count == 50, "1,000 messages delivered, 50 ids remembered")
        #expect(ledger.receive(live[999]).isEmpty, "a live repeat of a recent message is dropped")
        // The link drops; 1001...1010 are sent meanwhile. Back-filling pages newest first until a remembered id.
        let page = (961...1010).reversed().map { self.text(UInt64($0), self.peer, "m\($0)") }
        #expect(ledger.reachesKnown(page))
        #expect(self.ids(ledger.backfill(newestFirst: page)) == Array(1001...1010))
        #expect(ledger.knownIDs.count == 50)
    }

    @Test("a send persisted before the drop is confirmed by history and not resent; the rest is resent in order")
    func pendingAcrossReconnect() {
        var ledger = MessageLedger(selfID: self.me)
        ledger.activateWriter()
        ledger.enqueue(.init(localID: .init(rawValue: 1), event: .text, payload: "one"))
        ledger.enqueue(.init(localID: .init(rawValue: 2), event: .text, payload: "two"))
        _ = ledger.nextOutbound()
        _ = ledger.nextOutbound()
        ledger.deactivateWriter()
        ledger.enqueue(.init(localID: .init(rawValue: 3), event: .text, payload: "three"))
        #expect(ledger.nextOutbound() == nil, "nothing is written while disconnected")
        let events = ledger.backfill(newestFirst: [self.text(9, self.me, "one")])
        #expect(self.ids(events) == [9])
        ledger.activateWriter()
        #expect(ledger.nextOutbound() == .message(.init(localID: .init(rawValue: 2), event: .text, payload: "two")))
        #expect(ledger.nextOutbound() == .message(.init(localID: .init(rawValue: 3), event: .text, payload: "three")))
        #expect(ledger.nextOutbound() == nil)
    }

    @Test("typing actions waiting to be written are replaced by the latest; a seen receipt waits once")
    func typingAndSeenDoNotPileUp() {
        var ledger = MessageLedger(selfID: self.me)
        ledger.activateWriter()
        for index in 0..<1000 { _ = ledger.enqueueTyping(index % 2 == 0 ? .isTyping : .endTyping) }
        for _ in 0..<1000 { ledger.enqueueSeen(messageID: MessageID(3), authorID: self.peer) }
        var written: [MessageLedger.Outbound] = []
        while let frame = ledger.nextOutbound() {
            written.append(frame)
            ledger.didWrite(frame)
        }
        #expect(written == [.typing(.endTyping), .seen(messageID: MessageID(3), authorID: self.peer)])
        #expect(ledger.pendingSeen.isEmpty)
    }

    @Test("typing is dropped while disconnected; seen receipts wait for the connection")
    func typingAndSeen() {
        var ledger = MessageLedger(selfID: self.me)
        let accepted = ledger.enqueueTyping(.isTyping)
        #expect(!accepted)
        ledger.enqueueSeen(messageID: MessageID(3), authorID: self.peer)
        ledger.activateWriter()
        let seen = ledger.nextOutbound()
        #expect(seen == .seen(messageID: MessageID(3), authorID: self.peer))
        if let seen { ledger.didWrite(seen) }
        ledger.deactivateWriter()
        ledger.activateWriter()
        #expect(ledger.nextOutbound() == nil, "a written receipt is not sent again")
    }

    @Test("actions and seen events map to typed events")
    func actions() {
        var ledger = MessageLedger(selfID: self.me)
        func action(_ payload: String) -> V1.Message {
            V1.Message(
                messageID: MessageID(99),
                event: .action,
                userID: self.peer,
                payload: payload,
                seen: false,
                time: 0
            )
        }
        #expect(ledger.receive(action("istyping")) == [.typingStarted(self.peer)])
        #expect(ledger.receive(action("endtyping")) == [.typingStopped(self.peer)])
        #expect(ledger.receive(action("joined")) == [.joined(self.peer)])
        #expect(ledger.receive(action("waiting")) == [.waiting(self.peer)])
        #expect(ledger.receive(action("offline")) == [.offline(self.peer)])
        #expect(ledger.receive(action("leaved")) == [.left(self.peer)])
        #expect(ledger.receive(action("dance")) == [.action("dance", from: self.peer)])
        let seen = V1.Message(
            messageID: MessageID(100),
            event: .seen,
            userID: self.me,
            payload: "5",
            seen: true,
            time: 0
        )
        #expect(ledger.receive(seen) == [.seen(messageID: MessageID(5), authorID: self.me)])
    }
}
