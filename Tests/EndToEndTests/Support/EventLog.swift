import ChatClientSDK
import Synchronization
import Testing

/// Records a session's events (iterated in a child task) and lets a test await the ones it cares about.
final class EventLog: Sendable {
    private let all = Mutex<[ChatEvent]>([])
    private let ending = Mutex<(done: Bool, error: (any Error)?)>((false, nil))
    private let stream: AsyncStream<ChatEvent>
    private let continuation: AsyncStream<ChatEvent>.Continuation
    private let iterator: IteratorBox

    private final class IteratorBox: @unchecked Sendable {
        // Only the test's own task advances it (one consumer), so the box is never used concurrently.
        var iterator: AsyncStream<ChatEvent>.AsyncIterator
        init(_ iterator: AsyncStream<ChatEvent>.AsyncIterator) { self.iterator = iterator }
    }

    init() {
        (self.stream, self.continuation) = AsyncStream.makeStream()
        self.iterator = IteratorBox(self.stream.makeAsyncIterator())
    }

    func append(_ event: ChatEvent) {
        self.all.withLock { $0.append(event) }
        self.continuation.yield(event)
    }

    func finish(_ error: (any Error)?) {
        self.ending.withLock { $0 = (true, error) }
        self.continuation.finish()
    }

    /// Every event so far.
    var events: [ChatEvent] { self.all.withLock { $0 } }
    /// The text and file messages so far, in delivery order.
    var messages: [ChatMessage] {
        self.events.compactMap { if case .message(let m) = $0 { m } else { nil } }
    }
    /// The error the sequence ended with, once it ended.
    var endError: (any Error)? { self.ending.withLock { $0.error } }

    /// Reads events until one matches; fails after `timeout`.
    @discardableResult
    func expect(
        _ what: String,
        timeout: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ predicate: @escaping @Sendable (ChatEvent) -> Bool
    ) async throws -> ChatEvent {
        let box = self.iterator
        let found = try await firstResult(within: timeout) {
            while let event = await box.iterator.next() {
                if predicate(event) { return event }
            }
            return nil
        }
        guard let found else {
            Issue.record("no event '\(what)' within \(timeout); saw \(self.events)", sourceLocation: sourceLocation)
            throw E2EFailure("missing event: \(what)")
        }
        return found
    }

    /// Waits until every text in `texts` has arrived, in any order; returns them as they came.
    @discardableResult
    func expectTexts(
        _ texts: Set<String>,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws
        -> [ChatMessage]
    {
        var found: [ChatMessage] = []
        while found.count < texts.count {
            let missing = texts.subtracting(found.compactMap(\.text))
            let event = try await self.expect("texts \(missing)", sourceLocation: sourceLocation) { event in
                if case .message(let m) = event, let text = m.text, missing.contains(text) { return true }
                return false
            }
            if case .message(let message) = event { found.append(message) }
        }
        return found
    }

    /// Waits for the text message `text`.
    @discardableResult
    func expectText(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ChatMessage {
        let event = try await self.expect("text '\(text)'", sourceLocation: sourceLocation) { event in
            if case .message(let m) = event, m.text == text { return true }
            return false
        }
        guard case .message(let message) = event else { throw E2EFailure("unreachable") }
        return message
    }
}

struct E2EFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ChatClient {
    /// Opens a session whose events are recorded into an ``EventLog`` by a child task.
    func withRecordedSession<T: Sendable>(
        _ match: ChatMatch,
        _ body: (ChatSession, EventLog) async throws -> T
    ) async throws -> T {
        try await self.withSession(match) { session in
            let log = EventLog()
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await event in session.events { log.append(event) }
                        log.finish(nil)
                    } catch {
                        log.finish(error)
                    }
                }
                let result = try await body(session, log)
                group.cancelAll()
                return result
            }
        }
    }
}

extension ChatEvent {
    var isConnected: Bool { self == .connection(.connected) }
    var isReconnecting: Bool {
        if case .connection(.reconnecting) = self { return true }
        return false
    }

    /// Whether this is the session's end with a `ChatError` of `code`.
    func isDisconnected(with code: ChatError.Code) -> Bool {
        if case .connection(.disconnected(let reason)) = self { return reason.code == code }
        return false
    }
}

/// The first element of `stream`, or a recorded issue and an error when none arrives within `timeout`.
func first<Element: Sendable>(
    _ what: String,
    of stream: AsyncStream<Element>,
    timeout: Duration = .seconds(10),
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Element {
    let found = try await firstResult(within: timeout) {
        for await element in stream { return element }
        return nil
    }
    guard let found else {
        Issue.record("no \(what) within \(timeout)", sourceLocation: sourceLocation)
        throw E2EFailure("missing: \(what)")
    }
    return found
}

/// What `body` returns, or `nil` when it has not returned within `timeout` (it is then cancelled).
func firstResult<Value: Sendable>(
    within timeout: Duration,
    _ body: @escaping @Sendable () async -> Value?
) async throws -> Value? {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
