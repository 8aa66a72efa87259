import Testing

@testable import ChatClientSDK

@Suite("Writer slot: one writer per connection at a time; a frame that failed is written next")
struct WriterSlotTests {
    @Test("a claim excludes others until released; a closed or newer connection refuses an older writer")
    func claims() {
        var slot = WriterSlot<Int>()
        #expect(slot.claim(nil) == nil, "no connection open")
        let first = slot.open { _ in }
        #expect(slot.claim(first)?.generation == first)
        #expect(slot.claim(nil) == nil, "busy")
        slot.release(first)
        #expect(slot.claim(nil)?.generation == first)
        let second = slot.open { _ in }
        #expect(second != first)
        #expect(slot.claim(first) == nil, "the old connection's writer stops")
        #expect(slot.claim(second)?.generation == second, "a new connection starts unclaimed")
        slot.release(first)  // a late release of the old writer changes nothing
        #expect(slot.claim(nil) == nil)
        slot.close()
        slot.release(second)
        #expect(slot.claim(nil) == nil, "closed")
    }

    @Test("the v1 ledger puts a frame that could not be written back in front; not after the connection ended")
    func putBack() {
        var ledger = MessageLedger(selfID: UserID(1))
        ledger.activateWriter()
        let a = MessageLedger.PendingSend(localID: .init(rawValue: 1), event: .text, payload: "a")
        let b = MessageLedger.PendingSend(localID: .init(rawValue: 2), event: .text, payload: "b")
        ledger.enqueue(a)
        ledger.enqueue(b)
        let taken = ledger.nextOutbound()
        #expect(taken == .message(a))
        ledger.putBack(.message(a))
        #expect(ledger.nextOutbound() == .message(a))
        #expect(ledger.nextOutbound() == .message(b))
        ledger.deactivateWriter()
        ledger.putBack(.message(a))
        #expect(ledger.nextOutbound() == nil)
    }
}
