import ChatClientSDK
import Foundation
import Logging
import ServiceLifecycle

@testable import ChatReferenceServer

/// The reference server running in this process on a free port, with a fresh data directory.
struct InProcessServer {
    let port: Int
    let server: ChatServer

    var baseURL: String { "http://127.0.0.1:\(self.port)" }
    var state: ServerState { self.server.state }

    /// Runs `body` against a live server; the server stops gracefully when `body` returns.
    static func with<T: Sendable>(
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (InProcessServer) async throws -> T
    ) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-e2e-\(UUID().uuidString)").path
        configuration.logLevel = .critical
        configure(&configuration)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await buildApplication(configuration: configuration) { port in portContinuation.yield(port) }
        let group = ServiceGroup(
            configuration: .init(services: [server], logger: Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() }))
        )
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw E2EFailure("the server did not start") }
            do {
                let result = try await body(InProcessServer(port: port, server: server))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// A client configuration for tests: millisecond backoff, quick pings.
func testConfiguration(_ baseURL: String) -> ChatClient.Configuration {
    var configuration = ChatClient.Configuration(baseURL: baseURL)
    configuration.reconnectPolicy = ReconnectPolicy(
        initialDelay: .milliseconds(20),
        maxDelay: .milliseconds(200),
        maxAttempts: 200,
        healthyConnectionDuration: .seconds(2)
    )
    configuration.pingInterval = .seconds(2)
    configuration.requestTimeout = .seconds(10)
    configuration.tokenExpiryMargin = .zero
    return configuration
}

/// Signs two fresh clients up and matches them with each other.
func matchPair(_ a: ChatClient, _ b: ChatClient) async throws -> (ChatMatch, ChatMatch) {
    _ = try await a.signUp(name: "alice")
    _ = try await b.signUp(name: "bob")
    async let first = a.match()
    async let second = b.match()
    return try await (first, second)
}
