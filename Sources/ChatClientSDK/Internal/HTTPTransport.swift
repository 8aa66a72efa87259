import AsyncHTTPClient
import NIOCore
import NIOHTTP1

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
}

/// The production HTTP transport: one AsyncHTTPClient for every SDK client in the process.
struct AsyncHTTPClientTransport: HTTPTransport {
    var client: HTTPClient = Self.shared

    /// Like `HTTPClient.shared`, except that a refused connection fails the request at once instead of being retried
    /// until the request's deadline: the session's reconnect policy does the retrying (with its backoff and its
    /// `reconnecting(attempt:delay:)` events), not the connection pool. Never shut down, like `HTTPClient.shared`.
    ///
    /// The request's own timeout (`Configuration.requestTimeout`) bounds all of it. AsyncHTTPClient also bounds
    /// the wait for one of its connections (8 per server) with the connect timeout, which was 10 s: thousands of
    /// requests started together (a fleet of bots signing up) then failed after 10 s in the queue however long
    /// their own timeout; at 60 s that wait, like a TCP connect, ends with the request's timeout instead.
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(60)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

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
            response = try await self.client.execute(outgoing, timeout: timeout)
            buffer = try await response.body.collect(upTo: maxResponseBytes)
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
