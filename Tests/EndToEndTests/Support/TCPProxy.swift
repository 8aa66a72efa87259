import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy in front of the server, so a test can cut connections the way a flaky network does: the
/// client sees its socket close without a websocket close frame.
final class TCPProxy: Sendable {
    let port: Int
    private let channels = Mutex<[any Channel]>([])
    private let refusing = Mutex(false)
    private let frozen = Mutex(false)
    private let deaf = Mutex(false)
    private let requestHeads = Mutex<[String]>([])
    /// Connection numbers: the next one, and the first one ``freezeOpenConnections()`` left alone.
    private let serials = Mutex((next: 0, frozenBelow: 0))
    private let answer = Mutex<(@Sendable (String) async -> String)?>(nil)

    private init(port: Int) { self.port = port }

    /// Runs a proxy to `127.0.0.1:targetPort` while `body` runs.
    static func with<T: Sendable>(
        targetPort: Int,
        _ body: (TCPProxy) async throws -> T
    ) async throws -> T {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let proxy = TCPProxy(port: listener.channel.localAddress?.port ?? 0)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await listener.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { connections in
                        for try await connection in inbound {
                            connections.addTask { await proxy.pipe(connection, targetPort: targetPort) }
                        }
                    }
                }
            }
            defer { group.cancelAll() }
            let result = try await body(proxy)
            proxy.dropAll()
            return result
        }
    }

    /// Closes every open connection (both sides), like a network failure.
    func dropAll() {
        let open = self.channels.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// While refusing, new connections are accepted and closed at once (the server seems down).
    func setRefusing(_ refusing: Bool) {
        self.refusing.withLock { $0 = refusing }
    }

    /// While frozen, open connections stay up but carry nothing (a half-open link: no close, no data, no pongs).
    func setFrozen(_ frozen: Bool) {
        self.frozen.withLock { $0 = frozen }
    }

    /// Freezes the connections open now, as ``setFrozen(_:)`` does, and leaves later ones alone: the network path
    /// they used is gone (a switch from Wi-Fi to cellular) and a new one works.
    func freezeOpenConnections() {
        self.serials.withLock { $0.frozenBelow = $0.next }
    }

    private func isFrozen(_ serial: Int) -> Bool {
        self.frozen.withLock { $0 } || serial < self.serials.withLock { $0.frozenBelow }
    }

    /// While set, each new connection gets this HTTP response (after its request arrived, body included, by its
    /// `Content-Length`) and is closed: a server that refuses every request the same way. `nil` forwards again.
    func setAnswer(_ response: String?) {
        guard let response else { return self.answer.withLock { $0 = nil } }
        self.setAnswer { @Sendable _ in response }
    }

    /// As ``setAnswer(_:)``, with the response `respond` gives for the request's first line, when it gives it (it may
    /// wait, as a slow server does).
    func setAnswer(_ respond: @escaping @Sendable (String) async -> String) {
        self.answer.withLock { $0 = respond }
    }

    /// While deaf, the client's bytes still reach the server but nothing comes back (lost acks and pushes).
    func setDeaf(_ deaf: Bool) {
        self.deaf.withLock { $0 = deaf }
    }

    private var isDeaf: Bool { self.deaf.withLock { $0 } }

    /// The first line of every HTTP request (or websocket upgrade) that went through the proxy or got the canned
    /// answer, in order; a request line is recorded when it starts a chunk, which is how clients write them.
    var requestLines: [String] { self.requestHeads.withLock { $0 } }

    private func record(_ bytes: ByteBuffer) {
        let head = bytes.getString(at: bytes.readerIndex, length: min(bytes.readableBytes, 200)) ?? ""
        let methods = ["GET ", "POST ", "PUT ", "DELETE ", "HEAD "]
        guard methods.contains(where: head.hasPrefix), let line = head.split(separator: "\r\n").first else { return }
        self.requestHeads.withLock { $0.append(String(line)) }
    }

    /// Whether `request` holds a whole HTTP request: its head and as many body bytes as its `Content-Length` says.
    private static func isComplete(_ request: [UInt8]) -> Bool {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = request.indices.first(where: { request[$0...].starts(with: separator) }) else { return false }
        let head = String(decoding: request[..<end], as: UTF8.self).lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return request.count - (end + separator.count) >= length
    }

    private func pipe(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, targetPort: Int) async {
        if self.refusing.withLock({ $0 }) {
            try? await client.channel.close()
            return
        }
        if let respond = self.answer.withLock({ $0 }) {
            try? await client.executeThenClose { inbound, outbound in
                var request: [UInt8] = []
                for try await bytes in inbound {
                    request += Array(buffer: bytes)
                    if Self.isComplete(request) { break }
                }
                self.record(ByteBuffer(bytes: request))
                let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
                try await outbound.write(ByteBuffer(string: await respond(line)))
            }
            return
        }
        let serial = self.serials.withLock { serials in
            defer { serials.next += 1 }
            return serials.next
        }
        do {
            let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: targetPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            self.channels.withLock { $0 += [client.channel, upstream.channel] }
            try await client.executeThenClose { clientIn, clientOut in
                try await upstream.executeThenClose { upstreamIn, upstreamOut in
                    try await withThrowingTaskGroup(of: Bool.self) { group in
                        group.addTask {
                            for try await bytes in clientIn where !self.isFrozen(serial) {
                                self.record(bytes)
                                try await upstreamOut.write(bytes)
                            }
                            return false
                        }
                        group.addTask {
                            do {
                                for try await bytes in upstreamIn where !self.isFrozen(serial) && !self.isDeaf {
                                    try await clientOut.write(bytes)
                                }
                            } catch {}
                            return self.isFrozen(serial)
                        }
                        // The server ended the connection while frozen: hide that from the client too, as a half-open
                        // link does, until the client gives up on it or the test drops it.
                        if try await group.next() == true { _ = try await group.next() }
                        group.cancelAll()
                    }
                }
            }
        } catch {
            try? await client.channel.close()
        }
    }
}
