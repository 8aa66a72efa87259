import Hummingbird
import HummingbirdWebSocket

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
            self.register(path, on: router)
        }
    }

    private func register(_ path: String, on router: Router<ChatRequestContext>) {
        router.ws(RouterPath(path)) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: Self.maxMessageSize) {
                switch message {
                case .text(let text): try await outbound.write(.text(text))
                case .binary(let buffer): try await outbound.write(.binary(buffer))
                }
            }
        }
    }
}
