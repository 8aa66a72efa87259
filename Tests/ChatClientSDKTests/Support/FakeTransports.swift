import Logging
import Synchronization

@testable import ChatClientSDK

/// An HTTP transport that records requests and answers from a closure (fault injection without sockets).
final class FakeHTTPTransport: HTTPTransport {
    private let recorded = Mutex<[HTTPRequestSpec]>([])
    let answer: @Sendable (HTTPRequestSpec) throws -> HTTPResponseSpec

    init(answer: @escaping @Sendable (HTTPRequestSpec) throws -> HTTPResponseSpec) { self.answer = answer }

    var requests: [HTTPRequestSpec] { self.recorded.withLock { $0 } }

    func execute(_ request: HTTPRequestSpec, maxResponseBytes: Int) async throws -> HTTPResponseSpec {
        self.recorded.withLock { $0.append(request) }
        return try self.answer(request)
    }
}

/// A websocket transport that is never reachable.
struct UnreachableWebSocketTransport: WebSocketTransport {
    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose {
        throw WebSocketConnectError(kind: .unreachable, underlying: nil)
    }
}
