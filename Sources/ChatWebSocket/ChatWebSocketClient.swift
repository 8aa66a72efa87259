import Foundation
public import Logging
import NIOCore
import NIOPosix
public import NIOSSL
import NIOWebSocket
@_spi(WSInternal) public import WSCore

/// A websocket upgrade the server answered with something other than `101 Switching Protocols`.
public struct WebSocketUpgradeRefused: Error, Sendable {
    /// The HTTP status.
    public var status: Int
    /// The answer's headers.
    public var headers: [(String, String)]
    /// The answer's body (at most 64 KB).
    public var body: [UInt8]
}

/// Why a websocket upgrade failed before any answer could be used.
public enum WebSocketUpgradeError: Error, Sendable, Hashable {
    /// The URL is not a `ws://` or `wss://` URL with a host.
    case invalidURL
    /// The connection closed before the server answered the upgrade.
    case closedBeforeAnswer
    /// No complete answer within the handshake timeout.
    case timedOut
    /// The answer was not valid HTTP/1.1, or a 101 without the websocket upgrade headers.
    case malformedAnswer
    /// `Sec-WebSocket-Accept` does not match the key sent.
    case badAccept
    /// The server chose a subprotocol the client did not offer.
    case unofferedSubprotocol(String)
}

/// What a websocket handler sees besides the two directions: the negotiated subprotocol and the answer's headers.
public struct ChatWebSocketContext: WebSocketContext {
    /// The logger.
    public let logger: Logger
    /// The subprotocol the server chose (`Sec-WebSocket-Protocol`), or `nil`.
    public let subprotocol: String?
    /// The headers of the `101` answer.
    public let headers: [(String, String)]
    let farewellHandler: NIOLoopBound<WebSocketFarewellHandler>
    let channel: any Channel

    /// Drops the connection at once, without a close handshake (a dead link: the peer would never answer it). The
    /// handler's inbound stream ends.
    public func abort() {
        self.channel.close(promise: nil)
    }

    /// Sets the message to write should the task running this connection be cancelled (see
    /// ``WebSocketFarewell``); `nil` withdraws it.
    /// - Parameter farewell: The farewell, or `nil`.
    public func setFarewell(_ farewell: WebSocketFarewell?) {
        let handler = self.farewellHandler
        handler.eventLoop.execute { handler.value.set(farewell) }
    }
}

/// Options for one websocket connection.
public struct ChatWebSocketOptions: Sendable {
    /// Extra request headers (cookies, authorization).
    public var headers: [(String, String)] = []
    /// Subprotocols to offer, in order of preference.
    public var subprotocols: [String] = []
    /// The largest frame accepted.
    public var maxFrameSize: Int = 1 << 20
    /// Ping the server this often and close the link when a pong does not come back in time; `nil`: never.
    public var pingInterval: Duration?
    /// How long to wait for the server's close frame after sending one.
    public var closeTimeout: Duration = .seconds(2)
    /// How long the TCP connect plus the upgrade may take.
    public var handshakeTimeout: Duration = .seconds(10)
    /// TLS settings for `wss://` (the default: system trust roots).
    public var tls: TLSConfiguration = .makeClientConfiguration()

    /// Creates default options.
    public init() {}
}

