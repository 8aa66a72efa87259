import Foundation
import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// A configured reference server: the Hummingbird application plus the service that closes websockets with 1001
/// on graceful shutdown. Run it directly, or put it in your own `ServiceGroup`.
public struct ChatServer: Service {
    /// The configuration the server was built with (with the secret resolved).
    public let configuration: ServerConfiguration
    let application: Application<RouterResponder<ChatRequestContext>>
    let state: ServerState
    /// Every route of the router (HTTP and websocket handshakes), as `openapi/openapi.yaml` must list them.
    let routes: RouteTable
    /// The event-loop group the server made for ``ServerConfiguration/eventLoopThreads``, shut down after it stops.
    let ownedEventLoopGroup: MultiThreadedEventLoopGroup?
    /// The event-loop group the server's connections run on.
    let eventLoopGroup: MultiThreadedEventLoopGroup

    /// The group servers share when ``ServerConfiguration/eventLoopThreads`` is not set: half the cores, at least
    /// one (``ServerConfiguration/defaultEventLoopThreads``); never shut down, like SwiftNIO's singleton.
    static let defaultEventLoopGroup = MultiThreadedEventLoopGroup(
        numberOfThreads: ServerConfiguration.defaultEventLoopThreads
    )

    /// Runs until graceful shutdown (or cancellation): first websockets are closed with 1001, then the HTTP server
    /// drains.
    public func run() async throws {
        var services: [any Service] = [
            self.application, WebSocketDrain(state: self.state), MatchTimers(state: self.state),
            StorageCheckpoints(state: self.state),
            MessageFlusher(state: self.state),
        ]
        if self.configuration.endedChannelRetention != nil {
            services.append(ChannelRetention(state: self.state))
        }
        #if canImport(Glibc)
        if let interval = self.configuration.memoryReclaimInterval {
            services.append(
                MemoryReclaimer(
                    interval: interval,
                    threshold: self.configuration.memoryReclaimThreshold,
                    metrics: self.state.metrics,
                    logger: self.state.logger
                )
            )
        }
        #endif
        let group = ServiceGroup(configuration: .init(services: services, logger: self.state.logger))
        do {
            try await group.run()
        } catch {
            try? await self.ownedEventLoopGroup?.shutdownGracefully()
            throw error
        }
        try? await self.ownedEventLoopGroup?.shutdownGracefully()
    }
}

/// On graceful shutdown closes every chat and match websocket with 1001 before the HTTP server stops.
private struct WebSocketDrain: Service {
    let state: ServerState

