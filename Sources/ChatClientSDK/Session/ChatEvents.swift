import Synchronization

/// The events of a ``ChatSession``: one typed, ordered `AsyncSequence`.
///
/// The sequence is **unicast**: iterate it from one task, once. A second iterator throws
/// `ChatError.Code.invalidState` instead of stealing events. The buffer between the network and your loop is
/// bounded (``ChatClient/Configuration/maxBufferedEvents``); when it is full the session stops reading from the
/// network until you catch up (back-pressure) — events are never dropped.
///
/// The sequence ends (returns `nil`) after the channel ends normally, and throws the `ChatError` that ended the
/// session otherwise (for example `ChatError.Code.tokenExpired` or `ChatError.Code.unauthorized`). Cancelling
/// the iterating task throws `ChatError.Code.cancelled`.
public struct ChatEvents: AsyncSequence, Sendable {
    /// Each element is one event.
    public typealias Element = ChatEvent
    /// The sequence throws `ChatError` only.
    public typealias Failure = any Error

    let buffer: EventBuffer<ChatEvent>

    /// Iterates the events of one session.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: EventBuffer<ChatEvent>
        let isSecondIterator: Bool

        /// The next event.
        /// - Returns: The event, or `nil` after the session ended normally.
        /// - Throws: `ChatError` with `ChatError.Code.invalidState` for a second iterator,
        ///   `ChatError.Code.cancelled` when the task is cancelled, or the error that ended the session.
        public mutating func next() async throws -> ChatEvent? {
            if self.isSecondIterator {
                throw ChatError(
                    code: .invalidState,
                    message: "session.events was already iterated; it is unicast. Iterate it in one loop and "
                        + "fan events out yourself (for example with an AsyncStream per consumer)."
                )
            }
            return try await self.buffer.next()
        }
    }

    /// Creates the iterator; only the first call returns a working one.
    /// - Returns: The iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: self.buffer, isSecondIterator: !self.buffer.claimIterator())
    }
}

/// A bounded single-consumer buffer with back-pressure on the producer.
final class EventBuffer<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var consumer: CheckedContinuation<Element?, any Error>?
        var producers: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextWaiterID: UInt64 = 0
        var termination: ChatError??  // nil: open; .some(nil): finished; .some(error): failed
        var iteratorClaimed = false

        var count: Int { self.items.count - self.head }

        mutating func popFirst() -> Element? {
            guard self.head < self.items.count else { return nil }
            let item = self.items[self.head]
            self.head += 1
            if self.head > 64, self.head * 2 > self.items.count {
                self.items.removeFirst(self.head)
                self.head = 0
            }
            return item
        }
    }

    private enum YieldStep {
        case done(Bool)
        case resume(CheckedContinuation<Element?, any Error>)
        case wait
    }

    private enum NextStep {
        case item(Element, CheckedContinuation<Void, any Error>?)
        case end(ChatError?)
        case wait
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func claimIterator() -> Bool {
        self.state.withLock { state in
            defer { state.iteratorClaimed = true }
            return !state.iteratorClaimed
        }
    }

    var isFinished: Bool { self.state.withLock { $0.termination != nil } }

    /// Appends an event, waiting while the buffer is full.
    /// - Returns: `false` when the buffer was finished and the event was discarded.
    @discardableResult
    func yield(_ element: Element) async throws -> Bool {
        while true {
            let step: YieldStep = self.state.withLock { state in
                if state.termination != nil { return .done(false) }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return .resume(consumer)
                }
                if state.count < self.capacity {
                    state.items.append(element)
                    return .done(true)
                }
                return .wait
            }
            switch step {
            case .done(let accepted):
                return accepted
            case .resume(let consumer):
                consumer.resume(returning: element)
                return true
            case .wait:
                try await self.waitForSpace()
            }
        }
    }

    private func waitForSpace() async throws {
        let id = self.state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = self.state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.termination != nil || state.count < self.capacity { return .success(()) }
                    state.producers.append((id, continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                state.producers.firstIndex { $0.id == id }.map { state.producers.remove(at: $0).continuation }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Whether an event can be appended without waiting for space.
    var hasRoom: Bool { self.state.withLock { $0.termination == nil && $0.count < self.capacity } }

    /// Appends events without waiting for space: the final events of a session, and a message's events on the
    /// transport's thread after ``hasRoom`` said there was room (one message's events may then pass the capacity;
    /// the next message waits for the consumer).
    func append(contentsOf elements: [Element]) {
        for element in elements { self.append(element) }
    }

    /// Appends an event without waiting for space (see ``append(contentsOf:)``).
    func append(_ element: Element) {
        let consumer: CheckedContinuation<Element?, any Error>? = self.state.withLock { state in
            guard state.termination == nil else { return nil }
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.items.append(element)
            return nil
        }
        consumer?.resume(returning: element)
    }

    /// Ends the sequence: after the buffered events, the consumer sees `nil` (or `error`).
    func finish(throwing error: ChatError? = nil) {
        let (consumer, producers, terminal) = self.state.withLock {
            state -> (CheckedContinuation<Element?, any Error>?, [CheckedContinuation<Void, any Error>], ChatError??) in
            if state.termination == nil { state.termination = .some(error) }
            let producers = state.producers.map(\.continuation)
            state.producers.removeAll()
            guard state.count == 0, let consumer = state.consumer else { return (nil, producers, nil) }
            state.consumer = nil
            return (consumer, producers, state.termination)
        }
        for producer in producers { producer.resume() }
        if let consumer, let terminal {
            if let error = terminal { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
        }
    }

    func next() async throws -> Element? {
        let step: NextStep = self.state.withLock { state in
            if let item = state.popFirst() {
                let producer = state.producers.isEmpty ? nil : state.producers.removeFirst().continuation
                return .item(item, producer)
            }
            if let termination = state.termination { return .end(termination) }
            return .wait
        }
        switch step {
        case .item(let item, let producer):
            producer?.resume()
            return item
        case .end(let error):
            if let error { throw error }
            return nil
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                var producer: CheckedContinuation<Void, any Error>?
                let immediate: Result<Element?, any Error>? = self.state.withLock { state in
                    if Task.isCancelled { return .failure(ChatError(code: .cancelled)) }
                    if let item = state.popFirst() {
                        producer = state.producers.isEmpty ? nil : state.producers.removeFirst().continuation
                        return .success(item)
                    }
                    if let termination = state.termination {
                        if let error = termination { return .failure(error) }
                        return .success(nil)
                    }
                    state.consumer = continuation
                    return nil
                }
                producer?.resume()
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let consumer = self.state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(
                throwing: ChatError(code: .cancelled, message: "the task iterating session.events was cancelled")
            )
        }
    }
}
