import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization

/// The server's child channel: HTTP/1 with a websocket upgrade whose connections run as channel handlers
/// (``WebSocketConnection``) instead of tasks.
///
/// The upgrade request goes through the router like any request, so middleware (metrics, refusals), cookie auth,
/// subprotocol negotiation and the route table apply. A websocket route (``Router/webSocket(_:handshake:)``) answers
/// 200 and leaves its ``WebSocketSession`` in the request context; the channel then writes the 101 and puts the
/// session's handler in the pipeline. Any other answer refuses the upgrade: an empty 400, which ``RefusalRewriter``
/// (first in the pipeline) replaces with the refusal the route recorded.
struct ChatServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Outcome: Sendable {
        case webSocket
        case notUpgraded(HTTP1Channel.Value)
        case failedUpgrade(HTTP1Channel.Value)
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let webSocketResponder: RouterResponder<ChatRequestContext>
    let http1: HTTP1Channel.Configuration
    /// The websocket frame limit (above every endpoint's message limit, which the connection checks).
    let maxFrameSize: Int
    let silentConnections: SilentConnections
    let stats: WebSocketStats
    /// Bounds the upgrade handshakes that run the router at once.
    let handshakes = HandshakeLimiter(limit: Self.maxConcurrentHandshakes)

    /// Upgrade handshakes running the router (middleware, token and storage checks) at once; later ones wait in line.
    /// A running handshake's task holds about 12 KB of async frames; a burst of thousands of upgrades (a reconnect
    /// storm, B5's 9,000 sessions) would otherwise hold them all at once and leave the connections' long-lived objects
    /// scattered through a heap that size, whose freed holes no trim can return (B5). Handshakes are CPU and SQLite
    /// work on two to a few cores, so more than this in flight adds no throughput.
    static let maxConcurrentHandshakes = 64

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        webSocketResponder: RouterResponder<ChatRequestContext>,
        http1: HTTP1Channel.Configuration,
        maxFrameSize: Int,
        silentConnections: SilentConnections,
        stats: WebSocketStats
    ) {
        self.responder = Self.upgradeAfterRequestResponder(responder)
        self.webSocketResponder = webSocketResponder
        self.http1 = http1
        self.maxFrameSize = maxFrameSize
        self.silentConnections = silentConnections
        self.stats = stats
    }

    /// The receive buffer of a connection starts at 512 bytes instead of NIO's 2048 and doubles on every full read
    /// (up to 64 KiB, so uploads reach full-size reads within a few reads). NIO keeps a connection's receive buffer for
    /// reuse for the connection's lifetime, so an idle websocket holds the size its traffic needed, and a handshake
    /// (about 400 bytes from the SDK) fits in 512: 1.5 KB less per idle connection (B5).
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveAllocator)
            try channel.pipeline.syncOperations.addHandler(
                RefusalRewriter(
                    silentConnections: self.silentConnections,
                    silenceTimeout: self.http1.idleTimeout
                ),
                position: .first
            )
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let session = NIOLockedValueBox<(any WebSocketSession)?>(nil)
            let upgrader = WebSocketUpgrader<Outcome>(
                shouldUpgrade: { channel, head in
                    upgradeAttempted.value = true
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    self.handshakes.run {
                        guard let accepted = await self.handshake(head, channel: channel, logger: logger) else {
                            return promise.succeed(nil)
                        }
                        session.withLockedValue { $0 = accepted.session }
                        promise.succeed(accepted.headers)
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let accepted = session.withLockedValue({ $0 }) else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        session.withLockedValue { $0 = nil }
                        let operations = channel.pipeline.syncOperations
                        if let rewriter = try? operations.handler(type: RefusalRewriter.self) {
                            operations.removeHandler(rewriter, promise: nil)
                        }
                        try operations.addHandler(
                            WebSocketConnection(
                                session: accepted,
                                eventLoop: channel.eventLoop,
                                stats: self.stats,
                                maxFrameSize: self.maxFrameSize
                            )
                        )
                        return .webSocket
                    }
                }
            )
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<Outcome>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(self.http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(
                                idleTimeout: self.http1.idleTimeout.map { .init($0) },
                                logger: logger
                            )
                        )
                        let asyncChannel = try HTTP1Channel.Value(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        return upgradeAttempted.value ? .failedUpgrade(asyncChannel) : .notUpgraded(asyncChannel)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(
                upgradeConfiguration: upgradeConfiguration
            )
            configuration.enablePipelining = false  // HTTP is pipelined by NIOAsyncChannel
            configuration.enableErrorHandling = false  // Hummingbird handles errors
            configuration.enableResponseHeaderValidation = false  // Swift HTTP Types validate headers
            configuration.decoderConfiguration.maxHeaderFieldSize = self.http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = self.http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = self.http1.httpDecoder.maxHeaderFieldCount
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                configuration: configuration
            )
            return Value(outcome: outcome, channel: channel)
        }
    }

    /// Runs the upgrade request through the router; returns the extra response headers and the session when a
    /// websocket route accepted it.
    private func handshake(
        _ head: HTTPRequestHead,
        channel: any Channel,
        logger: Logger
    ) async -> (headers: HTTPHeaders, session: any WebSocketSession)? {
        guard let httpRequest = try? HTTPRequest(head, secure: false, splitCookie: false) else { return nil }
        let request = Request(head: httpRequest, body: .init(buffer: .init()))
        let context = ChatRequestContext(source: .init(channel: channel, logger: logger))
        guard let response = try? await self.webSocketResponder.respond(to: request, context: context),
            response.status == .ok,
            let session = context.acceptedWebSocket.take()
        else { return nil }
        var headers = HTTPHeaders()
        for field in response.headers { headers.add(name: field.name.rawName, value: field.value) }
        return (headers, session)
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .webSocket:
                // The connection lives on in its channel handlers; no task stays behind.
                return
            case .notUpgraded(let http1):
                await self.handleHTTP(asyncChannel: http1, logger: logger)
            case .failedUpgrade(let http1):
                await Self.writeFailedUpgrade(http1, logger: logger)
            }
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("Upgrade failed as input was closed")
        } catch {
            logger.debug("Error handling upgrade result", metadata: ["error.type": "\(error)"])
        }
    }

    /// An empty 400 that closes the connection; ``RefusalRewriter`` puts the recorded refusal in its place.
    private static func writeFailedUpgrade(_ http1: HTTP1Channel.Value, logger: Logger) async {
        do {
            try await http1.executeThenClose { _, outbound in
                let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
            }
        } catch {
            logger.trace("Failed to write the refused upgrade: \(error)")
        }
    }

    /// NIO's upgrade runs only on a connection's first request: a later upgrade request on a kept-alive connection
    /// is answered with a redirect to itself and a close, so the client retries on a new connection (as
    /// hummingbird-websocket does).
    private static func upgradeAfterRequestResponder(
        _ responder: @escaping HTTPChannelHandler.Responder
    ) -> HTTPChannelHandler.Responder {
        struct RedirectCloseError: Error {}
        return { (request: Request, writer: consuming ResponseWriter, channel: any Channel) in
            guard request.headers[.upgrade] == "websocket" else {
                return try await responder(request, writer, channel)
            }
            var path = request.uri.path
            if let query = request.uri.query { path += "?\(query)" }
            let response = HTTPResponse(
                status: .temporaryRedirect,
                headerFields: [.connection: "close", .location: path]
            )
            try await writer.writeResponse(response)
            throw RedirectCloseError()
        }
    }
}

