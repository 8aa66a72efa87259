import NIOCore
import NIOWebSocket

/// A websocket exchange whose every step runs on the connection's event loop: the short conversations of a client
/// such as a v2 match socket (`hello`, `enqueue` → `queued`, `proposed` → `confirm`, `matched`).
///
/// No task, async stream or outbound writer sits between the frames and the conversation, so a message costs no
/// thread wake-up beyond the event loop's own (issue 9, B6: a v2 match is five messages in and two out per client).
/// The calls run on the event loop, one at a time; they must not block.
public protocol ChatWebSocketConversation: AnyObject, Sendable {
    /// The websocket is open; called before any message.
    func opened(_ link: ChatWebSocketLink)
    /// A complete message arrived (fragments joined, text valid UTF-8, within the size limit).
    func received(_ message: WebSocketFarewell.Message, _ link: ChatWebSocketLink)
}

/// What a conversation does to its websocket, from its calls on the event loop.
public struct ChatWebSocketLink {
    fileprivate let handler: WebSocketConversationHandler

    /// The subprotocol the server chose (`Sec-WebSocket-Protocol`), or `nil`.
    public var subprotocol: String? { self.handler.subprotocol }

    /// Writes a message (masked) and flushes it; ignored once the close handshake started.
    public func send(_ message: WebSocketFarewell.Message) {
        self.handler.send(message)
    }

    /// Whether the connection takes writes without queueing them: `false` while NIO holds more than the channel's
    /// high water mark (a server that does not read), and once the connection is gone. A reply that only keeps
    /// the link alive (a pong) can be left out while it is `false`; it would otherwise pile up.
    public var isWritable: Bool {
        self.handler.isWritable
    }

    /// Starts the close handshake; no message reaches the conversation afterwards. The connection ends when the
    /// server closes it after its close frame, or after the close timeout.
    public func close(code: UInt16, reason: String? = nil) {
        self.handler.startClose(code: code, reason: reason)
    }

    /// Starts the close handshake like ``close(code:reason:)`` and ends the conversation now: the connection's
    /// ``ChatWebSocketClient/converse(url:options:conversation:)`` returns at once, without the server's close frame,
    /// while the handshake completes on the event loop (the connection is dropped after the close timeout at the
    /// latest). For a conversation whose result is in hand, such as a match: it does not wait a round trip for the
    /// server's close.
    public func closeWithoutWaiting(code: UInt16, reason: String? = nil) {
        self.handler.startClose(code: code, reason: reason)
        self.handler.endConversation()
    }

    /// Drops the connection at once, without a close handshake (a dead link).
    public func abort() {
        self.handler.abort()
    }

    /// Sets (or with `nil` withdraws) the message written should the connection's task be cancelled
    /// (``WebSocketFarewell``).
    public func setFarewell(_ farewell: WebSocketFarewell?) {
        self.handler.farewell?.set(farewell)
    }

    /// Drops the connection (``abort()``) when nothing arrives for `timeout`, counted from the last message (or the
    /// opening); `nil` turns it off.
    public func setSilenceTimeout(_ timeout: Duration?) {
        self.handler.setSilenceTimeout(timeout.map(TimeAmount.init))
    }

    /// Stops reading from the socket (back-pressure: the conversation cannot take more messages yet) until
    /// ``ChatWebSocketRemote/resumeReading()``. Messages already read still arrive.
    public func pauseReading() {
        self.handler.setReading(false)
    }

    /// The same websocket, for calls from any thread (each is carried out on the event loop).
    public var remote: ChatWebSocketRemote {
        ChatWebSocketRemote(handler: self.handler)
    }
}

/// A conversation's websocket driven from outside its calls, from any thread or task: what
/// ``ChatWebSocketLink`` does, carried out on the connection's event loop.
public struct ChatWebSocketRemote: Sendable {
    /// The handler, weakly: a conversation that keeps its remote must not keep its handler, and so itself, alive.
    private final class HandlerReference {
        weak var handler: WebSocketConversationHandler?
        init(_ handler: WebSocketConversationHandler) { self.handler = handler }
    }

