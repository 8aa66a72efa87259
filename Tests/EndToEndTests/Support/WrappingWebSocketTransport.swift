import Logging

@testable import ChatClientSDK

/// The production websocket transport, with each connection's ``WebSocketIO`` passed through `wrap` (given the
/// connection's URL) before the SDK uses it: a test records or rewrites what crosses real sockets.
struct WrappingWebSocketTransport: WebSocketTransport {
    let wrap: @Sendable (_ url: String, _ io: WebSocketIO) -> WebSocketIO
    private let inner = NIOWebSocketTransport()

    init(wrap: @escaping @Sendable (_ url: String, _ io: WebSocketIO) -> WebSocketIO) {
        self.wrap = wrap
    }

    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose {
        try await self.inner.connect(url: url, options: options, logger: logger) { io in
            try await handler(self.wrap(url, io))
        }
    }
}
