import Testing

@testable import ChatClientSDK

@Suite("ChatEvents: unicast, bounded, back-pressure, typed errors")
struct ChatEventsTests {
    @Test("a second iterator is a clear invalidState error, not a crash")
    func secondIterator() async throws {
        let buffer = EventBuffer<ChatEvent>(capacity: 4)
        let events = ChatEvents(buffer: buffer)
        _ = events.makeAsyncIterator()
        var second = events.makeAsyncIterator()
        let error = await #expect(throws: ChatError.self) { _ = try await second.next() }
        #expect(error?.code == .invalidState)
    }

    @Test("a full buffer makes the producer wait until the consumer reads; nothing is dropped")
    func backPressure() async throws {
        let buffer = EventBuffer<ChatEvent>(capacity: 2)
        let (progress, progressContinuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for index in 0..<5 {
                    try await buffer.yield(.typingStarted(UserID(UInt64(index))))
                    progressContinuation.yield(index)
                }
                buffer.finish()
            }
            var produced = progress.makeAsyncIterator()
            #expect(await produced.next() == 0)
            #expect(await produced.next() == 1)
            var received: [ChatEvent] = []
            var iterator = ChatEvents(buffer: buffer).makeAsyncIterator()
            while let event = try await iterator.next() { received.append(event) }
            #expect(received == (0..<5).map { .typingStarted(UserID(UInt64($0))) })
            try await group.waitForAll()
        }
    }

    @Test("the session's error ends the sequence after the buffered events")
    func finishThrowing() async throws {
        let buffer = EventBuffer<ChatEvent>(capacity: 4)
        try await buffer.yield(.joined(UserID(1)))
        buffer.finish(throwing: ChatError(code: .tokenExpired))
        var iterator = ChatEvents(buffer: buffer).makeAsyncIterator()
        #expect(try await iterator.next() == .joined(UserID(1)))
        let error = await #expect(throws: ChatError.self) { _ = try await iterator.next() }
        #expect(error?.code == .tokenExpired)
    }

    @Test("cancelling the iterating task throws cancelled")
    func cancellation() async throws {
        let buffer = EventBuffer<ChatEvent>(capacity: 4)
        let task = Task {
            var iterator = ChatEvents(buffer: buffer).makeAsyncIterator()
            return try await iterator.next()
        }
        task.cancel()
        let error = await #expect(throws: ChatError.self) { _ = try await task.value }
        #expect(error?.code == .cancelled)
    }
}
