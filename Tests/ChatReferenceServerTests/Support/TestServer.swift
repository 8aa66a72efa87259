import AsyncHTTPClient
import ChatProtocol
import ChatWebSocket
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import ServiceLifecycle
import Synchronization
import Testing

@testable import ChatReferenceServer

/// A reference server running in-process on a free port, with a fresh (or given) data directory.
struct TestServer {
    let port: Int
    let server: ChatServer
    let dataDirectory: URL

    var state: ServerState { self.server.state }
    var base: String { "http://127.0.0.1:\(self.port)" }

    static func makeDataDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("chat-tests-\(UUID().uuidString)")
    }

    /// Runs `body` against a live server; the server stops (gracefully) when `body` returns.
    static func with<T: Sendable>(
        dataDirectory: URL? = nil,
        logger: Logger? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = (dataDirectory ?? makeDataDirectory()).path
        configuration.logLevel = .error
        configure(&configuration)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await buildApplication(configuration: configuration, logger: logger) { port in
            portContinuation.yield(port)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [server],
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        )
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("server did not start") }
            let testServer = TestServer(
                port: port,
                server: server,
                dataDirectory: URL(fileURLWithPath: configuration.dataDirectory)
            )
            do {
                let result = try await body(testServer)
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

    // MARK: HTTP

    /// A client that does not follow redirects (the OAuth tests look at the 307s themselves).
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(redirectConfiguration: .disallow)
    )

    struct HTTPResult {
        var status: Int
        var headerList: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? { self.headers(named: name).first }
        func headers(named name: String) -> [String] {
            self.headerList.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        }

        var text: String { String(decoding: self.body, as: UTF8.self) }
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(self.body)) as? [String: Any]) ?? [:]
        }
        var msg: String? { self.json["msg"] as? String }
    }

    func request(
        _ method: String = "GET",
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : self.base + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(20))
        let collected = try await response.body.collect(upTo: 1 << 26)
        return HTTPResult(
            status: Int(response.status.code),
            headerList: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer: collected)
        )
    }

    /// Signs up a guest; returns the user id and the session id.
    func signUp(_ name: String) async throws -> (id: UserID, sid: String) {
        let result = try await self.request("POST", "/api/user", body: Array(#"{"name":"\#(name)"}"#.utf8))
        #expect(result.status == 201)
        let cookie = try #require(result.header("Set-Cookie"))
        let sid = try #require(cookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last)
        let id = try #require((result.json["id"] as? String).flatMap(UserID.init(decimal:)))
        return (id, String(sid))
    }

    /// A channel with `users` as members and its token, made directly through the server's services.
    func makeChannel(_ users: [UserID]) async throws -> (ChannelID, String) {
        let channel = ChannelID(self.state.ids.next())
        try await self.state.storage.createChannel(channel, members: users, now: Date())
        return (channel, try await self.state.tokens.issue(for: channel))
    }

    func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

    // MARK: Websockets

    /// Connects a websocket and runs `body` with it; returns the body's result and the close code the server sent.
    @discardableResult
    func withSocket<T: Sendable>(
        _ path: String,
        cookie: String? = nil,
        _ body: @escaping @Sendable (TestSocket) async throws -> T
    ) async throws -> (value: T, closeCode: UInt16?) {
        var options = ChatWebSocketOptions()
        options.maxFrameSize = 1 << 20
        if let cookie { options.headers.append(("Cookie", "sid=\(cookie)")) }
        let result = Mutex<T?>(nil)
        let close = try await ChatWebSocketClient.connect(
            url: "ws://127.0.0.1:\(self.port)\(path)",
            options: options,
            logger: Logger(label: "ws", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { inbound, outbound, _ in
            let (stream, continuation) = AsyncStream.makeStream(of: String.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        if case .text(let text) = message { continuation.yield(text) }
                    }
                }
                let value = try await body(TestSocket(outbound: outbound, messages: stream))
                result.withLock { $0 = value }
                group.cancelAll()
            }
        }
        let value = try #require(result.withLock { $0 })
        return (value, close.map { UInt16(webSocketErrorCode: $0.closeCode) })
    }

    /// Two signed-up users in a new channel, both connected over v1 chat websockets and past the `waiting`/`joined`
    /// greetings; runs `body` with alice's and bob's sockets and the pair.
    func withJoinedPair(
        _ body: @escaping @Sendable (_ a: TestSocket, _ b: TestSocket, _ pair: JoinedPair) async throws -> Void
    ) async throws {
        let alice = try await self.signUp("alice")
        let bob = try await self.signUp("bob")
        let (channel, token) = try await self.makeChannel([alice.id, bob.id])
        let pair = JoinedPair(alice: alice.id, bob: bob.id, channel: channel, token: token)
        try await self.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)") { a in
            try await a.expectAction("waiting", by: alice.id)
            try await self.withSocket("/api/chat?uid=\(bob.id)&access_token=\(token)") { b in
                try await b.expectAction("joined", by: bob.id)
                try await a.expectAction("joined", by: bob.id)
                try await body(a, b, pair)
            }
        }
    }

    /// Alice on a raw socket with a 1 KB receive window that reads only when the test says so, and Bob on a client
    /// socket who has joined: the set-up of the slow-reader tests.
    func withSlowReader(
        _ body:
            @escaping @Sendable (_ slow: RawSocket, _ b: TestSocket, _ alice: UserID, _ bob: UserID) async throws
            -> Void
    ) async throws {
        let alice = try await self.signUp("alice")
        let bob = try await self.signUp("bob")
        let (_, token) = try await self.makeChannel([alice.id, bob.id])
        let slow = try #require(
            await RawSocket.connect(
                port: self.port,
                path: "/api/chat?uid=\(alice.id)&access_token=\(token)",
                receiveBuffer: 1024
            )
        )
        try await self.withSocket("/api/chat?uid=\(bob.id)&access_token=\(token)") { b in
            try await b.expectAction("joined", by: bob.id)
            try await body(slow, b, alice.id, bob.id)
        }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(
        timeout: Duration = .seconds(5),
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

/// One test websocket: send text, read JSON frames in order.
final class TestSocket: Sendable {
    let outbound: WebSocketOutboundWriter
    private let iterator: IteratorBox

    private final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncStream<String>.AsyncIterator
        init(_ iterator: AsyncStream<String>.AsyncIterator) { self.iterator = iterator }
    }

    init(outbound: WebSocketOutboundWriter, messages: AsyncStream<String>) {
        self.outbound = outbound
        self.iterator = IteratorBox(messages.makeAsyncIterator())
    }

    func send(_ text: String) async throws { try await self.outbound.write(.text(text)) }

    /// The next text frame as a JSON object, or `nil` when the socket closed; fails after 5 s.
    func next() async throws -> [String: Any]? {
        let box = self.iterator
        let text: String? = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { await box.iterator.next() }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                throw TestFailure("no frame within 5 s")
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let text else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// The next frame, which must be an action with `payload` by `user`.
    func expectAction(
        _ payload: String,
        by user: UserID,
        sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        let frame = try #require(try await self.next(), sourceLocation: sourceLocation)
        #expect(frame["event"] as? Int == 1, sourceLocation: sourceLocation)
        #expect(frame["payload"] as? String == payload, sourceLocation: sourceLocation)
        #expect(frame["user_id"] as? String == user.description, sourceLocation: sourceLocation)
    }

    func close() async throws { try await self.outbound.close(.normalClosure, reason: nil) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The users and channel of ``TestServer/withJoinedPair(_:)``.
struct JoinedPair: Sendable {
    let alice: UserID
    let bob: UserID
    let channel: ChannelID
    let token: String
}
