import ChatProtocol
import Synchronization

/// The bounded send queue of one websocket.
///
/// Producers (fan-out, the matchmaker, shutdown) call ``send(_:)`` and ``close(_:reason:)`` without waiting; the
/// connection's writer drains ``items``. When more than `capacity` frames are waiting, the queue stops accepting
/// frames and asks the writer to close with ``WebSocketCloseCode/slowConsumer`` (4001): a frame is never dropped
/// silently.
final class Outbox: Sendable {
    /// One thing for the writer to do.
    enum Item: Sendable {
        /// A message: text (v1, `rc.v2.json`) or binary (`rc.v2.proto`). `counted` frames count against the capacity;
        /// a resume replay is not counted (it is bounded by the channel's message cap, §6.10).
        case frame([UInt8], binary: Bool, counted: Bool)
        case close(WebSocketCloseCode, reason: String)
    }

    private struct State {
        var queued = 0
        var isClosed = false
        var hasOverflowed = false
    }

    /// The items, in order; ends after a close item.
    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    /// Yields once when a close is requested (overflow, shutdown, deletion), so the driver can enforce a deadline
    /// even while the writer is stuck behind a peer that stopped reading.
    let closeRequests: AsyncStream<Void>
    private let closeContinuation: AsyncStream<Void>.Continuation
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        (self.items, self.continuation) = AsyncStream.makeStream(of: Item.self)
        (self.closeRequests, self.closeContinuation) = AsyncStream.makeStream(of: Void.self)
        self.capacity = capacity
    }

    /// Queues a frame; returns `false` when the queue is closed or has just overflowed.
    @discardableResult
    func send(_ frame: [UInt8], binary: Bool = false, counted: Bool = true) -> Bool {
        let overflowed: Bool? = self.state.withLock { state in
            guard !state.isClosed else { return nil }
            guard counted else { return false }
            if state.queued >= self.capacity {
                state.isClosed = true
                state.hasOverflowed = true
                return true
            }
            state.queued += 1
            return false
        }
        switch overflowed {
        case nil:
            return false
        case true?:
            self.continuation.yield(.close(.slowConsumer, reason: "send queue overflow"))
            self.continuation.finish()
            self.closeContinuation.yield()
            return false
        case false?:
            self.continuation.yield(.frame(frame, binary: binary, counted: counted))
            return true
        }
    }

    /// Asks the writer to close the websocket after the frames already queued.
    func close(_ code: WebSocketCloseCode, reason: String) {
        let wasOpen = self.state.withLock { state in
            defer { state.isClosed = true }
            return !state.isClosed
        }
        guard wasOpen else { return }
        self.continuation.yield(.close(code, reason: reason))
        self.continuation.finish()
        self.closeContinuation.yield()
    }

    /// Ends the queue without a close item (the connection is gone).
    func finish() {
        self.state.withLock { $0.isClosed = true }
        self.continuation.finish()
        self.closeContinuation.finish()
    }

    /// Whether the queue was closed because it overflowed.
    var hasOverflowed: Bool { self.state.withLock { $0.hasOverflowed } }

    /// Called by the writer after it has written one counted frame.
    func didWriteFrame() {
        self.state.withLock { $0.queued -= 1 }
    }

    /// Whether the queue still accepts frames.
    var isOpen: Bool { self.state.withLock { !$0.isClosed } }
}
