import ChatWebSocket
import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization
import Testing

/// The upgrade step of ``ChatWebSocketClient`` against a scripted TCP server that answers each upgrade request with
/// exact bytes (so the 101 answer and the first frame can share one TCP segment, as they do under load).
@Suite("ChatWebSocket: the client's upgrade step")
struct ChatWebSocketClientTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("a frame sent in the same write as the 101 answer is delivered, every time")
    func bundledFirstFrame() async throws {
        try await ScriptedServer.with(
            Script { request in
                // The token and the server's close frame, in one write with the 101 answer.
                ScriptedServer.accept(request) + ScriptedServer.textFrame(#"{"access_token":"t"}"#) + [
                    0x88, 2, 0x03, 0xE8,
                ]
            }
        ) { port, _ in
            for _ in 0..<25 {
                let first = try await Self.firstMessage("ws://127.0.0.1:\(port)/api/match")
                #expect(first == #"{"access_token":"t"}"#)
            }
        }
    }

    @Test(
        "an IP address is connected to directly, a host name through the resolver; both upgrade",
        arguments: ["127.0.0.1", "localhost"]
    )
    func hostKinds(host: String) async throws {
        try await ScriptedServer.with(
            Script { request in ScriptedServer.accept(request) + ScriptedServer.textFrame("hi") }
        ) { port, lastRequest in
            let first = try await Self.firstMessage("ws://\(host):\(port)/api/match")
            #expect(first == "hi")
            #expect(lastRequest.text.withLock { $0 }.contains("Host: \(host):\(port)\r\n"))
        }
    }

    @Test("the server's chosen subprotocol and answer headers reach the handler")
    func subprotocol() async throws {
        try await ScriptedServer.with(
            Script { request in
                ScriptedServer.accept(request, extra: "Sec-WebSocket-Protocol: rc.v2.json\r\nX-Test: 1\r\n")
                    + ScriptedServer.textFrame("hi")
            }
        ) { port, lastRequest in
            var options = ChatWebSocketOptions()
            options.subprotocols = ["rc.v2.proto", "rc.v2.json"]
            let seen = Mutex<String?>(nil)
            _ = try await ChatWebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/",
                options: options,
                logger: Self.logger
            ) { _, _, context in
                seen.withLock { $0 = context.subprotocol }
                #expect(context.headers.contains { $0.0 == "X-Test" && $0.1 == "1" })
            }
            #expect(seen.withLock { $0 } == "rc.v2.json")
            #expect(lastRequest.text.withLock { $0 }.contains("Sec-WebSocket-Protocol: rc.v2.proto, rc.v2.json"))
        }
    }

    @Test(
        "a refused upgrade reports its status and body",
        arguments: [
            (
                "HTTP/1.1 401 Unauthorized\r\nContent-Length: 20\r\n\r\n{\"msg\":\"no session\"}", 401,
                #"{"msg":"no session"}"#
            ),
            (
                "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"msg\r\n5\r\n\":\"x\"\r\n1\r\n}\r\n0\r\n\r\n",
                404, #"{"msg":"x"}"#
            ),
            ("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nbad", 400, "bad"),
            ("HTTP/1.1 403 Forbidden\r\n\r\n", 403, ""),
        ]
    )
    func refused(answer: String, status: Int, body: String) async throws {
        try await ScriptedServer.with(Script { _ in Array(answer.utf8) }) { port, _ in
            let error = await #expect(throws: WebSocketUpgradeRefused.self) {
                _ = try await ChatWebSocketClient.connect(url: "ws://127.0.0.1:\(port)/", logger: Self.logger) {
                    _,
                    _,
                    _ in
                }
            }
            #expect(error?.status == status)
            #expect(error.map { String(decoding: $0.body, as: UTF8.self) } == body)
        }
    }

    @Test("a connection closed before the answer fails the upgrade instead of hanging")
    func closedBeforeAnswer() async throws {
        try await ScriptedServer.with(Script { _ in nil }) { port, _ in
            await #expect(throws: WebSocketUpgradeError.closedBeforeAnswer) {
                _ = try await ChatWebSocketClient.connect(url: "ws://127.0.0.1:\(port)/", logger: Self.logger) {
                    _,
                    _,
                    _ in
                }
            }
        }
    }

    @Test("a wrong Sec-WebSocket-Accept or an unoffered subprotocol is refused by the client")
    func badAnswers() async throws {
        try await ScriptedServer.with(
            Script { _ in
                Array(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n"
                        .utf8
                )
            }
        ) { port, _ in
            await #expect(throws: WebSocketUpgradeError.badAccept) {
                _ = try await ChatWebSocketClient.connect(url: "ws://127.0.0.1:\(port)/", logger: Self.logger) {
                    _,
                    _,
                    _ in
                }
            }
        }
        try await ScriptedServer.with(
            Script { request in
                ScriptedServer.accept(request, extra: "Sec-WebSocket-Protocol: other\r\n")
            }
        ) { port, _ in
            await #expect(throws: WebSocketUpgradeError.unofferedSubprotocol("other")) {
                _ = try await ChatWebSocketClient.connect(url: "ws://127.0.0.1:\(port)/", logger: Self.logger) {
                    _,
                    _,
                    _ in
                }
            }
        }
    }

    @Test("a server that never answers hits the handshake timeout")
    func timeout() async throws {
        try await ScriptedServer.with(Script { _ in [] }) { port, _ in
            var options = ChatWebSocketOptions()
            options.handshakeTimeout = .seconds(1)
            await #expect(throws: WebSocketUpgradeError.timedOut) {
                _ = try await ChatWebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/",
                    options: options,
                    logger: Self.logger
                ) {
                    _,
                    _,
                    _ in
                }
            }
        }
    }

    @Test(
        "URLs: scheme, host, port, path and the Host header",
        arguments: [
            ("ws://example.com", "example.com", 80, "/", "example.com"),
            ("wss://example.com/api/chat?uid=1", "example.com", 443, "/api/chat?uid=1", "example.com"),
            ("http://127.0.0.1:8080/api/match", "127.0.0.1", 8080, "/api/match", "127.0.0.1:8080"),
            ("ws://[::1]:9000?x=1", "::1", 9000, "/?x=1", "[::1]:9000"),
        ]
    )
    func urls(text: String, host: String, port: Int, path: String, hostHeader: String) throws {
        let url = try WebSocketURLForTests.parse(text)
        #expect(url.host == host && url.port == port && url.path == path && url.hostHeader == hostHeader)
    }

    @Test(
        "malformed URLs are a typed error",
        arguments: ["example.com", "ftp://x/", "ws://:80/", "ws://h:port/", "ws://h:70000/"]
    )
    func badURLs(text: String) {
        #expect(throws: WebSocketUpgradeError.invalidURL) { try WebSocketURLForTests.parse(text) }
    }

    static func firstMessage(_ url: String) async throws -> String? {
        let received = Mutex<String?>(nil)
        _ = try await ChatWebSocketClient.connect(url: url, logger: Self.logger) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case .text(let text) = message { received.withLock { $0 = text } }
                break
            }
        }
        return received.withLock { $0 }
    }
}

