import Hummingbird

/// `GET /conformance/echo` (and `GET /`): a websocket echo on the chat socket's stack and limits, for Autobahn (kosoku) runs.
/// Registered only with `--conformance-echo` on a loopback listener.
///
/// Autobahn sends messages up to 16 MiB, so in this mode the server-wide frame limit is raised to that size; the
/// chat and match sockets still refuse messages over their own limits (1009), checked per message.
struct ConformanceEchoRoute {
    /// The message limit of the echo route (Autobahn's largest case).
    static let maxMessageSize = 16 << 20

    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        // kosoku connects to `/`; `/conformance/echo` is the documented name.
        for path in ["", "conformance/echo"] {
            router.webSocket(RouterPath(path)) { request, _ in
                try request.requireWebSocketUpgrade()
                return ([:], EchoSocket(pingInterval: self.state.configuration.limits.pingInterval))
            }
        }
    }
}

/// Sends every message back as it came. Its queue has no practical bound: Autobahn's performance cases send
/// thousands of messages without reading in between.
final class EchoSocket: WebSocketSession {
    let outbox = Outbox(capacity: .max)
    let limits: WebSocketLimits

    init(pingInterval: Duration) {
        self.limits = WebSocketLimits(maxMessageSize: ConformanceEchoRoute.maxMessageSize, pingInterval: pingInterval)
    }

    func opened(on connection: WebSocketConnection) async {}

    func received(_ message: InboundMessage, on connection: WebSocketConnection) async {
        switch message {
        case .text(let bytes): self.outbox.send(bytes)
        case .binary(let bytes): self.outbox.send(bytes, binary: true)
        }
    }

    func closed(on connection: WebSocketConnection) async {}
}
