import ChatWebSocket
import Synchronization

/// A ``WebSocketIO`` over ChatWebSocket's event-loop conversation: what ``NIOWebSocketTransport`` hands a
/// connection's handler.
///
/// Messages arrive on the event loop. Each one goes to the task blocked in ``WebSocketIO/receive``, or waits in a
/// bounded queue (reading from the socket pauses at ``highWater`` queued messages and resumes at ``lowWater``). A
/// handler can also take messages on the event loop itself (``WebSocketIO/setReceiver``): a message is offered
/// to the receiver only while the receiving task waits with nothing queued — it has handled every earlier message —
/// so the two paths never reorder messages, and a message the receiver declines goes to the task as usual. That
/// saves the task's wake-up for every message the receiver takes (issue 9, B3).
final class ConversationSocket: ChatWebSocketConversation {
    /// Queued messages at which reading pauses, and at which it resumes.
    static let highWater = 16
    static let lowWater = 4

    private struct Opening: Sendable {
        var remote: ChatWebSocketRemote
        var subprotocol: String?
    }

    private struct State {
        var opening: CheckedContinuation<Opening?, Never>?
        var open: Opening?
        var ended = false
        var queue: [WebSocketMessage] = []
        var head = 0
        var waiter: CheckedContinuation<WebSocketMessage?, any Error>?
        var receiver: WebSocketIO.Receiver?
        var paused = false

        var queued: Int { self.queue.count - self.head }

        /// The next queued message, and whether reading must resume now.
        mutating func pop() -> (WebSocketMessage, resume: Bool)? {
            guard self.head < self.queue.count else { return nil }
            let message = self.queue[self.head]
            self.head += 1
            if self.head == self.queue.count {
                self.queue.removeAll(keepingCapacity: true)
                self.head = 0
            }
            guard self.paused, self.queued <= ConversationSocket.lowWater else { return (message, false) }
            self.paused = false
            return (message, true)
        }
    }

    private enum Offer {
        case receiver(WebSocketIO.Receiver)
        case queue
    }

    private let state = Mutex(State())
    /// Resumes reading from the socket; the open websocket's remote unless a test sets it.
    private let resumeReading: (@Sendable () -> Void)?

    init(resumeReading: (@Sendable () -> Void)? = nil) {
        self.resumeReading = resumeReading
    }

    /// Waits until the websocket opened; `nil` when the connection ended (or failed) before.
    func opened() async -> WebSocketIO? {
        let open = await withCheckedContinuation { continuation in
            let ready: Opening?? = self.state.withLock { state in
                if let open = state.open { return .some(open) }
                if state.ended { return .some(nil) }
                state.opening = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard let open else { return nil }
        let remote = open.remote
        return WebSocketIO(
            subprotocol: open.subprotocol,
            receive: { try await self.receive() },
            send: { message in try await remote.send(message.farewell) },
            close: { code, reason in remote.close(code: code, reason: reason) },
            abort: { remote.abort() },
            setFarewell: { message, timeout, isReply in
                remote.setFarewell(WebSocketFarewell(message, timeout: timeout, isReply: isReply))
            },
            setReceiver: { receiver in self.setReceiver(receiver) }
        )
    }

    /// The connection ended: ``WebSocketIO/receive`` returns `nil` after the queued messages.
    func end() {
        let (opening, waiter) = self.state.withLock { state in
            state.ended = true
            defer {
                state.opening = nil
                state.waiter = nil
                state.receiver = nil
            }
            return (state.opening, state.waiter)
        }
        opening?.resume(returning: nil)
        waiter?.resume(returning: nil)
    }

    /// The remote of the open websocket (`nil` before it opened).
    var remote: ChatWebSocketRemote? { self.state.withLock { $0.open?.remote } }

    // MARK: On the event loop

    func opened(_ link: ChatWebSocketLink) {
        let open = Opening(remote: link.remote, subprotocol: link.subprotocol)
        let opening = self.state.withLock { state in
            state.open = open
            defer { state.opening = nil }
            return state.opening
        }
        opening?.resume(returning: open)
    }

    func received(_ message: WebSocketFarewell.Message, _ link: ChatWebSocketLink) {
        if self.deliver(WebSocketMessage(message)) { link.pauseReading() }
    }

    /// Hands a message to the receiver, the waiting task or the queue; `true` when reading must pause now.
    func deliver(_ message: WebSocketMessage) -> Bool {
        let offer: Offer = self.state.withLock { state in
            guard state.queued == 0, state.waiter != nil, let receiver = state.receiver else { return .queue }
            return .receiver(receiver)
        }
        if case .receiver(let receiver) = offer, receiver(message) { return false }
        typealias Waiter = CheckedContinuation<WebSocketMessage?, any Error>
        let (waiter, pause) = self.state.withLock { state -> (Waiter?, Bool) in
            if state.queued == 0, let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            state.queue.append(message)
            guard !state.paused, state.queued >= Self.highWater else { return (nil, false) }
            state.paused = true
            return (nil, true)
        }
        waiter?.resume(returning: message)
        return pause
    }

    // MARK: The handler's task

    private func resume() {
        if let resumeReading = self.resumeReading {
            resumeReading()
        } else {
            self.remote?.resumeReading()
        }
    }

    /// Whether a task waits in ``receive()`` (for tests).
    var isWaiting: Bool { self.state.withLock { $0.waiter != nil } }

    func setReceiver(_ receiver: WebSocketIO.Receiver?) {
        self.state.withLock { $0.receiver = receiver }
    }

    func receive() async throws -> WebSocketMessage? {
        if let (message, resume) = self.state.withLock({ $0.pop() }) {
            if resume { self.resume() }
            return message
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                var resume = false
                let now: Result<WebSocketMessage?, any Error>? = self.state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let (message, resumeReading) = state.pop() {
                        resume = resumeReading
                        return .success(message)
                    }
                    if state.ended { return .success(nil) }
                    state.waiter = continuation
                    return nil
                }
                if resume { self.resume() }
                if let now { continuation.resume(with: now) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
