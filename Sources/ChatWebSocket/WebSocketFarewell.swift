import NIOCore
import NIOWebSocket

/// A last message for a connection whose task is cancelled, such as a "leave the wait list" command that the server
/// should process deliberately instead of noticing a dropped socket.
///
/// Task cancellation ends the handler's inbound stream at once (swift-websocket closes the input, and a cancelled
/// task cannot write through the outbound writer), so the farewell is handled below both, on the channel: when the
/// task is cancelled the message is written at once, and the socket stays open until an inbound message satisfies
/// ``isReply`` or ``timeout`` passes; only then does the close that the cancellation started go through.
public struct WebSocketFarewell: Sendable {
    /// One unfragmented data message.
    public enum Message: Sendable, Hashable {
        /// A text message.
        case text(String)
        /// A binary message.
        case binary([UInt8])
    }

    /// The message to write when the task is cancelled.
    public var message: Message
    /// How long to keep the socket open for the reply.
    public var timeout: Duration
    /// Whether an inbound (unfragmented) message is the reply the farewell waits for.
    public var isReply: @Sendable (Message) -> Bool

    /// Creates a farewell.
    /// - Parameters:
    ///   - message: The message to write when the task is cancelled.
    ///   - timeout: How long to keep the socket open for the reply.
    ///   - isReply: Whether an inbound message is the reply.
    public init(message: Message, timeout: Duration, isReply: @escaping @Sendable (Message) -> Bool) {
        self.message = message
        self.timeout = timeout
        self.isReply = isReply
    }
}

/// Sits between the frame codec and the async channel: writes the farewell when cancellation starts, and holds the
/// closes that follow it until the reply arrives or the timeout passes.
final class WebSocketFarewellHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum Phase {
        case idle
        case waiting(held: [(mode: CloseMode, promise: EventLoopPromise<Void>?)], timeout: Scheduled<Void>)
        case done
    }

    private var farewell: WebSocketFarewell?
    private var phase = Phase.idle
    private var sentClose = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sets (or with `nil`, withdraws) the farewell; on the event loop.
    func set(_ farewell: WebSocketFarewell?) {
        self.farewell = farewell
    }

    /// The connection's task was cancelled; on the event loop.
    func cancelled() {
        guard let context = self.context else { return }
        self.begin(context: context)
    }

    private func begin(context: ChannelHandlerContext) {
        guard case .idle = self.phase, let farewell = self.farewell, !self.sentClose, context.channel.isActive else {
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        let opcode: WebSocketOpcode
        switch farewell.message {
        case .text(let text):
            buffer.writeString(text)
            opcode = .text
        case .binary(let bytes):
            buffer.writeBytes(bytes)
            opcode = .binary
        }
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: buffer)
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
        let nanoseconds =
            farewell.timeout.components.seconds * 1_000_000_000
            + farewell.timeout.components.attoseconds / 1_000_000_000
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanoseconds)) {
            self.finish()
        }
        self.phase = .waiting(held: [], timeout: timeout)
        // The async channel stops asking for reads once its consumer is gone; ask for the reply here.
        context.read()
    }

    private func finish() {
        guard case .waiting(let held, let timeout) = self.phase else { return }
        self.phase = .done
        timeout.cancel()
        guard let context = self.context else {
            for close in held { close.promise?.succeed() }
            return
        }
        // A full close covers the input close that cancellation started; forwarding both would fail the second.
        guard held.contains(where: { $0.mode == .all }) else {
            for close in held { context.close(mode: close.mode, promise: close.promise) }
            return
        }
        let closed = context.eventLoop.makePromise(of: Void.self)
        for close in held { close.promise.map { closed.futureResult.cascade(to: $0) } }
        context.close(mode: .all, promise: closed)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        if case .waiting = self.phase, let farewell = self.farewell, frame.fin {
            let message: WebSocketFarewell.Message? =
                switch frame.opcode {
                case .text: .text(String(buffer: frame.unmaskedData))
                case .binary: .binary(Array(frame.unmaskedData.readableBytesView))
                default: nil
                }
            if let message, farewell.isReply(message) {
                self.finish()
                return
            }
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .waiting = self.phase { context.read() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if Self.unwrapOutboundIn(data).opcode == .connectionClose { self.sentClose = true }
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // swift-websocket closes the input when the task is cancelled; that is the farewell's cue too, should it
        // reach the event loop before `cancelled()`.
        if mode == .input { self.begin(context: context) }
        if case .waiting(var held, let timeout) = self.phase {
            held.append((mode, promise))
            self.phase = .waiting(held: held, timeout: timeout)
            return
        }
        context.close(mode: mode, promise: promise)
    }
}