/// A first-come, first-served bound on concurrent async jobs (``ChatServerChannel``'s upgrade handshakes). A job
/// that has to wait is kept as its closure and gets its task only when it starts, so a waiting handshake costs no
/// task and no async frames. Jobs are not cancellable: a handshake whose connection closed meanwhile runs and fails
/// quickly.
final class HandshakeLimiter: Sendable {
    typealias Job = @Sendable () async -> Void

    private struct State {
        var available: Int
        var waiting: [Job] = []
        /// The first job in `waiting` still to start (a queue without moving the array on every pop).
        var head = 0
    }

    private let state: Mutex<State>

    init(limit: Int) {
        self.state = Mutex(State(available: limit))
    }

    /// Runs `job` on a task of its own once fewer than `limit` other jobs are running.
    func run(_ job: @escaping Job) {
        let start = self.state.withLock { state in
            guard state.available > 0 else {
                state.waiting.append(job)
                return false
            }
            state.available -= 1
            return true
        }
        if start { self.start(job) }
    }

    private func start(_ job: @escaping Job) {
        Task {
            await job()
            self.finished()
        }
    }

    /// A job ended: its permit passes to the first waiting job, if any.
    private func finished() {
        let next: Job? = self.state.withLock { state in
            guard state.head < state.waiting.count else {
                state.available += 1
                return nil
            }
            let next = state.waiting[state.head]
            state.head += 1
            if state.head == state.waiting.count {
                state.waiting.removeAll()
                state.head = 0
            } else if state.head >= 1024, state.head * 2 >= state.waiting.count {
                state.waiting.removeFirst(state.head)
                state.head = 0
            }
            return next
        }
        if let next { self.start(next) }
    }
}

