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
        configuration.dataDirectory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-e2e-\(UUID().uuidString)").path
        configuration.logLevel = ProcessInfo.processInfo.environment["CHAT_E2E_DEBUG"] != nil ? .trace : .critical
        configure(&configuration)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await buildApplication(configuration: configuration) { port in portContinuation.yield(port) }
        let group = ServiceGroup(
            configuration: .init(
                services: [server],
                logger: Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        )
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw E2EFailure("the server did not start") }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(InProcessServer(port: port, server: server)))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            // Bounded: a graceful shutdown that stalls (reported to the server's owners) must not hang the suite.
            tasks.addTask {
                try await Task.sleep(for: .seconds(5))
                FileHandle.standardError.write(Data("e2e: server shutdown took over 5 s; cancelling it\n".utf8))
                throw CancellationError()
            }
            _ = try? await tasks.next()
            tasks.cancelAll()
            return try result.get()
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
    configuration.pingInterval = .seconds(5)
    configuration.requestTimeout = .seconds(10)
    configuration.firstFrameTimeout = .seconds(2)
    configuration.tokenExpiryMargin = .zero
    if ProcessInfo.processInfo.environment["CHAT_E2E_DEBUG"] != nil {
        var logger = Logger(label: "sdk", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .trace
        configuration.logger = logger
    }
    return configuration
}

/// Alice and Bob, signed up over `wire`, with Alice's `match()` waiting in the server's matcher.
struct WaitingMatch {
    let alice: ChatClient
    let bob: ChatClient
    let aliceID: UserID
    let bobID: UserID
    let waiting: Task<ChatMatch, any Error>

    init(on server: InProcessServer, speaking wire: NegotiatedProtocol) async throws {
        self.alice = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
        self.bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
        self.aliceID = try await self.alice.signUp(name: "alice").id
        self.bobID = try await self.bob.signUp(name: "bob").id
        let alice = self.alice
        self.waiting = Task { try await alice.match() }
        let aliceID = self.aliceID
        guard try await eventually({ await server.state.matchmaker.waitingUsers == [aliceID] }) else {
            throw E2EFailure("alice is not waiting")
        }
    }
}

/// Signs two fresh clients up and matches them with each other.
func matchPair(_ a: ChatClient, _ b: ChatClient) async throws -> (ChatMatch, ChatMatch) {
    _ = try await a.signUp(name: "alice")
    _ = try await b.signUp(name: "bob")
    async let first = a.match()
    async let second = b.match()
    return try await (first, second)
}
