import ChatProtocol
import NIOCore
import NIOWebSocket
import Prometheus
import Synchronization

/// One inbound websocket message.
enum InboundMessage: Sendable {
    case text([UInt8])
    case binary([UInt8])
}

/// The limits and timers of one websocket connection. Plain values only (no reference-counted member such as a
/// `String`): the connection reads them through the session on every message and heartbeat, and a copy that retains
/// was ≈ 3 % of the server's CPU with idle v2 connections (B8).
struct WebSocketLimits: Sendable {
    /// The close reason of a 1009: upstream's text or v2's.
    enum OversizeReason: Sendable {
        /// `message too big`.
        case upstream
        /// `{"code":"message_too_large"}` (PROTOCOL.md close reasons).
        case v2

        var text: String {
            switch self {
            case .upstream: "message too big"
            case .v2: V2Wire.closeReason(.messageTooLarge)
            }
        }
    }

    /// The largest message accepted; a larger one closes the connection with 1009 after
    /// ``WebSocketSession/receivedOversize(on:)``.
    var maxMessageSize: Int
    /// The close reason sent with that 1009.
    var oversizeReason = OversizeReason.upstream
    /// The period of the server's websocket pings (and of ``WebSocketSession/heartbeat(on:)``). A ping still unanswered
    /// at the next one closes the connection with 1001 `Ping timeout`.
    var pingInterval: Duration
    /// Whether the connection sends websocket-level pings. v2 connections do not: their `ping` push and the liveness
    /// deadline detect a dead peer, and a second probe would make every client answer twice per interval — two
    /// wake-ups of the server instead of one (B8).
    var sendsWebSocketPings = true
    /// When set, ``WebSocketSession/livenessExpired(on:)`` runs once no message arrived for this long (v2: 4002).
    var livenessDeadline: Duration?
    /// How long to wait for the peer's close frame after sending ours before the TCP connection is closed.
    var closeTimeout: Duration = .seconds(5)
    /// How long after a requested close (overflow, shutdown, deletion) the TCP connection is closed if the peer has
    /// not completed the close handshake (it stopped reading, so the close frame cannot be written).
    var closeGrace: Duration = .seconds(2)
}

extension WebSocketLimits {
    /// The limits of a v2 websocket (chat or match): the v2 frame limit with the `MESSAGE_TOO_LARGE` close reason, and
    /// the liveness deadline of `ping_interval_ms` + 10 s (PROTOCOL.md §6.16, close 4002).
    static func v2(_ limits: ServerConfiguration.Limits) -> WebSocketLimits {
        WebSocketLimits(
            maxMessageSize: limits.maxV2FrameSize,
            oversizeReason: .v2,
            pingInterval: limits.pingInterval,
            sendsWebSocketPings: false,
            livenessDeadline: limits.pingInterval + .seconds(10)
        )
    }
}

/// The endpoint logic of one websocket (chat v1 and v2, match v1 and v2, the conformance echo).
///
/// The async calls run one after another, in order, on a task that exists only while calls are pending: an idle
/// connection costs no task. ``opened(on:)`` comes first and ``closed(on:)`` last, on every disconnect path.
/// ``receivedOnLoop(_:on:)``, ``heartbeat(on:)`` and ``livenessExpired(on:)`` run on the connection's event loop and
/// must not block.
protocol WebSocketSession: AnyObject, Sendable {
    /// The connection's send queue.
    var outbox: Outbox { get }
    /// The connection's limits.
    var limits: WebSocketLimits { get }
    /// After the upgrade, before any message.
    func opened(on connection: WebSocketConnection) async
    /// One complete message within the limit (text messages are valid UTF-8).
    func received(_ message: InboundMessage, on connection: WebSocketConnection) async
    /// A message that arrived while no call is pending, on the event loop: the session handles it there when it can
    /// without waiting (in-memory work, the storage's synchronous append) and returns `true` — work that must wait
    /// goes to ``WebSocketConnection/enqueueWork(_:)``, which keeps the order — or returns `false` to have it given to
    /// ``received(_:on:)`` instead. Saves the hop to a task for the common messages (issue 9, B3/B4).
    func receivedOnLoop(_ message: InboundMessage, on connection: WebSocketConnection) -> Bool
    /// A message over the limit arrived; the connection closes with 1009 after this returns.
    func receivedOversize(on connection: WebSocketConnection) async
    /// After the TCP connection closed; the last call.
    func closed(on connection: WebSocketConnection) async
    /// Every ping interval, on the event loop; returns the frame to send (v2's `ping` push), or `nil`.
    func heartbeat(on connection: WebSocketConnection) -> HeartbeatPush?
    /// No message for ``WebSocketLimits/livenessDeadline``, on the event loop.
    func livenessExpired(on connection: WebSocketConnection)
}