    /// The handler and its channel; `nil` when the handler had already left the pipeline (the remote then acts
    /// as a closed connection's).
    private let target: (handler: NIOLoopBound<HandlerReference>, channel: any Channel)?

    fileprivate init(handler: WebSocketConversationHandler) {
        self.target = handler.channel.map { (NIOLoopBound(HandlerReference(handler), eventLoop: $0.eventLoop), $0) }
    }

    /// Runs `body` with the handler on the event loop, or `gone` there when the handler has left the pipeline.
    private func onLoop(
        _ body: @escaping @Sendable (WebSocketConversationHandler) -> Void,
        gone: @escaping @Sendable () -> Void = {}
    ) {
        guard let reference = self.target?.handler else { return gone() }
        let run: @Sendable () -> Void = {
            if let handler = reference.value.handler { body(handler) } else { gone() }
        }
        if reference.eventLoop.inEventLoop {
            run()
        } else {
            reference.eventLoop.execute(run)
        }
    }

    /// Writes a message (masked) and flushes it; ignored once the close handshake started.
    ///
    /// Returns at once while the socket's send buffer has room; otherwise waits until the message is written.
    /// - Throws: `ChannelError.ioOnClosedChannel` when the connection has ended (or, while the send buffer is full,
    ///   has started closing).
    public func send(_ message: WebSocketFarewell.Message) async throws {
        guard let channel = self.target?.channel, channel.isActive else { throw ChannelError.ioOnClosedChannel }
        if channel.isWritable {
            return self.onLoop { $0.send(message) }
        }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        self.onLoop({ $0.send(message, promise: promise) }, gone: { promise.fail(ChannelError.ioOnClosedChannel) })
        try await promise.futureResult.get()
    }

    /// Starts the close handshake (``ChatWebSocketLink/close(code:reason:)``).
    public func close(code: UInt16, reason: String? = nil) {
        self.onLoop { $0.startClose(code: code, reason: reason) }
    }

    /// Drops the connection at once, without a close handshake.
    public func abort() {
        self.target?.channel.close(promise: nil)
    }

    /// Reads from the socket again after ``ChatWebSocketLink/pauseReading()``.
    public func resumeReading() {
        self.onLoop { $0.setReading(true) }
    }

    /// As ``ChatWebSocketLink/setFarewell(_:)``.
    public func setFarewell(_ farewell: WebSocketFarewell?) {
        self.onLoop { $0.farewell?.set(farewell) }
    }
}

/// How a websocket conversation ended: the server's close frame (`code` is `nil` when it carried none), or `nil`
/// when the connection ended without one.
public struct ChatWebSocketCloseFrame: Sendable, Hashable {
    /// The close code, or `nil` when the frame carried none.
    public var code: UInt16?
    /// The close reason, or `nil`.
    public var reason: String?
}

