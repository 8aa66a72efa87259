import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import WSClient

/// How a websocket ended, as the transport saw it.
struct WebSocketClose: Sendable, Hashable {
    /// The close code of the server's close frame, or `nil` when the connection dropped without one.
    var code: UInt16?
    /// The close frame's reason text.
    var reason: String?
}

/// Why a websocket could not be opened.
struct WebSocketConnectError: Error, Sendable {
    enum Kind: Sendable {
        /// The HTTP upgrade was refused (a 4xx/5xx answer instead of 101).
        case upgradeRejected
        /// No connection at all (refused, unreachable, TLS).
        case unreachable
    }
    var kind: Kind
    var underlying: (any Error)?
}

/// The two directions of an open websocket, handed to the code that runs while it is open.
///
/// `receive` yields text messages until the connection closes (`nil`); it must only be called from the task the
/// handler runs in. `send` and `close` may be called from any task.
struct WebSocketIO {
    var receive: () async throws -> String?
    var send: @Sendable (String) async throws -> Void
    var close: @Sendable () async throws -> Void
}

/// Options for one websocket connection.
struct WebSocketOptions: Sendable {
    var headers: [(String, String)] = []
    var maxMessageSize: Int
    var pingInterval: Duration?
    var closeTimeout: Duration = .seconds(2)
}

/// The websocket seam: tests inject faults by implementing it; production uses swift-websocket's `WSClient`.
protocol WebSocketTransport: Sendable {
    /// Connects, runs `handler` while the socket is open, and returns how it closed.
    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose
}

/// The production transport: `WebSocketClient.connect` from swift-websocket.
///
/// Known limitation (swift-websocket 1.6.2 on swift-nio 2.101): if the peer closes the TCP connection after accepting
/// it but before answering the upgrade, `NIOTypedHTTPClientUpgradeHandler` never fails its upgrade promise, so
/// `connect` never returns, even when cancelled. The SDK makes an HTTP request to the same server just before each
/// websocket attempt, which turns the common cases (server down, proxy without a backend) into clean HTTP errors;
/// the remaining window is a server that dies between that request and the upgrade.
struct WSClientTransport: WebSocketTransport {
    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose {
        var headers = HTTPFields()
        for (name, value) in options.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: max(options.maxMessageSize, 1 << 14),
            additionalHeaders: headers,
            closeTimeout: options.closeTimeout,
            autoPing: options.pingInterval.map { .enabled(timePeriod: $0) } ?? .disabled
        )
        let maxSize = options.maxMessageSize
        let opened = LockedBox(false)
        let frame: WebSocketCloseFrame?
        do {
            frame = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) {
                inbound,
                outbound,
                _ in
                opened.value = true
                // Frames the server sends in the same read as its 101 answer can stay stuck in the client's inbound
                // buffer until the next read completes (observed as a lost match token). A ping right away makes
                // the server answer, which completes a read; WSClient ignores a pong it did not ask for.
                try await outbound.write(
                    .custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "rc")))
                )
                let reader = InboundReader(inbound.messages(maxSize: maxSize).makeAsyncIterator())
                let io = WebSocketIO(
                    receive: {
                        while let message = try await reader.iterator.next() {
                            if case .text(let text) = message { return text }
                        }
                        return nil
                    },
                    send: { text in try await outbound.write(.text(text)) },
                    close: { try await outbound.close(.normalClosure, reason: nil) }
                )
                try await handler(io)
            }
        } catch let error as ChatError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if opened.value {
                // The link failed after it opened: an abnormal closure (1006), which is retried.
                return WebSocketClose(code: nil, reason: "\(error)")
            }
            if let error = error as? WebSocketClientError, error == .webSocketUpgradeFailed {
                throw WebSocketConnectError(kind: .upgradeRejected, underlying: error)
            }
            throw WebSocketConnectError(kind: .unreachable, underlying: error)
        }
        return WebSocketClose(code: frame.map { UInt16(webSocketErrorCode: $0.closeCode) }, reason: frame?.reason)
    }
}

/// Holds the inbound iterator so the `receive` closure can advance it.
///
/// `@unchecked Sendable` because the iterator is only ever used from the task that runs the connection handler
/// (`WebSocketIO.receive` documents that rule); the box exists only to let a closure mutate it.
private final class InboundReader: @unchecked Sendable {
    var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ iterator: WebSocketInboundMessageStream.AsyncIterator) { self.iterator = iterator }
}