/// A websocket client over SwiftNIO, with swift-websocket's message handling (`WSCore`), its own upgrade step and its
/// own frame codec (`ClientFrameCodec`).
///
/// swift-websocket 1.6.2's `WSClient` loses (or leaves stuck until the next read) frames that arrive in the same
/// TCP read as the `101` answer, hangs when the connection closes before the answer, does not report which
/// subprotocol the server chose, and reports every refusal as one error without status or body. This client keeps
/// the rest of swift-websocket (frame aggregation, ping/pong, the close handshake, the inbound/outbound API) and
/// replaces the upgrade: see `WebSocketUpgradeHandler`.
public enum ChatWebSocketClient {
    /// Connects to `url`, runs `handler` while the websocket is open, and returns the server's close frame.
    /// - Parameters:
    ///   - url: A `ws://` or `wss://` URL.
    ///   - options: Headers, subprotocols, limits and timeouts.
    ///   - logger: The logger.
    ///   - handler: Runs while the websocket is open; the websocket closes when it returns.
    /// - Returns: The close frame, or `nil` when the connection ended without one.
    /// - Throws: ``WebSocketUpgradeRefused``, ``WebSocketUpgradeError``, connection errors, or what `handler` throws.
    public static func connect(
        url: String,
        options: ChatWebSocketOptions = .init(),
        logger: Logger,
        handler: @escaping WebSocketDataHandler<ChatWebSocketContext>
    ) async throws -> WebSocketCloseFrame? {
        let (upgraded, _) = try await Self.upgrade(url: url, options: options, conversation: nil)
        guard let channel = upgraded.channel else { throw WebSocketUpgradeError.malformedAnswer }  // unreachable
        let farewell = upgraded.farewell
        return try await withTaskCancellationHandler {
            try await Self.handle(upgraded, channel, options: options, logger: logger, handler: handler)
        } onCancel: {
            farewell.eventLoop.execute { farewell.value.cancelled() }
        }
    }

    /// Connects to `url` and runs `conversation` on the connection's event loop until the connection ends.
    ///
    /// Cancelling the calling task writes the farewell the conversation set (``ChatWebSocketLink/setFarewell(_:)``)
    /// and closes the connection once its reply arrived or its timeout passed; then the call throws
    /// `CancellationError`.
    /// - Parameters:
    ///   - url: A `ws://` or `wss://` URL.
    ///   - options: Headers, subprotocols, limits (`maxFrameSize` bounds a message too) and timeouts.
    ///   - conversation: Called on the event loop for the opening and every message.
    /// - Returns: The server's close frame, or `nil` when the connection ended without one.
    /// - Throws: ``WebSocketUpgradeRefused``, ``WebSocketUpgradeError``, connection errors, `CancellationError`.
    public static func converse(
        url: String,
        options: ChatWebSocketOptions = .init(),
        conversation: any ChatWebSocketConversation
    ) async throws -> ChatWebSocketCloseFrame? {
        let (upgraded, channel) = try await Self.upgrade(url: url, options: options, conversation: conversation)
        guard let ended = upgraded.ended else { return nil }
        let farewell = upgraded.farewell
        let closeFrame = try await withTaskCancellationHandler {
            try await ended.get()
        } onCancel: {
            // The close waits in the farewell handler for the farewell's reply (or its timeout).
            farewell.eventLoop.execute {
                farewell.value.cancelled()
                channel.close(promise: nil)
            }
        }
        try Task.checkCancellation()
        return closeFrame
    }

