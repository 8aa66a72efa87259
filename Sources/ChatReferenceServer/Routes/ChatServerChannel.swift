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
    /// The decoder's frame limit (above every endpoint's message limit, which the connection checks).
    let maxFrameSize: Int
    let silentConnections: SilentConnections
    let stats: WebSocketStats

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

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                RefusalRewriter(silentConnections: self.silentConnections),
                position: .first
            )
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let session = NIOLockedValueBox<(any WebSocketSession)?>(nil)
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: self.maxFrameSize,
                shouldUpgrade: { channel, head in
                    upgradeAttempted.value = true
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        guard let accepted = await self.handshake(head, channel: channel, logger: logger) else {
                            return nil
                        }
                        session.withLockedValue { $0 = accepted.session }
                        return accepted.headers
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
                                stats: self.stats
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
