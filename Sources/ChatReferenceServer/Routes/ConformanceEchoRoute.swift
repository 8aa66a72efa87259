import Hummingbird
import HummingbirdWebSocket

/// `GET /conformance/echo`: a websocket echo on the chat socket's stack and limits, for Autobahn (kosoku) runs.
/// Registered only with `--conformance-echo` on a loopback listener.
struct ConformanceEchoRoute {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        router.ws("conformance/echo") { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: self.state.configuration.limits.maxChatFrameSize) {
                switch message {
                case .text(let text): try await outbound.write(.text(text))
                case .binary(let buffer): try await outbound.write(.binary(buffer))
                }
            }
        }
    }
}
