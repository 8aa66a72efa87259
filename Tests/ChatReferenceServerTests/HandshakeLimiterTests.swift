import Synchronization
import Testing

@testable import ChatReferenceServer

@Suite("Handshake limiter", .timeLimit(.minutes(1)))
struct HandshakeLimiterTests {
    @Test("At most `limit` jobs run at once; the others start in arrival order as running ones end")
    func boundsAndOrder() async throws {
        let limiter = HandshakeLimiter(limit: 2)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Int.self)
        let gates = (0..<5).map { _ in AsyncStream.makeStream(of: Void.self) }
        let running = Atomic<Int>(0)
        let mostRunning = Atomic<Int>(0)
        for index in 0..<5 {
            let gate = gates[index].stream
            limiter.run {
                let now = running.add(1, ordering: .relaxed).newValue
                mostRunning.max(now, ordering: .relaxed)
                startedContinuation.yield(index)
                for await _ in gate {}  // until the test finishes this job's gate
                running.subtract(1, ordering: .relaxed)
            }
        }
        var iterator = started.makeAsyncIterator()
        var order: [Int] = []
        for _ in 0..<2 { order.append(try #require(await iterator.next())) }
        #expect(Set(order) == [0, 1])
        // Ending one running job starts exactly the next waiting one, first come first served.
        for next in 2..<5 {
            gates[order[next - 2]].continuation.finish()
            order.append(try #require(await iterator.next()))
            #expect(order.last == next)
        }
        for gate in gates { gate.continuation.finish() }
        #expect(mostRunning.load(ordering: .relaxed) == 2)
    }
}