    func run() async throws {
        try? await gracefulShutdown()
        self.state.hub.shutDown()
        await self.state.matchmaker.shutDown()
        self.state.silentConnections.closeAll()
        // Give writers a moment to put the close frames on the wire before the server tears connections down.
        let deadline = ContinuousClock.now + .seconds(2)
        while self.state.hub.connectionCount > 0 || self.state.webSockets.openConnections > 0,
            ContinuousClock.now < deadline
        {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Runs the matchmaker's confirm and wait timeouts every 100 ms while a ticket exists, until graceful shutdown; with
/// no ticket it sleeps until one is created (an idle server does not wake ten times a second: B8).
private struct MatchTimers: Service {
    let state: ServerState

    func run() async throws {
        let matchmaker = self.state.matchmaker
        try? await cancelWhenGracefulShutdown {
            var tickets = matchmaker.ticketCreated.makeAsyncIterator()
            while !Task.isCancelled {
                if await matchmaker.hasTimedWork {
                    try await Task.sleep(for: .milliseconds(100))
                    await matchmaker.tick()
                } else if await tickets.next() == nil {
                    return
                }
            }
        }
    }
}

/// Runs the storage's checkpoint every 500 ms until graceful shutdown, off the event loops (the message append on
/// the event loops leaves checkpoints to it).
private struct StorageCheckpoints: Service {
    let state: ServerState

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(500))
                do {
                    try await self.state.storage.checkpoint()
                } catch {
                    self.state.logger.warning("checkpoint failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// When ``MessageFlusher`` commits the journal's messages to the database.
///
/// Each flush is one transaction plus a hop to the database's writer thread: at a trickle of messages that fixed cost
/// dominates (at 500 msg/s the threads outside the event loops cost 22-24 µs of CPU per message flushing every 100 ms,
/// 8-12 µs once a second; BENCHMARKS.md, B4). The journal keeps pending messages durable meanwhile, and every read of messages
/// flushes first, so the wait is invisible to clients; it bounds only memory (and a restart's replay).
enum FlushPolicy {
    /// The longest a message waits for its flush (plus one ``check``).
    static let interval: Duration = .seconds(1)
    /// How often the flusher looks at the journal while messages wait.
    static let check: Duration = .milliseconds(250)
    /// Pending messages that make a flush due before ``interval``: a quarter of the journal's bound
    /// (``MessageJournal/maximumPending``), so a burst never makes an append flush on its event loop below
    /// 4 × `batch` messages per ``check`` (65,536 messages a second).
    static let batch = MessageJournal.maximumPending / 4

    /// Whether a flush is due with `pending` messages waiting, `waited` after the cycle's first append or the last
    /// flush.
    static func isDue(pending: Int, waited: Duration) -> Bool {
        pending >= Self.batch || (pending > 0 && waited >= Self.interval)
    }
}

/// Commits appended messages to the database off the event loops (``FlushPolicy``): a second after a cycle's first
/// append and then once a second while appends go on, or sooner when ``FlushPolicy/batch`` messages wait; an idle
/// server does not wake for it. On graceful shutdown, a last flush.
private struct MessageFlusher: Service {
    let state: ServerState

    func run() async throws {
        let storage = self.state.storage
        await cancelWhenGracefulShutdown {
            for await _ in storage.appends {
                var since = ContinuousClock.now
                while true {
                    do {
                        try await Task.sleep(for: FlushPolicy.check)
                    } catch {
                        return  // cancelled: the last flush follows
                    }
                    let pending = storage.pendingAppends
                    if pending == 0 { break }  // a read flushed them
                    guard FlushPolicy.isDue(pending: pending, waited: .now - since) else { continue }
                    since = .now
                    do {
                        try await storage.flushAppends()
                    } catch is CancellationError {
                        return
                    } catch {
                        // Retried when due again: the messages stay pending (and durable in the journal), and no new
                        // append would wake the flusher while any is pending.
                        self.state.logger.warning("message flush failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        do {
            try await storage.flushAppends()
        } catch {
            self.state.logger.error("last message flush failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Builds the reference server: opens (or creates) the data directory and database, resolves the JWT secret, and
/// wires every route.
///
/// ```swift
/// var configuration = ServerConfiguration()
/// configuration.port = 0
/// let server = try await buildApplication(configuration: configuration) { port in print("listening on \(port)") }
/// try await server.run()
/// ```
/// - Parameters:
///   - configuration: The configuration.
///   - logger: The logger; by default a `chat-server` logger at the configured level.
///   - onServerRunning: Called with the bound port once the server listens.
/// - Returns: The server, ready to run.
/// - Throws: ``ConfigurationError`` for a short JWT secret or an unusable data directory; storage errors.
public func buildApplication(
    configuration: ServerConfiguration,
    logger: Logger? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> ChatServer {
    var configuration = configuration
    let logger =
        logger
        ?? {
            var logger = Logger(label: "chat-server")
            logger.logLevel = configuration.logLevel
            return logger
        }()
    let dataDirectory = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true)
    do {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
    } catch {
        throw ConfigurationError("cannot create the data directory \(dataDirectory.path): \(error)")
    }
    let secret = try configuration.jwtSecret ?? loadOrCreateSecret(in: dataDirectory)
    configuration.jwtSecret = secret
    let tokens = try await ChannelTokens(secret: secret, lifetime: configuration.tokenLifetime)
    let storage = try SQLiteStorage(path: dataDirectory.appendingPathComponent("chat.sqlite").path)
    let objects = try ObjectStore(root: dataDirectory.appendingPathComponent("objects"), secret: secret)
    let state = ServerState(
        configuration: configuration,
        storage: storage,
        tokens: tokens,
        objects: objects,
        logger: logger
    )
    try await state.blockLists.loadBlockers()

    let router = Router(context: ChatRequestContext.self)
    let routes = RouteTable()
    router.add(middleware: MetricsAndCORSMiddleware(metrics: state.metrics, logger: logger, routes: routes))
    router.add(middleware: WebSocketRefusalMiddleware())
    router.get("health") { _, _ in Response.json(Array(#"{"status":"ok"}"#.utf8)) }
    router.get("metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: state.metrics.render()))
        )
    }
    UserRoutes(state: state).register(on: router)
    MatchRoutes(state: state).register(on: router)
    ChatRoutes(state: state).register(on: router)
    UploaderRoutes(state: state).register(on: router)
    OpenAPIRoutes().register(on: router)
    if configuration.conformanceEcho {
        if ["127.0.0.1", "::1", "localhost"].contains(configuration.host) {
            ConformanceEchoRoute(state: state).register(on: router)
        } else {
            logger.warning("--conformance-echo ignored: the server does not listen on loopback")
        }
    }
    routes.fill(from: router)
    let host = configuration.host
    let configuredPort = configuration.port

    let webSocketResponder = router.buildResponder()
    let silentConnections = state.silentConnections
    let webSocketStats = state.webSockets
    // The connection's frame parser closes with a bare 1009 at this limit, before the frame's payload is read; with
    // twice the largest per-endpoint limit, a message just over an endpoint's limit reaches the connection, which
    // sends v2 clients the `MESSAGE_TOO_LARGE` error push before its 1009 (RC-CHAT-CLOSE-2).
    let maxFrameSize =
        configuration.conformanceEcho
        ? ConformanceEchoRoute.maxMessageSize
        : 2
            * max(
                configuration.limits.maxChatFrameSize,
                configuration.limits.maxMatchFrameSize,
                configuration.limits.maxV2FrameSize
            )
    let idleTimeout = TimeAmount(configuration.limits.idleTimeout)
    let ownedEventLoopGroup = configuration.eventLoopThreads.map { MultiThreadedEventLoopGroup(numberOfThreads: $0) }
    let eventLoopGroup = ownedEventLoopGroup ?? ChatServer.defaultEventLoopGroup
    let application = Application(
        router: router,
        server: HTTPServerBuilder { responder in
            ChatServerChannel(
                responder: responder,
                webSocketResponder: webSocketResponder,
                http1: .init(
                    additionalChannelHandlers: [ExpectContinueHandler()],
                    idleTimeout: idleTimeout
                ),
                maxFrameSize: maxFrameSize,
                silentConnections: silentConnections,
                stats: webSocketStats
            )
        },
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            backlog: configuration.listenBacklog
        ),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuredPort
            logger.info("chat-server listening on http://\(host):\(port)")
            await onServerRunning(port)
        },
        eventLoopGroupProvider: .shared(eventLoopGroup),
        logger: logger
    )
    return ChatServer(
        configuration: configuration,
        application: application,
        state: state,
        routes: routes,
        ownedEventLoopGroup: ownedEventLoopGroup,
        eventLoopGroup: eventLoopGroup
    )
}

/// Reads `<data>/jwt-secret`, or writes 32 random bytes (base64url) there, readable by the owner only.
private func loadOrCreateSecret(in directory: URL) throws -> String {
    let file = directory.appendingPathComponent("jwt-secret")
    if let existing = try? String(contentsOf: file, encoding: .utf8) {
        return existing.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    var generator = SystemRandomNumberGenerator()
    let secret = Data((0..<48).map { _ in UInt8.random(in: 0 ... .max, using: &generator) })
        .base64URLEncodedString(padded: false)
    try Data(secret.utf8).write(to: file, options: .atomic)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    return secret
}