/// A TCP server that reads one HTTP request per connection and writes `answer(request)` in one write (`nil`: close
/// at once; empty: say nothing). Closes a connection when the client sends anything more, or 3 s after answering.
enum ScriptedServer {
    static func with(
        _ script: Script,
        _ body: (Int, RequestLog) async throws -> Void
    ) async throws {
        let lastRequest = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Handler(answer: script.answer, lastRequest: lastRequest)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        try await body(channel.localAddress!.port!, lastRequest)
    }

    /// A 101 answer for the request's key.
    static func accept(_ request: String, extra: String = "") -> [UInt8] {
        let key =
            request.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") }
            .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) } ?? ""
        let accept = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
            .base64EncodedString()
        return Array(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\(extra)\r\n"
                .utf8
        )
    }

    /// An unmasked server text frame.
    static func textFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        return [0x81, UInt8(payload.count)] + payload
    }

    final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: @Sendable (String) -> [UInt8]?
        let received = Mutex<String>("")
        let lastRequest: RequestLog
        init(answer: @escaping @Sendable (String) -> [UInt8]?, lastRequest: RequestLog) {
            self.answer = answer
            self.lastRequest = lastRequest
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            let answered = self.received.withLock { $0.contains("\r\n\r\n") }
            if answered {
                // After the answer the client only sends its close frame (or a ping): end the connection.
                context.close(promise: nil)
                return
            }
            let request: String? = self.received.withLock { text in
                text += String(buffer: buffer)
                return text.contains("\r\n\r\n") ? text : nil
            }
            guard let request else { return }
            self.lastRequest.text.withLock { $0 = request }
            guard let bytes = self.answer(request) else {
                context.close(promise: nil)
                return
            }
            if !bytes.isEmpty { context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil) }
            let channel = context.channel
            context.eventLoop.scheduleTask(in: .seconds(3)) { channel.close(promise: nil) }
        }
    }
}

/// The last request a scripted server read.
final class RequestLog: Sendable {
    let text = Mutex<String>("")
}

/// How a scripted server answers a request: the exact bytes to write, `nil` to close at once, empty to say nothing.
struct Script: Sendable {
    let answer: @Sendable (String) -> [UInt8]?
    init(_ answer: @escaping @Sendable (String) -> [UInt8]?) { self.answer = answer }
}
