import ChatProtocol
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Gives a refused websocket upgrade its real answer: the status and `{"msg": …}` body of the error that refused it
/// (401 without a session, 404 for a vanished user, …), as the upstream server sends (RC-HS-2).
///
/// hummingbird-websocket 2.8 answers every refused upgrade with an empty `400 Bad Request` and closes the
/// connection, whatever the route's check said. This child channel wraps its `HTTP1WebSocketUpgradeChannel`:
/// ``WebSocketRefusalMiddleware`` records the error a websocket route threw for an upgrade attempt, and
/// ``RefusalRewriter``, first in the pipeline, replaces that empty 400 with the recorded answer.
struct RefusingWebSocketChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value

    let silentConnections: SilentConnections
    let inner: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                RefusalRewriter(silentConnections: self.silentConnections),
                position: .first
            )
        }.flatMap {
            self.inner.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.inner.handle(value: value, logger: logger)
    }
}

/// The first handler of every connection, on raw bytes, doing two things the websocket library does not:
///
/// - It replaces the library's empty 400 answer to a refused upgrade with the answer recorded by the route.
/// - After it has written a `101`, it walks the client's frame headers and closes the connection with 1002 at the
///   first unmasked frame (RFC 6455 §5.1: a server MUST close the connection on an unmasked client frame; NIO's
///   decoder accepts them).
final class RefusalRewriter: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // `refusal` is set from the route's task; the frame walker state is used on the event loop only.
    private let refusal = NIOLockedValueBox<[UInt8]?>(nil)
    private static let emptyRefusal = Array("HTTP/1.1 400 Bad Request\r\n".utf8)
    private static let switching = Array("HTTP/1.1 101 ".utf8)
    private let silentConnections: SilentConnections
    private var heardFrom = false
    private var upgraded = false
    private var header: [UInt8] = []
    private var payloadLeft: UInt64 = 0
    private var failed = false

    init(silentConnections: SilentConnections) {
        self.silentConnections = silentConnections
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.silentConnections.add(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.heardFrom { self.silentConnections.remove(context.channel) }
        context.fireChannelInactive()
    }

    /// Records the answer to send instead of the library's empty 400.
    func record(status: Int, reason: String, headers: [(String, String)], body: [UInt8]) {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        self.refusal.withLockedValue { $0 = Array(head.utf8) + body }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = Self.unwrapOutboundIn(data)
        if !self.upgraded {
            if buffer.readableBytesView.starts(with: Self.switching) {
                self.upgraded = true
            } else if let answer = self.refusal.withLockedValue({ $0 }),
                buffer.readableBytesView.starts(with: Self.emptyRefusal)
            {
                self.refusal.withLockedValue { $0 = nil }
                context.write(Self.wrapOutboundOut(ByteBuffer(bytes: answer)), promise: promise)
                return
            }
        }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !self.heardFrom {
            self.heardFrom = true
            self.silentConnections.remove(context.channel)
        }
        guard self.upgraded, !self.failed else {
            if !self.failed { context.fireChannelRead(data) }
            return
        }
        let buffer = Self.unwrapInboundIn(data)
        if !self.walk(buffer.readableBytesView) {
            self.failed = true
            // Close frame 1002 "unmasked frame", then the connection; nothing of this read reaches the decoder.
            let close: [UInt8] = [0x88, 16, 0x03, 0xEA] + Array("unmasked frame".utf8)
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: close))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.fireChannelRead(data)
    }

    /// Advances over frame headers and payloads; `false` at an unmasked frame.
    func walk(_ bytes: ByteBufferView) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if self.payloadLeft > 0 {
                let take = min(UInt64(bytes.endIndex - index), self.payloadLeft)
                self.payloadLeft -= take
                index += Int(take)
                continue
            }
            self.header.append(bytes[index])
            index += 1
            guard self.header.count >= 2 else { continue }
            guard self.header[1] & 0x80 != 0 else { return false }
            let length7 = self.header[1] & 0x7F
            let needed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4
            guard self.header.count == needed else { continue }
            var length = UInt64(length7)
            if length7 >= 126 {
                length = self.header[2..<(needed - 4)].reduce(0) { $0 << 8 | UInt64($1) }
            }
            self.payloadLeft = length
            self.header.removeAll(keepingCapacity: true)
        }
        return true
    }
}

/// Records why a websocket route refused an upgrade attempt, for ``RefusalRewriter``.
struct WebSocketRefusalMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext

    func handle(
        _ request: Request,
        context: ChatRequestContext,
        next: @concurrent (Request, ChatRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.headers[.upgrade]?.lowercased() == "websocket" else {
            return try await next(request, context)
        }
        do {
            return try await next(request, context)
        } catch {
            let chat = (error as? ChatHTTPError) ?? Self.chatError(for: error)
            if let rewriter = try? await context.channel.pipeline.handler(type: RefusalRewriter.self).get() {
                var headers = [("Content-Type", "application/json; charset=utf-8")]
                for field in chat.headers { headers.append((field.name.rawName, field.value)) }
                rewriter.record(
                    status: chat.status.code,
                    reason: chat.status.reasonPhrase.isEmpty
                        ? Self.reasonPhrases[chat.status.code, default: "Error"] : chat.status.reasonPhrase,
                    headers: headers,
                    body: V1.ErrorBody(chat.error).jsonBytes()
                )
            }
            throw error
        }
    }

    static let reasonPhrases = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
        410: "Gone", 413: "Content Too Large", 426: "Upgrade Required", 429: "Too Many Requests",
        500: "Internal Server Error", 503: "Service Unavailable",
    ]

    /// Errors that are not ours (Hummingbird's own `HTTPError`s) keep their status with the table's message.
    static func chatError(for error: any Error) -> ChatHTTPError {
        let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
        let code: ChatError.Code =
            switch status.code {
            case 401: .unauthorized
            case 404: .notFound
            case 500...: .serverError
            default: .invalidParameter
            }
        return ChatHTTPError(code, status: status)
    }
}

/// Connections that have not sent a byte yet (an HTTP client's pre-opened or left-over pooled connection).
///
/// Hummingbird's graceful shutdown waits for them: until their first request they sit in the websocket upgrade
/// negotiation, which does not take part in quiescing. The server closes them when it shuts down.
final class SilentConnections: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        self.channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
    }

    func remove(_ channel: any Channel) {
        _ = self.channels.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes every connection that is still silent.
    func closeAll() {
        let open = self.channels.withLockedValue { channels in
            defer { channels.removeAll() }
            return Array(channels.values)
        }
        for channel in open { channel.close(promise: nil) }
    }
}