extension WebSocketSession {
    func receivedOnLoop(_ message: InboundMessage, on connection: WebSocketConnection) -> Bool { false }
    func receivedOversize(on connection: WebSocketConnection) async {}
    func heartbeat(on connection: WebSocketConnection) -> HeartbeatPush? { nil }
    func livenessExpired(on connection: WebSocketConnection) {}
}

/// A message a session sends every ping interval (v2's `ping` push), encoded once for every connection: the
/// connection writes it from its heartbeat, without the outbox's queue and flush task (B8: idle CPU). It carries no
/// sequence number, so it may overtake frames still queued in the outbox.
struct HeartbeatPush: Sendable {
    /// The whole websocket frame, header included: every connection writes this one buffer.
    let frame: ByteBuffer

    init(_ bytes: [UInt8], binary: Bool) {
        self.frame = ServerFrame.make(binary ? .binary : .text, payload: bytes, allocator: ByteBufferAllocator())
    }

    /// One push in each v2 encoding: `rc.v2.proto` (binary) and `rc.v2.json` (text).
    struct V2Pair: Sendable {
        let protobuf: HeartbeatPush
        let json: HeartbeatPush

        /// The frame `encode` returns in each encoding.
        init(_ encode: (FrameEncoding) -> [UInt8]) {
            self.protobuf = HeartbeatPush(encode(.protobuf), binary: true)
            self.json = HeartbeatPush(encode(.json), binary: false)
        }

        subscript(_ encoding: FrameEncoding) -> HeartbeatPush {
            encoding == .protobuf ? self.protobuf : self.json
        }
    }
}

