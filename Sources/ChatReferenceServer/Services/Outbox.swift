import ChatProtocol
import Synchronization

/// Where an ``Outbox`` hands its items: a websocket connection (``WebSocketConnection``, which writes them on its
/// event loop) or a stream (tests).
protocol OutboxSink: Sendable {
    /// Takes the next item, in order. Called at most once with a close item, which is the last item.
    func deliver(_ item: Outbox.Item)
    /// A close was requested (overflow, shutdown, deletion): the sink enforces a deadline, because a peer that stopped
    /// reading takes neither the queued frames nor the close frame.
    func closeRequested(overflowed: Bool)
    /// The queue ended without a close item (the connection is gone).
    func finish()
}

/// The bounded send queue of one websocket.
///
/// Producers (fan-out, the matchmaker, shutdown) call ``send(_:binary:counted:)`` and ``close(_:reason:)`` without
/// waiting; the connection writes the frames on its event loop and reports each written frame with
/// ``didWriteFrames(_:)`` (flushed while the channel is writable: NIO holds at most 16 KB unwritten, see
/// `WebSocketConnection.writeBufferWaterMark`). When more than `capacity` frames are waiting,
/// the queue stops accepting frames and asks the connection to close with ``WebSocketCloseCode/slowConsumer`` (4001):
/// a frame is never dropped silently.
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
        /// Set once by ``attach(_:)``; cleared by ``finish()``, which breaks the connection ↔ outbox cycle.
        var sink: (any OutboxSink)?
    }

    private let capacity: Int
    private let state: Mutex<State>

    /// A queue; its items go to the sink given to ``attach(_:)`` (the connection, once upgraded).
    init(capacity: Int, sink: (any OutboxSink)? = nil) {
        self.capacity = capacity
        self.state = Mutex(State(sink: sink))
    }

    /// Sets where items go; called before the first item is queued.
    func attach(_ sink: any OutboxSink) {
        self.state.withLock { $0.sink = sink }
    }

    /// Queues a frame; returns `false` when the queue is closed or has just overflowed.
    @discardableResult
    func send(_ frame: [UInt8], binary: Bool = false, counted: Bool = true) -> Bool {
        let (overflowed, sink): (Bool?, (any OutboxSink)?) = self.state.withLock { state in
            guard !state.isClosed else { return (nil, nil) }
            guard counted else { return (false, state.sink) }
            if state.queued >= self.capacity {
                state.isClosed = true
                state.hasOverflowed = true
                return (true, state.sink)
            }
            state.queued += 1
            return (false, state.sink)
        }
        switch overflowed {
        case nil:
            return false
        case true?:
            sink?.deliver(.close(.slowConsumer, reason: "send queue overflow"))
            sink?.closeRequested(overflowed: true)
            return false
        case false?:
            sink?.deliver(.frame(frame, binary: binary, counted: counted))
            return true
        }
    }

    /// Asks the writer to close the websocket after the frames already queued.
    func close(_ code: WebSocketCloseCode, reason: String) {
        let sink: (any OutboxSink)? = self.state.withLock { state in
            defer { state.isClosed = true }
            return state.isClosed ? nil : state.sink
        }
        sink?.deliver(.close(code, reason: reason))
        sink?.closeRequested(overflowed: false)
    }

    /// Ends the queue without a close item (the connection is gone) and lets go of the sink.
    func finish() {
        let sink: (any OutboxSink)? = self.state.withLock { state in
            defer {
                state.isClosed = true
                state.sink = nil
            }
            return state.sink
        }
        sink?.finish()
    }

    /// Whether the queue was closed because it overflowed.
    var hasOverflowed: Bool { self.state.withLock { $0.hasOverflowed } }

    /// Called by the writer once `count` counted frames were written to the socket.
    func didWriteFrames(_ count: Int) {
        self.state.withLock { $0.queued -= count }
    }

    /// The counted frames accepted and not yet written.
    var queuedFrames: Int { self.state.withLock { $0.queued } }

    /// Whether the queue still accepts frames.
    var isOpen: Bool { self.state.withLock { !$0.isClosed } }
}

/// An ``OutboxSink`` that yields the items to an `AsyncStream`.
final class StreamOutboxSink: OutboxSink {
    let items: AsyncStream<Outbox.Item>
    private let continuation: AsyncStream<Outbox.Item>.Continuation

    init() {
        (self.items, self.continuation) = AsyncStream.makeStream(of: Outbox.Item.self)
    }

    func deliver(_ item: Outbox.Item) {
        self.continuation.yield(item)
        if case .close = item { self.continuation.finish() }
    }

    func closeRequested(overflowed: Bool) {}

    func finish() {
        self.continuation.finish()
    }
}
