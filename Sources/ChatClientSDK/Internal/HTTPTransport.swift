import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP request, independent of the client library that sends it.
struct HTTPRequestSpec: Sendable {
    var method: String
    var url: String
    var headers: [(String, String)] = []
    var body: [UInt8]?
    var timeout: Duration
    /// Called as the body is handed to the network: (bytes sent so far, total).
    var progress: (@Sendable (Int, Int) -> Void)?
}

/// One HTTP response, body collected.
struct HTTPResponseSpec: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func headers(_ name: String) -> [String] {
        self.headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }
}

/// The HTTP seam: the SDK's REST calls go through this protocol so tests can inject faults.
protocol HTTPTransport: Sendable {
    func execute(_ request: HTTPRequestSpec, maxResponseBytes: Int) async throws -> HTTPResponseSpec
    /// The network path changed: later requests must not use kept-alive connections of the old one.
    func retireConnections()
}

extension HTTPTransport {
    func retireConnections() {}
}

/// The production HTTP transport: one AsyncHTTPClient for every SDK client in the process.
struct AsyncHTTPClientTransport: HTTPTransport {
    var clients: HTTPClientGenerations = Self.process

    /// The process's client, replaced by ``retireConnections()``.
    static let process = HTTPClientGenerations { Self.makeClient() }

    func retireConnections() {
        self.clients.replace()
    }

    /// Like `HTTPClient.shared`, except that a refused connection fails the request at once instead of being retried
    /// until the request's deadline: the session's reconnect policy does the retrying (with its backoff and its
    /// `reconnecting(attempt:delay:)` events), not the connection pool. Never shut down, like `HTTPClient.shared`.
    ///
    /// The request's own timeout (`Configuration.requestTimeout`) bounds all of it. AsyncHTTPClient also bounds
    /// the wait for one of its connections (8 per server) with the connect timeout, which was 10 s: thousands of
    /// requests started together (a fleet of bots signing up) then failed after 10 s in the queue however long
    /// their own timeout; at 60 s that wait, like a TCP connect, ends with the request's timeout instead.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(60)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// AsyncHTTPClient's errors that mean time ran out: ``ChatError/Code/timeout``.
    private static let timeouts: [HTTPClientError] = [
        .deadlineExceeded, .connectTimeout, .getConnectionFromPoolTimeout, .readTimeout, .writeTimeout,
    ]

    func execute(_ request: HTTPRequestSpec, maxResponseBytes: Int) async throws -> HTTPResponseSpec {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers {
            outgoing.headers.add(name: name, value: value)
        }
        if let body = request.body {
            if let progress = request.progress {
                outgoing.body = .stream(
                    ProgressChunks(bytes: body, chunkSize: 64 * 1024, progress: progress),
                    length: .known(Int64(body.count))
                )
            } else {
                outgoing.body = .bytes(ByteBuffer(bytes: body))
            }
        }
        let timeout = TimeAmount.nanoseconds(Int64(ReconnectPolicy.seconds(request.timeout) * 1e9))
        let response: HTTPClientResponse
        let buffer: ByteBuffer
        do {
            (response, buffer) = try await self.clients.withClient { client in
                let response = try await client.execute(outgoing, timeout: timeout)
                return (response, try await response.body.collect(upTo: maxResponseBytes))
            }
        } catch let error as HTTPClientError where Self.timeouts.contains(error) {
            throw ChatError(
                code: .timeout,
                message: "\(request.method) \(request.url.prefix { $0 != "?" }) got no answer within the request "
                    + "timeout (\(request.timeout))",
                cause: error
            )
        }
        return HTTPResponseSpec(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView)
        )
    }
}

/// An `HTTPClient` that can be replaced while requests run on it: ``AsyncHTTPClientTransport/retireConnections()``
/// (``ChatClient/reconnectNow()``, after a network change). Kept-alive connections opened on the old path may be
/// dead without knowing it, and a request written on one would wait out its whole timeout; a fresh client opens
/// fresh connections. Requests already running finish on the client they started on, which is shut down after
/// its last one.
final class HTTPClientGenerations: Sendable {
    private final class Generation: Sendable {
        let client: HTTPClient
        /// Requests running on `client`, and whether it was replaced.
        let use = Mutex((running: 0, retired: false))

        init(_ client: HTTPClient) { self.client = client }

        func begin() { self.use.withLock { $0.running += 1 } }

        func end() {
            let idle = self.use.withLock { use in
                use.running -= 1
                return use.retired && use.running == 0
            }
            if idle { self.shutDown() }
        }

        func retire() {
            let idle = self.use.withLock { use in
                use.retired = true
                return use.running == 0
            }
            if idle { self.shutDown() }
        }

        private func shutDown() {
            let client = self.client
            Task { try? await client.shutdown() }
        }
    }

    private let make: @Sendable () -> HTTPClient
    private let current: Mutex<Generation>
    /// When ``replace()`` last made a new client.
    private let lastReplaced = Mutex<ContinuousClock.Instant?>(nil)

    init(make: @escaping @Sendable () -> HTTPClient) {
        self.make = make
        self.current = Mutex(Generation(make()))
    }

    /// How many clients this has made (1, plus one per effective ``replace()``).
    var generation: Int { self.generationCount.withLock { $0 } }
    private let generationCount = Mutex(1)
    /// A ``replace()`` within this long of the last one does nothing: a burst of path updates makes one new client.
    static let minimumInterval: Duration = .seconds(1)

    /// Runs `body` with the current client, which stays up until `body` returns.
    func withClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let generation = self.current.withLock { current in
            current.begin()
            return current
        }
        defer { generation.end() }
        return try await body(generation.client)
    }

    /// Shuts the current client down (an instance other than the process's, before it goes away: AsyncHTTPClient
    /// requires it).
    func shutDown() async {
        try? await self.current.withLock { $0.client }.shutdown()
    }

    /// Later requests use a new client; the old one is shut down once its running requests finished. Does nothing
    /// within ``minimumInterval`` of the last replacement.
    func replace() {
        let due = self.lastReplaced.withLock { last in
            let now = ContinuousClock.now
            if let last, now - last < Self.minimumInterval { return false }
            last = now
            return true
        }
        guard due else { return }
        let fresh = Generation(self.make())
        let old = self.current.withLock { current in
            defer { current = fresh }
            return current
        }
        self.generationCount.withLock { $0 += 1 }
        old.retire()
    }
}

/// Hands a byte array to AsyncHTTPClient in chunks, reporting how much has been taken.
struct ProgressChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunkSize: Int
    let progress: @Sendable (Int, Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let source: ProgressChunks
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            try Task.checkCancellation()
            guard self.offset < self.source.bytes.count else { return nil }
            let end = Swift.min(self.offset + self.source.chunkSize, self.source.bytes.count)
            let chunk = ByteBuffer(bytes: self.source.bytes[self.offset..<end])
            self.offset = end
            self.source.progress(end, self.source.bytes.count)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
}