    /// The TCP connection and the upgrade; with a conversation, its handler ends the pipeline.
    private static func upgrade(
        url: String,
        options: ChatWebSocketOptions,
        conversation: (any ChatWebSocketConversation)?
    ) async throws -> (UpgradeAnswer, any Channel) {
        let target = try WebSocketURL(url)
        let sslContext = target.tls ? try NIOSSLContext(configuration: options.tls) : nil
        let timeout = TimeAmount.nanoseconds(Int64(options.handshakeTimeout.components.seconds) * 1_000_000_000)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        let initialize: @Sendable (any Channel) -> EventLoopFuture<EventLoopFuture<UpgradeAnswer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                if let sslContext {
                    let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: target.sniHost)
                    try channel.pipeline.syncOperations.addHandler(tls)
                }
                let promise = channel.eventLoop.makePromise(of: UpgradeAnswer.self)
                let tail = conversation.map { conversation in
                    WebSocketConversationHandler(
                        conversation: conversation,
                        maxMessageSize: options.maxFrameSize,
                        pingInterval: options.pingInterval.map(TimeAmount.init),
                        closeTimeout: TimeAmount(options.closeTimeout)
                    )
                }
                try channel.pipeline.syncOperations.addHandler(
                    WebSocketUpgradeHandler(
                        host: target.hostHeader,
                        path: target.path,
                        headers: options.headers,
                        subprotocols: options.subprotocols,
                        maxFrameSize: options.maxFrameSize,
                        timeout: timeout,
                        promise: promise,
                        conversation: tail
                    )
                )
                return promise.futureResult
            }
        }
        // An IP address needs no resolver: connecting to it directly skips getaddrinfo on a thread of its own and
        // the Happy Eyeballs timers, per connection.
        let answer: EventLoopFuture<UpgradeAnswer> =
            if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
                try await bootstrap.connect(to: address, channelInitializer: initialize)
            } else {
                try await bootstrap.connect(host: target.host, port: target.port, channelInitializer: initialize)
            }
        let upgraded = try await withTaskCancellationHandler {
            try await answer.get()
        } onCancel: {
            answer.whenSuccess { $0.rawChannel.close(promise: nil) }
        }
        return (upgraded, upgraded.rawChannel)
    }

    private static func handle(
        _ upgraded: UpgradeAnswer,
        _ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>,
        options: ChatWebSocketOptions,
        logger: Logger,
        handler: @escaping WebSocketDataHandler<ChatWebSocketContext>
    ) async throws -> WebSocketCloseFrame? {
        try await WebSocketHandler.handle(
            type: .client,
            configuration: .init(
                extensions: [],
                autoPing: options.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled,
                closeTimeout: options.closeTimeout,
                validateUTF8: true,
                maxFrameSize: options.maxFrameSize
            ),
            asyncChannel: channel,
            context: ChatWebSocketContext(
                logger: logger,
                subprotocol: upgraded.subprotocol,
                headers: upgraded.headers,
                farewellHandler: upgraded.farewell,
                channel: upgraded.rawChannel
            ),
            handler: handler
        )
    }
}

/// The parts of a websocket URL the client needs.
struct WebSocketURL {
    var tls: Bool
    var host: String
    var port: Int
    var path: String

    /// `Host` header value.
    var hostHeader: String {
        let bracketed = self.host.contains(":") ? "[\(self.host)]" : self.host
        return (self.tls && self.port == 443) || (!self.tls && self.port == 80)
            ? bracketed : "\(bracketed):\(self.port)"
    }

    /// The server name for TLS SNI (`nil` for an IP address).
    var sniHost: String? {
        self.host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : self.host
    }

    init(_ text: String) throws {
        let schemeEnd = text.range(of: "://")
        guard let schemeEnd else { throw WebSocketUpgradeError.invalidURL }
        switch text[..<schemeEnd.lowerBound].lowercased() {
        case "ws", "http": self.tls = false
        case "wss", "https": self.tls = true
        default: throw WebSocketUpgradeError.invalidURL
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<authorityEnd])
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        self.path = path
        var host = authority
        var port: Int?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw WebSocketUpgradeError.invalidURL }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = Int(authority[authority.index(after: colon)...])
            guard port != nil else { throw WebSocketUpgradeError.invalidURL }
        }
        guard !host.isEmpty, !host.contains("@") else { throw WebSocketUpgradeError.invalidURL }
        self.host = host
        self.port = port ?? (self.tls ? 443 : 80)
        guard (1...65535).contains(self.port) else { throw WebSocketUpgradeError.invalidURL }
    }
}

/// Test access to URL parsing.
public enum WebSocketURLForTests {
    /// Parses `text` as the client does and returns host, port, path and the `Host` header.
    public static func parse(_ text: String) throws -> (host: String, port: Int, path: String, hostHeader: String) {
        let url = try WebSocketURL(text)
        return (url.host, url.port, url.path, url.hostHeader)
    }
}