/// Where a websocket route leaves the session of an accepted upgrade, for ``ChatServerChannel``.
final class AcceptedWebSocket: Sendable {
    private let session = Mutex<(any WebSocketSession)?>(nil)

    func set(_ session: any WebSocketSession) {
        self.session.withLock { $0 = session }
    }

    func take() -> (any WebSocketSession)? {
        self.session.withLock { session in
            defer { session = nil }
            return session
        }
    }
}

extension Router where Context == ChatRequestContext {
    /// A websocket route on the NIO path: `handshake` runs the upgrade's checks (throwing refuses it) and returns the
    /// extra response headers and the connection's session.
    func webSocket(
        _ path: RouterPath,
        handshake: @escaping @Sendable (Request, ChatRequestContext) async throws -> (HTTPFields, any WebSocketSession)
    ) {
        self.on(path, method: .get) { request, context -> Response in
            let (headers, session) = try await handshake(request, context)
            context.acceptedWebSocket.set(session)
            return Response(status: .ok, headers: headers)
        }
    }
}

/// NIO's websocket upgrader for the handshake (the key and version checks, the accept hash), without its pipeline:
/// the upgrade adds only the ``WebSocketConnection``, which reads the client's frames from the socket's bytes
/// (``ClientFrameParser``) and writes whole frames itself (``ServerFrame``) — no frame decoder, byte-to-message
/// handler, frame encoder or protocol-error handler of NIO's in the websocket's pipeline.
struct WebSocketUpgrader<UpgradeResult: Sendable>: NIOTypedHTTPServerProtocolUpgrader {
    private let handshake: NIOTypedWebSocketServerUpgrader<UpgradeResult>
    private let upgradePipelineHandler: @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<UpgradeResult>

    var supportedProtocol: String { self.handshake.supportedProtocol }
    var requiredUpgradeHeaders: [String] { self.handshake.requiredUpgradeHeaders }

    init(
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        upgradePipelineHandler: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<UpgradeResult>
    ) {
        self.handshake = NIOTypedWebSocketServerUpgrader(
            shouldUpgrade: shouldUpgrade,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
            }
        )
        self.upgradePipelineHandler = upgradePipelineHandler
    }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        self.handshake.buildUpgradeResponse(
            channel: channel,
            upgradeRequest: upgradeRequest,
            initialResponseHeaders: initialResponseHeaders
        )
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        self.upgradePipelineHandler(channel, upgradeRequest)
    }
}