/// The client end of a websocket for a ``ChatWebSocketConversation``, after the frame codec and the farewell
/// handler: message aggregation within the size limit, UTF-8 validation, pong replies, optional pings, the close
/// handshake and its timeout, and a silence deadline — on the event loop.
final class WebSocketConversationHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// Our close frame is written; waiting for the server to close the connection.
        case closing
        case closed
    }

    let conversation: any ChatWebSocketConversation
    let maxMessageSize: Int
    let pingInterval: TimeAmount?
    let closeTimeout: TimeAmount
    /// Set by the upgrade before the handler is added: the subprotocol the server chose, the farewell handler, and
    /// the promise completed when the connection has ended, with the server's close frame.
    var subprotocol: String?
    var farewell: WebSocketFarewellHandler?
    var ended: EventLoopPromise<ChatWebSocketCloseFrame?>?

    private var context: ChannelHandlerContext?
    private var state = State.open
    private var closeFrame: ChatWebSocketCloseFrame?
    private var fragment: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var closeTimer: Scheduled<Void>?
    private var pingTimer: Scheduled<Void>?
    private var awaitingPong = false
    private var silenceTimeout: TimeAmount?
    private var silenceTimer: Scheduled<Void>?
    private var lastInbound = NIODeadline.uptimeNanoseconds(0)
    private var finished = false
    private var readingPaused = false

    /// Whether a write now would be sent rather than held (open, and the channel below its high water mark).
    var isWritable: Bool {
        self.state == .open && (self.context?.channel.isWritable ?? false)
    }

    init(
        conversation: any ChatWebSocketConversation,
        maxMessageSize: Int,
        pingInterval: TimeAmount?,
        closeTimeout: TimeAmount
    ) {
        self.conversation = conversation
        self.maxMessageSize = maxMessageSize
        self.pingInterval = pingInterval
        self.closeTimeout = closeTimeout
    }

    private var link: ChatWebSocketLink { ChatWebSocketLink(handler: self) }

    /// The channel, while the handler is in its pipeline.
    var channel: (any Channel)? { self.context?.channel }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Called by the upgrade once the whole websocket pipeline is in place (NIO adds a batch of handlers placed
    /// `.after` another one last to first), before the bytes that came with the `101` answer are read.
    func start() {
        guard let context else { return }
        self.lastInbound = context.eventLoop.now
        self.schedulePing(first: true)
        self.conversation.opened(self.link)
        self.readIfNeeded(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or a codec error: the connection ends; `ended` reports no close frame (or the one received).
        context.close(promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard self.state != .closed else { return }
        self.lastInbound = context.eventLoop.now
        switch frame.opcode {
        case .text, .binary:
            guard self.fragment == nil else { return self.fail(Self.protocolError) }
            self.append(opcode: frame.opcode, frame.unmaskedData, fin: frame.fin)
        case .continuation:
            guard let fragment = self.fragment else { return self.fail(Self.protocolError) }
            self.fragment = nil
            var data = fragment.data
            var more = frame.unmaskedData
            data.writeBuffer(&more)
            self.append(opcode: fragment.opcode, data, fin: frame.fin)
        case .ping:
            // While the channel is not writable (NIO holds its write buffer's high mark unsent: the server does not
            // read) a ping gets no pong, so a server that pings without reading cannot grow the buffer; the next ping
            // once it is writable is answered (RFC 6455 §5.5.3 allows answering only the latest ping).
            guard self.isWritable else { return }
            self.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
        case .pong:
            self.awaitingPong = false
        case .connectionClose:
            self.receivedClose(frame.unmaskedData)
        default:
            self.fail(Self.protocolError)
        }
    }

    // MARK: Messages

    private func append(opcode: WebSocketOpcode, _ data: ByteBuffer, fin: Bool) {
        guard data.readableBytes <= self.maxMessageSize else { return self.fail(1009) }
        guard fin else {
            self.fragment = (opcode, data)
            return
        }
        let message: WebSocketFarewell.Message
        if opcode == .text {
            guard let text = String(validating: data.readableBytesView, as: UTF8.self) else {
                return self.fail(1007)
            }
            message = .text(text)
        } else {
            message = .binary(Array(data.readableBytesView))
        }
        // After our close frame the server may still send; the conversation is over.
        guard self.state == .open else { return }
        self.conversation.received(message, self.link)
    }

    func send(_ message: WebSocketFarewell.Message, promise: EventLoopPromise<Void>? = nil) {
        guard self.state == .open, let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var buffer: ByteBuffer
        let opcode: WebSocketOpcode
        switch message {
        case .text(let text):
            buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            opcode = .text
        case .binary(let bytes):
            buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            opcode = .binary
        }
        self.write(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: buffer), promise: promise)
    }

    private func write(_ frame: WebSocketFrame, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: promise)
    }

    // MARK: Closing

    /// The server's close frame: answered (echoing its code) when we had not closed; either way the server closes
    /// the connection next (RFC 6455 §7.1.1), within the close timeout.
    private func receivedClose(_ data: ByteBuffer) {
        var data = data
        let code = data.readableBytes >= 2 ? data.readInteger(as: UInt16.self) : nil
        let reason = data.readableBytes > 0 ? String(validating: data.readableBytesView, as: UTF8.self) : nil
        self.closeFrame = ChatWebSocketCloseFrame(code: code, reason: reason)
        if self.state == .open {
            let valid = code.map { (1000...1014).contains($0) || (3000...4999).contains($0) } ?? true
            self.startClose(code: valid ? 1000 : Self.protocolError, reason: nil)
        }
    }

    private static let protocolError: UInt16 = 1002

    /// A malformed (1002), oversized (1009) or non-UTF-8 text (1007) message: close with `code`.
    private func fail(_ code: UInt16) {
        self.fragment = nil
        self.startClose(code: code, reason: nil)
    }

    func startClose(code: UInt16, reason: String?) {
        guard self.state == .open, let context else { return }
        self.state = .closing
        self.pingTimer?.cancel()
        self.silenceTimer?.cancel()
        var buffer = context.channel.allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
        buffer.writeInteger(code)
        if let reason { buffer.writeString(reason) }
        self.write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: buffer))
        self.closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.closeTimeout) {
            self.abort()
        }
    }

    func abort() {
        self.context?.close(promise: nil)
    }

    /// Completes ``ended`` now (with no close frame); the connection itself carries on until it closes.
    func endConversation() {
        let ended = self.ended
        self.ended = nil
        ended?.succeed(nil)
    }

    private func finish() {
        guard !self.finished else { return }
        self.finished = true
        self.state = .closed
        for timer in [self.closeTimer, self.pingTimer, self.silenceTimer] { timer?.cancel() }
        self.ended?.succeed(self.closeFrame)
    }

    // MARK: Timers

    /// The next ping after one interval; the first after a random part of it (half to all), so connections opened
    /// together — clients reconnecting after a server restart, a fleet of bots — do not ping in one burst every
    /// interval.
    private func schedulePing(first: Bool = false) {
        guard let interval = self.pingInterval, let context else { return }
        let nanoseconds = max(0, interval.nanoseconds)
        let delay = first ? .nanoseconds(Int64.random(in: (nanoseconds / 2)...nanoseconds)) : interval
        self.pingTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.pingDue()
        }
    }

    /// Pings every interval; a ping still unanswered at the next one means a dead link.
    private func pingDue() {
        guard self.state == .open, let context else { return }
        if self.awaitingPong { return self.abort() }
        self.awaitingPong = true
        let empty = context.channel.allocator.buffer(capacity: 0)
        self.write(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: empty))
        self.schedulePing()
    }

    func setSilenceTimeout(_ timeout: TimeAmount?) {
        let previous = self.silenceTimeout
        self.silenceTimeout = timeout
        // A pending check for an earlier deadline re-arms itself for a longer timeout when it fires, so only a shorter
        // timeout (or none) needs a new timer: a v2 match socket's `hello` (the reference server's 30 s interval,
        // against the 25 s assumed until then) costs no second timer.
        if let timeout, let previous, timeout >= previous, self.silenceTimer != nil { return }
        self.silenceTimer?.cancel()
        self.silenceTimer = nil
        self.scheduleSilenceCheck()
    }

    /// One timer per deadline: a message moves the deadline without touching the timer, which re-arms itself.
    private func scheduleSilenceCheck() {
        guard let timeout = self.silenceTimeout, self.state == .open, let context else { return }
        self.silenceTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: self.lastInbound + timeout) {
            guard self.state == .open, let timeout = self.silenceTimeout else { return }
            if context.eventLoop.now >= self.lastInbound + timeout {
                self.abort()
            } else {
                self.scheduleSilenceCheck()
            }
        }
    }

    /// Pauses (`false`) or resumes reading, with the channel's `autoRead` option (resuming reads at once).
    func setReading(_ reading: Bool) {
        guard let context, self.state != .closed, self.readingPaused == reading else { return }
        self.readingPaused = !reading
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: reading)
    }

    private func readIfNeeded(context: ChannelHandlerContext) {
        guard !self.readingPaused else { return }
        if let autoRead = try? context.channel.syncOptions?.getOption(ChannelOptions.autoRead), !autoRead {
            context.read()
        }
    }
}
