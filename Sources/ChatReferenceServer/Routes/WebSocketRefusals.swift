import ChatProtocol
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The first handler of every connection, on raw bytes: it replaces the empty 400 that ``ChatServerChannel`` writes
/// for a refused websocket upgrade with the real answer — the status and `{"msg": …}` body of the error that refused
/// it (401 without a session, 404 for a vanished user, …), as the upstream server sends (RC-HS-2).
/// ``WebSocketRefusalMiddleware`` records that answer. It also tracks connections that have not sent a byte yet
/// (``SilentConnections``) and closes one that stays silent for the idle timeout (Hummingbird's idle handler only
/// starts with the first request). An accepted upgrade removes it from the pipeline.
final class RefusalRewriter: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // `refusal` is set from the route's task; `heardFrom` is used on the event loop only.
    private let refusal = NIOLockedValueBox<[UInt8]?>(nil)
    private static let emptyRefusal = Array("HTTP/1.1 400 Bad Request\r\n".utf8)
    private let silentConnections: SilentConnections
    private let silenceTimeout: TimeAmount?
    private var heardFrom = false
    private var silenceTimer: Scheduled<Void>?

    init(silentConnections: SilentConnections, silenceTimeout: TimeAmount?) {
        self.silentConnections = silentConnections
        self.silenceTimeout = silenceTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.silentConnections.add(context.channel)
        if let timeout = self.silenceTimeout {
            let channel = context.channel
            self.silenceTimer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopSilenceTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.heardFrom { self.silentConnections.remove(context.channel) }
        self.stopSilenceTimer()
        context.fireChannelInactive()
    }

    private func stopSilenceTimer() {
        self.silenceTimer?.cancel()
        self.silenceTimer = nil
    }

    /// Records the answer to send instead of the empty 400.
    func record(status: Int, reason: String, headers: [(String, String)], body: [UInt8]) {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        self.refusal.withLockedValue { $0 = Array(head.utf8) + body }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = Self.unwrapOutboundIn(data)
        if let answer = self.refusal.withLockedValue({ $0 }), buffer.readableBytesView.starts(with: Self.emptyRefusal) {
            self.refusal.withLockedValue { $0 = nil }
            context.write(Self.wrapOutboundOut(ByteBuffer(bytes: answer)), promise: promise)
            return
        }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !self.heardFrom {
            self.heardFrom = true
            self.silentConnections.remove(context.channel)
            self.stopSilenceTimer()
        }
        context.fireChannelRead(data)
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
