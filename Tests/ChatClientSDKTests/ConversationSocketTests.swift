import Synchronization
import Testing

@testable import ChatClientSDK

/// ``ConversationSocket`` without a socket: messages handed in as the event loop would, read as the connection's
/// task would, with a receiver taking some on the "event loop".
@Suite("ConversationSocket: the event-loop receiver, the queue and its back-pressure", .timeLimit(.minutes(1)))
struct ConversationSocketTests {
    /// A receiver that records what it was offered and takes what `accepts` allows.
    final class Receiver: Sendable {
        let offered = Mutex<[WebSocketMessage]>([])
        let accepts = Mutex(true)

        func take(_ message: WebSocketMessage) -> Bool {
            self.offered.withLock { $0.append(message) }
            return self.accepts.withLock { $0 }
        }
    }

    static func text(_ index: Int) -> WebSocketMessage { .text("m\(index)") }

    static func waitUntilWaiting(_ socket: ConversationSocket) async throws {
        for _ in 0..<500 where !socket.isWaiting { try await Task.sleep(for: .milliseconds(2)) }
        try #require(socket.isWaiting)
    }

    @Test("the receiver is offered a message only while the task waits with nothing queued; the order holds")
    func receiverKeepsOrder() async throws {
        let socket = ConversationSocket(resumeReading: {})
        let receiver = Receiver()
        socket.setReceiver { receiver.take($0) }

        // No task waits: queued, not offered (the task may still be handling an earlier message).
        #expect(socket.deliver(Self.text(1)) == false)
        #expect(receiver.offered.withLock { $0 }.isEmpty)
        #expect(try await socket.receive() == Self.text(1))

        // The task waits: the receiver takes the message, the task goes on waiting.
        let waiting = Task { try await socket.receive() }
        try await Self.waitUntilWaiting(socket)
        _ = socket.deliver(Self.text(2))
        #expect(receiver.offered.withLock { $0 } == [Self.text(2)])
        #expect(socket.isWaiting)

        // Declined: the waiting task gets it.
        receiver.accepts.withLock { $0 = false }
        _ = socket.deliver(Self.text(3))
        #expect(try await waiting.value == Self.text(3))
        #expect(receiver.offered.withLock { $0 } == [Self.text(2), Self.text(3)])

        // The task is busy with m3: m4 and m5 queue behind it, unoffered, even though the receiver would take them.
        receiver.accepts.withLock { $0 = true }
        _ = socket.deliver(Self.text(4))
        _ = socket.deliver(Self.text(5))
        #expect(receiver.offered.withLock { $0 }.count == 2)
        #expect(try await socket.receive() == Self.text(4))
        #expect(try await socket.receive() == Self.text(5))

        // The end: queued messages first, then nil.
        _ = socket.deliver(Self.text(6))
        socket.end()
        #expect(try await socket.receive() == Self.text(6))
        #expect(try await socket.receive() == nil)
    }

    @Test("reading pauses at the high-water mark and resumes once, at the low-water mark")
    func backPressure() async throws {
        let resumed = Mutex(0)
        let socket = ConversationSocket(resumeReading: { resumed.withLock { $0 += 1 } })
        var pauses: [Int] = []
        for index in 1...(ConversationSocket.highWater + 3) where socket.deliver(Self.text(index)) {
            pauses.append(index)
        }
        #expect(pauses == [ConversationSocket.highWater], "one pause, when the queue reached the mark")
        var read: [WebSocketMessage] = []
        for _ in 1...(ConversationSocket.highWater + 3) {
            read.append(try #require(try await socket.receive()))
            let queued = ConversationSocket.highWater + 3 - read.count
            #expect(resumed.withLock { $0 } == (queued <= ConversationSocket.lowWater ? 1 : 0), "after \(read.count)")
        }
        #expect(read == (1...(ConversationSocket.highWater + 3)).map(Self.text))
    }

    @Test("a waiting task that is cancelled throws; the end wakes a waiting task with nil")
    func cancellationAndEnd() async throws {
        let socket = ConversationSocket(resumeReading: {})
        let cancelled = Task { try await socket.receive() }
        try await Self.waitUntilWaiting(socket)
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }

        let ending = Task { try await socket.receive() }
        try await Self.waitUntilWaiting(socket)
        socket.end()
        #expect(try await ending.value == nil)
    }
}