/// One upgraded websocket, as the channel handler right after the socket: frames read from the socket's bytes
/// (``ClientFrameParser``) and written whole (``ServerFrame``), message aggregation within the endpoint's limit,
/// UTF-8 validation, ping/pong, the close handshake and its timeout, server pings on event-loop timers, and the
/// ``Outbox``'s frames written in batches with one flush.
///
/// An inbound message that arrives while no job is pending is offered to the session on the event loop
/// (``WebSocketSession/receivedOnLoop(_:on:)``); everything else goes to the ``WebSocketSession`` through a job queue
/// drained by a task that runs only while jobs are pending. Reading pauses while too many messages wait, and while
/// the channel is not writable (NIO holds more than ``writeBufferWaterMark``'s high mark unwritten): a peer that
/// sends without reading what the server answers — pings, `resume`s — stops being read, so what it makes the server
/// hold is bounded (back-pressure on the peer).
///
/// State marked "loop" is touched on the channel's event loop only; `shared` is guarded by its mutex.
final class WebSocketConnection: ChannelDuplexHandler, RemovableChannelHandler, OutboxSink, HeartbeatTarget,
    @unchecked Sendable
{
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Which one-shot timer a session sets (a new one replaces the old one of the same slot).
    enum TimerSlot {
        case tokenExpiry
        case typing
    }

    private enum Job {
        case open
        case message(InboundMessage)
        /// Work a session deferred from the event loop (``enqueueWork(_:)``).
        case work(@Sendable () async -> Void)
        case oversize
        /// Close with this code once the output of the jobs before it is written (peer's close, protocol error).
        case close(WebSocketErrorCode, reason: String?)
        case closed
    }

    private enum CloseState {
        case open
        /// Our close frame is out (or the connection is failing); inbound data is ignored.
        case closing
        case closed
    }

    private struct Shared {
        var outgoing: [Outbox.Item] = []
        var flushScheduled = false
        var jobs: [Job] = []
        var jobIndex = 0
        var draining = false
        var readingPaused = false
    }

    /// More jobs than this waiting stops reading from the socket until the queue is down to `resumeReadingAt`.
    private static let pauseReadingAt = 32
    private static let resumeReadingAt = 8

    let session: any WebSocketSession
    let eventLoop: any EventLoop
    private let stats: WebSocketStats
    private let shared = Mutex(Shared())

    // loop
    private var context: ChannelHandlerContext?
    private var closeState = CloseState.open
    private var parser: ClientFrameParser
    private var fragment: [UInt8]?
    private var fragmentIsText = false
    private var discardingData = false
    /// A close frame or a protocol error arrived: later frames are ignored while the answer waits for the jobs
    /// queued before it.
    private var inputDone = false
    private var pingPayload: UInt64?
    private var nextPing: NIODeadline = .now()
    private var lastMessage: NIODeadline = .now()
    /// The slot of the next heartbeat on the event loop's ``HeartbeatWheel``.
    private var heartbeatSlot: UInt64?
    private var closeTimer: Scheduled<Void>?
    private var graceTimer: Scheduled<Void>?
    private var tokenTimer: Scheduled<Void>?
    private var typingTimer: Scheduled<Void>?
    /// Counted frames flushed while the channel was not writable (NIO held them): reported to the outbox once it is
    /// writable again (``channelWritabilityChanged(context:)``).
    private var framesAwaitingWritability = 0
    /// A read the channel asked for while it was not writable: issued once it is writable again.
    private var readHeld = false
    /// Tasks waiting in ``waitUntilWritable()``.
    private var writabilityWaiters: [CheckedContinuation<Void, Never>] = []

    private let heartbeats: HeartbeatWheel

    init(session: any WebSocketSession, eventLoop: any EventLoop, stats: WebSocketStats, maxFrameSize: Int) {
        self.parser = ClientFrameParser(maxFrameSize: maxFrameSize)
        self.session = session
        self.eventLoop = eventLoop
        self.stats = stats
        self.heartbeats = HeartbeatWheel.of(eventLoop)
    }

    /// The session's send queue.
    var outbox: Outbox { self.session.outbox }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // NIO holds at most this much unwritten (a slow reader's frames count against the outbox beyond it).
        try? context.channel.syncOptions?.setOption(
            ChannelOptions.writeBufferWaterMark,
            value: Self.writeBufferWaterMark
        )
        self.stats.connectionOpened()
        self.outbox.attach(self)
        let now = NIODeadline.now()
        self.lastMessage = now
        self.nextPing = now + TimeAmount(self.session.limits.pingInterval)
        self.scheduleHeartbeat()
        self.enqueue(.open)
    }

    /// The channel's write buffer bounds: NIO reports the channel not writable above 16 KB of unwritten frames.
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 8 * 1024, high: 16 * 1024)

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if self.framesAwaitingWritability > 0 {
                let count = self.framesAwaitingWritability
                self.framesAwaitingWritability = 0
                self.outbox.didWriteFrames(count)
            }
            self.resumeWritabilityWaiters()
            if self.readHeld {
                self.readHeld = false
                context.read()
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Reads only while the channel is writable; a read asked for meanwhile waits for writability.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else if !self.readHeld {
            self.readHeld = true
            self.stats.readHeld()
        }
    }

    /// Returns once what was queued for this connection before the call has left for the socket within NIO's write
    /// bound (the channel is writable), or the connection is gone. A job that queued many frames outside the outbox's
    /// count (a `resume` replay) waits here, so the connection handles its next message only after them.
    func waitUntilWritable() async {
        await withCheckedContinuation { continuation in
            // Behind the outbox's pending write on the loop, so the check sees the frames queued before the call.
            self.eventLoop.execute { [self] in
                guard self.closeState != .closed, let context = self.context, !context.channel.isWritable else {
                    return continuation.resume()
                }
                self.writabilityWaiters.append(continuation)
            }
        }
    }

    private func resumeWritabilityWaiters() {
        let waiters = self.writabilityWaiters
        self.writabilityWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown()
        self.context = nil
    }

    private func tearDown() {
        guard self.closeState != .closed else { return }
        self.closeState = .closed
        for timer in [self.closeTimer, self.graceTimer, self.tokenTimer, self.typingTimer] {
            timer?.cancel()
        }
        if let slot = self.heartbeatSlot { self.heartbeats.remove(self, from: slot) }
        self.heartbeatSlot = nil
        self.closeTimer = nil
        self.graceTimer = nil
        self.tokenTimer = nil
        self.typingTimer = nil
        self.fragment = nil
        self.parser.reset()
        self.resumeWritabilityWaiters()
        self.stats.connectionClosed()
        self.enqueue(.closed)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The HTTP server shuts down: a websocket still open is closed like on shutdown.
            self.sendClose(code: .goingAway, reason: "server shutting down")
        } else if let event = event as? NIOCore.ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.closeState != .closed, !self.inputDone else { return }
        self.parser.append(Self.unwrapInboundIn(data))
        while self.closeState != .closed, !self.inputDone {
            switch self.parser.next() {
            case .frame(let frame):
                self.received(frame, context: context)
            case .needMore:
                return
            case .tooLarge:
                // Over the frame limit (twice the largest message limit): a bare 1009 at once, then the TCP
                // connection, before the frame's payload is read.
                self.refuseFrame(.messageTooLarge)
            case .badControlFrame:
                self.refuseFrame(.protocolError)
            }
        }
        self.parser.reset()
    }

    private func received(_ frame: ClientFrameParser.Frame, context: ChannelHandlerContext) {
        // RFC 6455 §5.1: a server must close the connection on an unmasked client frame.
        guard frame.masked else { return self.fail(.protocolError, reason: "unmasked frame") }
        guard frame.reservedBits == 0 else { return self.fail(.protocolError) }
        switch frame.opcode {
        case 0x8:
            self.receivedClose(frame.payload)
        case 0x9:
            guard self.closeState == .open else { return }
            let pong = ServerFrame.make(.pong, payload: frame.payload, allocator: context.channel.allocator)
            context.write(Self.wrapOutboundOut(pong), promise: nil)
        case 0xA:
            if let expected = self.pingPayload, frame.payload.count == 8,
                frame.payload.withUnsafeBytes({ UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }) == expected
            {
                self.pingPayload = nil
            }
        case 0x1, 0x2:
            guard self.closeState == .open, !self.discardingData else { return }
            guard self.fragment == nil else { return self.fail(.protocolError) }
            self.fragmentIsText = frame.opcode == 0x1
            self.append(frame)
        case 0x0:
            guard self.closeState == .open, !self.discardingData else { return }
            guard self.fragment != nil else { return self.fail(.protocolError) }
            self.append(frame)
        default:
            self.fail(.protocolError)
        }
    }

    /// A frame the parser refused: its close frame at once, then the TCP connection.
    private func refuseFrame(_ code: WebSocketErrorCode) {
        self.inputDone = true
        self.fragment = nil
        guard self.closeState == .open else {
            self.context?.close(promise: nil)
            return
        }
        self.closeState = .closing
        self.discardingData = true
        self.writeClose(code, reason: nil, thenCloseChannel: true)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    // MARK: Inbound messages

    private func append(_ frame: ClientFrameParser.Frame) {
        let size = (self.fragment?.count ?? 0) + frame.payload.count
        guard size <= self.session.limits.maxMessageSize else {
            // Clean up before the close handshake, which can take until the peer answers: a user who sent an
            // oversize message must not stay matchable meanwhile (D4). The session closes with 1009 afterwards.
            self.fragment = nil
            self.discardingData = true
            self.enqueue(.oversize)
            return
        }
        if self.fragment == nil, frame.fin {
            return self.deliver(frame.payload)
        }
        if self.fragment == nil {
            self.fragment = frame.payload
        } else {
            self.fragment?.append(contentsOf: frame.payload)
        }
        if frame.fin, let message = self.fragment {
            self.fragment = nil
            self.deliver(message)
        }
    }

    private func deliver(_ bytes: [UInt8]) {
        self.lastMessage = .now()
        let message: InboundMessage
        if self.fragmentIsText {
            guard Self.isValidUTF8(bytes) else {
                return self.fail(.dataInconsistentWithMessage)
            }
            message = .text(bytes)
        } else {
            message = .binary(bytes)
        }
        // With no job pending (so none running), handling it here keeps the connection's order.
        if !self.shared.withLock({ $0.draining }), self.session.receivedOnLoop(message, on: self) {
            self.stats.messageHandledOnLoop()
            return
        }
        self.enqueue(.message(message))
    }

    /// Whether `bytes` are UTF-8: ASCII is checked eight bytes at a time without making a string; anything else is
    /// left to the standard library's validation.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        let ascii = bytes.withUnsafeBytes { raw -> Bool in
            var index = 0
            while index + 8 <= raw.count {
                if raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
                    return false
                }
                index += 8
            }
            while index < raw.count {
                if raw[index] & 0x80 != 0 { return false }
                index += 1
            }
            return true
        }
        return ascii || String(validating: bytes, as: UTF8.self) != nil
    }

    private func receivedClose(_ payload: [UInt8]) {
        switch self.closeState {
        case .closed:
            return
        case .closing:
            // The answer to our close: the handshake is complete.
            self.context?.close(promise: nil)
        case .open:
            var data = ByteBuffer(bytes: payload)
            let size = data.readableBytes
            let code = data.readWebSocketErrorCode()
            var reply = WebSocketErrorCode.normalClosure
            if size == 1 {
                reply = .protocolError
            } else if case .unknown(let number) = code, number < 3000 || number > 4999 {
                reply = .protocolError
            } else if data.readableBytes > 0,
                String(validating: data.readableBytesView, as: UTF8.self) == nil
            {
                reply = .protocolError
            }
            // Answered after the messages that came before it were handled and their output written.
            self.inputDone = true
            self.enqueue(.close(reply, reason: nil))
        }
    }

    /// Fails the websocket with `code` (a protocol error): once the messages before the bad frame are handled, a
    /// close frame, then the TCP connection.
    private func fail(_ code: WebSocketErrorCode, reason: String? = nil) {
        self.discardingData = true
        self.fragment = nil
        guard self.closeState == .open, !self.inputDone else {
            self.context?.close(promise: nil)
            return
        }
        self.inputDone = true
        self.enqueue(.close(code, reason: reason))
    }

    /// Sends the close frame of a ``Job/close(_:reason:)`` and closes the TCP connection after it.
    private func closeNow(_ code: WebSocketErrorCode, reason: String?) {
        switch self.closeState {
        case .closed:
            return
        case .closing:
            self.context?.close(promise: nil)
        case .open:
            self.closeState = .closing
            self.writeClose(code, reason: reason, thenCloseChannel: true)
        }
    }

    private func writeClose(_ code: WebSocketErrorCode, reason: String?, thenCloseChannel: Bool) {
        guard let context else { return }
        let count = 2 + (reason?.utf8.count ?? 0)
        var frame = context.channel.allocator.buffer(capacity: ServerFrame.headerSize(payload: count) + count)
        ServerFrame.writeHeader(.connectionClose, payload: count, into: &frame)
        frame.write(webSocketErrorCode: code)
        if let reason { frame.writeString(reason) }
        let written = context.writeAndFlush(Self.wrapOutboundOut(frame))
        if thenCloseChannel {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Starts the close handshake: our close frame, then up to `closeTimeout` for the peer's.
    private func sendClose(code: WebSocketErrorCode, reason: String?) {
        guard self.closeState == .open, let context else { return }
        self.closeState = .closing
        self.discardingData = true
        self.writeClose(code, reason: reason, thenCloseChannel: false)
        let channel = context.channel
        self.closeTimer = context.eventLoop.scheduleTask(in: TimeAmount(self.session.limits.closeTimeout)) {
            channel.close(promise: nil)
        }
    }

    // MARK: Timers

    private func scheduleHeartbeat() {
        guard self.context != nil else { return }
        var next = self.nextPing
        if let deadline = self.session.limits.livenessDeadline {
            next = min(next, self.lastMessage + TimeAmount(deadline) + .milliseconds(1))
        }
        if let slot = self.heartbeatSlot { self.heartbeats.remove(self, from: slot) }
        self.heartbeatSlot = self.heartbeats.add(self, at: Self.onGrid(next, slack: self.session.limits.pingInterval))
    }

    func heartbeatDue() {
        self.heartbeatSlot = nil
        self.heartbeat()
    }

    /// `deadline` rounded up to a grid of 1/16 of the ping interval, at most 500 ms: heartbeats due in the same slot
    /// fire in one wake-up of the event loop, and their pongs come back together (B8: idle CPU).
    static func onGrid(_ deadline: NIODeadline, slack pingInterval: Duration) -> NIODeadline {
        let grid = max(1, min(500_000_000, TimeAmount(pingInterval).nanoseconds / 16))
        let nanoseconds = Int64(clamping: deadline.uptimeNanoseconds)
        let (slots, remainder) = nanoseconds.quotientAndRemainder(dividingBy: grid)
        return .uptimeNanoseconds(UInt64(remainder == 0 ? nanoseconds : (slots + 1) * grid))
    }

    private func heartbeat() {
        guard self.closeState == .open, let context else { return }
        let now = NIODeadline.now()
        if let deadline = self.session.limits.livenessDeadline, now - self.lastMessage > TimeAmount(deadline) {
            self.lastMessage = now  // once per deadline
            self.session.livenessExpired(on: self)
        }
        if now >= self.nextPing {
            self.nextPing = now + TimeAmount(self.session.limits.pingInterval)
            if self.session.limits.sendsWebSocketPings {
                if self.pingPayload != nil {
                    // The previous ping is still unanswered.
                    self.writeClose(.goingAway, reason: "Ping timeout", thenCloseChannel: true)
                    self.closeState = .closing
                    return
                }
                let payload = UInt64.random(in: .min ... .max)
                self.pingPayload = payload
                var ping = context.channel.allocator.buffer(capacity: 10)
                ServerFrame.writeHeader(.ping, payload: 8, into: &ping)
                ping.writeInteger(payload)
                context.write(Self.wrapOutboundOut(ping), promise: nil)
            }
            if let push = self.session.heartbeat(on: self) {
                context.write(Self.wrapOutboundOut(push.frame), promise: nil)
            }
            // Frames the outbox queued go out with its own flush, which is scheduled on this loop and takes these.
            if !self.shared.withLock({ $0.flushScheduled }) { context.flush() }
        }
        self.scheduleHeartbeat()
    }

    /// Runs `body` on the event loop after `delay`, replacing the timer of the same slot; cancelled when the
    /// connection closes.
    func schedule(_ slot: TimerSlot, in delay: Duration, _ body: @escaping @Sendable () -> Void) {
        self.eventLoop.execute { [self] in
            guard self.closeState != .closed else { return }
            let task = self.eventLoop.scheduleTask(in: TimeAmount(delay)) { body() }
            switch slot {
            case .tokenExpiry:
                self.tokenTimer?.cancel()
                self.tokenTimer = task
            case .typing:
                self.typingTimer?.cancel()
                self.typingTimer = task
            }
        }
    }

    // MARK: Outbound

    func deliver(_ item: Outbox.Item) {
        let schedule = self.shared.withLock { shared in
            shared.outgoing.append(item)
            defer { shared.flushScheduled = true }
            return !shared.flushScheduled
        }
        if schedule {
            self.eventLoop.execute { [self] in self.writeOutgoing() }
        }
    }

    func closeRequested(overflowed: Bool) {
        if overflowed { self.stats.slowConsumerCloses.increment() }
        self.eventLoop.execute { [self] in
            guard self.closeState != .closed, self.graceTimer == nil, let context = self.context else { return }
            let channel = context.channel
            self.graceTimer = context.eventLoop.scheduleTask(in: TimeAmount(self.session.limits.closeGrace)) {
                channel.close(promise: nil)
            }
        }
    }

    func finish() {}

    /// Writes every queued item with one flush; counted frames are reported to the outbox once flushed while the
    /// channel is writable (at most ``writeBufferWaterMark``'s high mark left unwritten in NIO).
    private func writeOutgoing() {
        let items = self.shared.withLock { shared in
            shared.flushScheduled = false
            defer { shared.outgoing = [] }
            return shared.outgoing
        }
        var unwritten = 0
        var written = 0
        guard let context else {
            for case .frame(_, _, true) in items { unwritten += 1 }
            if unwritten > 0 { self.outbox.didWriteFrames(unwritten) }
            return
        }
        for item in items {
            switch item {
            case .frame(let bytes, let binary, let counted):
                guard self.closeState == .open else {
                    if counted { unwritten += 1 }
                    continue
                }
                let frame = ServerFrame.make(
                    binary ? .binary : .text,
                    payload: bytes,
                    allocator: context.channel.allocator
                )
                if counted { written += 1 }
                context.write(Self.wrapOutboundOut(frame), promise: nil)
            case .close(let code, let reason):
                self.sendClose(code: WebSocketErrorCode(codeNumber: Int(code.rawValue)), reason: reason)
            }
        }
        if unwritten > 0 { self.outbox.didWriteFrames(unwritten) }
        context.flush()
        // Written, or held by NIO within its write buffer: the outbox counts them as gone while the channel is
        // writable, and as waiting (towards 4001) while NIO holds more than the high water mark. No write promise
        // per batch (two allocations and a callback per message and connection).
        if written > 0 {
            if context.channel.isWritable {
                self.outbox.didWriteFrames(written)
            } else {
                self.framesAwaitingWritability += written
            }
        }
    }

    // MARK: Jobs

    /// Runs `body` on the connection's job task after the calls already queued, before later messages; for a session
    /// that started handling a message in ``WebSocketSession/receivedOnLoop(_:on:)`` and has to wait (a busy channel
    /// lock, a storage read).
    func enqueueWork(_ body: @escaping @Sendable () async -> Void) {
        self.enqueue(.work(body))
    }

    private func enqueue(_ job: Job) {
        let (start, pause) = self.shared.withLock { shared -> (Bool, Bool) in
            shared.jobs.append(job)
            let pause = !shared.readingPaused && shared.jobs.count - shared.jobIndex > Self.pauseReadingAt
            if pause { shared.readingPaused = true }
            defer { shared.draining = true }
            return (!shared.draining, pause)
        }
        if pause, let context {
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        if start {
            self.stats.drainStarted()
            Task { await self.drain() }
        }
    }

    /// Runs the queued jobs in order; ends (and the task with it) when the queue is empty.
    private func drain() async {
        while true {
            let (job, resume) = self.shared.withLock { shared -> (Job?, Bool) in
                guard shared.jobIndex < shared.jobs.count else {
                    shared.jobs = []
                    shared.jobIndex = 0
                    shared.draining = false
                    return (nil, false)
                }
                let job = shared.jobs[shared.jobIndex]
                shared.jobIndex += 1
                if shared.jobIndex > 64 {
                    shared.jobs.removeFirst(shared.jobIndex)
                    shared.jobIndex = 0
                }
                let resume = shared.readingPaused && shared.jobs.count - shared.jobIndex <= Self.resumeReadingAt
                if resume { shared.readingPaused = false }
                return (job, resume)
            }
            if resume { self.resumeReading() }
            guard let job else { return self.stats.drainEnded() }
            switch job {
            case .open:
                await self.session.opened(on: self)
            case .message(let message):
                await self.session.received(message, on: self)
            case .work(let body):
                await body()
            case .oversize:
                await self.session.receivedOversize(on: self)
                self.outbox.close(.messageTooBig, reason: self.session.limits.oversizeReason.text)
            case .close(let code, let reason):
                // Queued on the loop behind the writes of the jobs before it.
                self.eventLoop.execute { [self] in self.closeNow(code, reason: reason) }
            case .closed:
                await self.session.closed(on: self)
                self.outbox.finish()
            }
        }
    }

    private func resumeReading() {
        self.eventLoop.execute { [self] in
            guard self.closeState != .closed, let context = self.context else { return }
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            self.read(context: context)
        }
    }
}

/// Server-wide websocket counters: what the connections cost right now (tests, leak checks) and the slow-consumer
/// metric.
final class WebSocketStats: Sendable {
    let slowConsumerCloses: Counter
    private let connections = Atomic<Int>(0)
    private let drains = Atomic<Int>(0)
    private let drainsStarted = Atomic<Int>(0)
    private let onLoop = Atomic<Int>(0)
    private let heldReads = Atomic<Int>(0)

    init(slowConsumerCloses: Counter) {
        self.slowConsumerCloses = slowConsumerCloses
    }

    /// Upgraded websockets whose TCP connection is open.
    var openConnections: Int { self.connections.load(ordering: .relaxed) }
    /// Tasks running session calls right now; 0 when every connection is idle.
    var drainTasks: Int { self.drains.load(ordering: .relaxed) }
    /// Tasks started to run session calls since the server started.
    var drainTasksStarted: Int { self.drainsStarted.load(ordering: .relaxed) }
    /// Messages the sessions handled on the event loop since the server started.
    var messagesHandledOnLoop: Int { self.onLoop.load(ordering: .relaxed) }
    /// Times a connection stopped reading because its channel was not writable (its peer does not read).
    var readsHeld: Int { self.heldReads.load(ordering: .relaxed) }

    func connectionOpened() { self.connections.add(1, ordering: .relaxed) }
    func connectionClosed() { self.connections.subtract(1, ordering: .relaxed) }
    func drainStarted() {
        self.drains.add(1, ordering: .relaxed)
        self.drainsStarted.add(1, ordering: .relaxed)
    }
    func messageHandledOnLoop() { self.onLoop.add(1, ordering: .relaxed) }
    func readHeld() { self.heldReads.add(1, ordering: .relaxed) }
    func drainEnded() { self.drains.subtract(1, ordering: .relaxed) }
}
