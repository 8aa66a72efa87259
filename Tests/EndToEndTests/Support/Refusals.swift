import ChatClientSDK
import ChatProtocol

/// The code of the `ChatError` `body` throws, or `nil` when it returns (or throws something else).
func chatErrorCode(_ body: () async throws -> Void) async -> ChatError.Code? {
    do {
        try await body()
        return nil
    } catch {
        return (error as? ChatError)?.code
    }
}

/// Runs `body` with a client signed in (cookie `a-session`) to a server that answers every request as upstream's
/// router answers a route it lacks: a plain-text `404 page not found`.
func withServerLackingRoutes(_ body: (ChatClient) async throws -> Void) async throws {
    try await TCPProxy.with(targetPort: 1) { upstream in
        let text = "404 page not found"
        upstream.setAnswer(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(text)"
        )
        var configuration = testConfiguration("http://127.0.0.1:\(upstream.port)")
        configuration.sessionCookie = "a-session"
        try await body(ChatClient(configuration: configuration))
    }
}
