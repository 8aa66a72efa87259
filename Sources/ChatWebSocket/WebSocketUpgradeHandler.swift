import Crypto
import Foundation
import NIOCore
import NIOWebSocket

/// What the server answered to a successful upgrade request.
struct UpgradeAnswer: Sendable {
    /// The websocket as an async channel; `nil` for a conversation (``WebSocketConversationHandler``).
    var channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>?
    /// The connection.
    var rawChannel: any Channel
    /// A conversation's end (``WebSocketConversationHandler/ended``); `nil` for an async channel.
    var ended: EventLoopFuture<ChatWebSocketCloseFrame?>?
    var subprotocol: String?
    var headers: [(String, String)]
    var farewell: NIOLoopBound<WebSocketFarewellHandler>
}

/// Sends the HTTP/1.1 upgrade request, reads the answer, and on `101` turns the pipeline into a websocket pipeline.
///
/// Unlike swift-nio's typed client upgrader (as used by swift-websocket 1.6.2's `WSClient`), the bytes that arrive
/// in the same read as the `101` answer are passed to the frame codec (`ClientFrameCodec`) in the same event loop
/// tick, followed by a read-complete, so a server that speaks first (a match token, a v2 hello) is never lost or
/// stuck. A refusal (any other status) is read with its body and reported as ``WebSocketUpgradeRefused``; a
/// connection that closes before the answer fails the upgrade instead of hanging.
final class WebSocketUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The longest answer head accepted, and the longest refusal body kept.
    static let maxHeadSize = 16 * 1024
    static let maxBodySize = 64 * 1024

    private let request: ByteBuffer
    private let key: String
    private let offeredSubprotocols: [String]
    private let maxFrameSize: Int
    private let promise: EventLoopPromise<UpgradeAnswer>
    /// Where the frames go instead of an async channel.
    private let conversation: WebSocketConversationHandler?
    private let timeout: TimeAmount
    private var buffer: ByteBuffer?
    private var refusal: (status: Int, headers: [(String, String)], head: Int, length: Int?)?
    private var sentRequest = false
    private var done = false
    private var timeoutTask: Scheduled<Void>?

    init(
        host: String,
        path: String,
        headers: [(String, String)],
        subprotocols: [String],
        maxFrameSize: Int,
        timeout: TimeAmount,
        promise: EventLoopPromise<UpgradeAnswer>,
        conversation: WebSocketConversationHandler? = nil
    ) {
        var random = SystemRandomNumberGenerator()
        let keyBytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        self.key = Data(keyBytes).base64EncodedString()
        var text = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(self.key)\r\nSec-WebSocket-Version: 13\r\n"
        if !subprotocols.isEmpty { text += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n" }
        for (name, value) in headers where Self.isSafeHeader(name, value) { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        self.request = ByteBuffer(string: text)
        self.offeredSubprotocols = subprotocols
        self.maxFrameSize = maxFrameSize
        self.timeout = timeout
        self.promise = promise
        self.conversation = conversation
    }

    /// Header names and values must not break the request apart.
    static func isSafeHeader(_ name: String, _ value: String) -> Bool {
        !name.isEmpty && !name.contains(where: { $0 == ":" || $0.isWhitespace || $0.isNewline })
            && !value.contains(where: \.isNewline)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timeoutTask = context.eventLoop.scheduleTask(in: self.timeout) {
            let (handler, context) = loopBound.value
            handler.fail(context: context, WebSocketUpgradeError.timedOut)
        }
        if context.channel.isActive { self.sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.sendRequest(context: context)
        context.fireChannelActive()
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !self.sentRequest else { return }
        self.sentRequest = true
        context.writeAndFlush(Self.wrapOutboundOut(self.request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        var incoming = Self.unwrapInboundIn(data)
        self.buffer = ByteBuffer.joined(&self.buffer, &incoming)
        self.process(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let refusal = self.refusal, !self.done {
            // A refusal without Content-Length ends with the connection.
            self.finishRefusal(context: context, refusal, bodyEnd: self.buffer?.readableBytes ?? refusal.head)
        }
        self.fail(context: context, WebSocketUpgradeError.closedBeforeAnswer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, error)
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        guard !self.done else { return }
        self.done = true
        self.timeoutTask?.cancel()
        self.promise.fail(error)
        context.close(promise: nil)
    }

    private func process(context: ChannelHandlerContext) {
        guard let buffer = self.buffer else { return }
        if let refusal = self.refusal {
            if let length = refusal.length, buffer.readableBytes >= refusal.head + length {
                self.finishRefusal(context: context, refusal, bodyEnd: refusal.head + length)
            } else if refusal.length == nil, let body = Self.dechunked(buffer.readableBytesView.dropFirst(refusal.head))
            {
                self.fail(
                    context: context,
                    WebSocketUpgradeRefused(status: refusal.status, headers: refusal.headers, body: body)
                )
            } else if buffer.readableBytes - refusal.head > Self.maxBodySize {
                self.finishRefusal(context: context, refusal, bodyEnd: refusal.head + Self.maxBodySize)
            }
            return
        }
        let view = buffer.readableBytesView
        guard let end = Self.headEnd(in: view) else {
            if view.count > Self.maxHeadSize { self.fail(context: context, WebSocketUpgradeError.malformedAnswer) }
            return
        }
        guard let head = HTTPAnswerHead(Array(view.prefix(end - 4))) else {
            self.fail(context: context, WebSocketUpgradeError.malformedAnswer)
            return
        }
        guard head.status == 101 else {
            // The body's end: Content-Length, the chunked terminator, or (neither) nothing but the connection's end
            // when the server says it closes, else an empty body.
            let length = head.value("content-length").flatMap { Int($0) }
            let chunked = head.value("transfer-encoding")?.lowercased().contains("chunked") == true
            let closes = head.value("connection")?.lowercased().contains("close") == true
            self.refusal = (head.status, head.headers, end, length ?? (chunked || closes ? nil : 0))
            return self.process(context: context)
        }
        do {
            try self.upgrade(context: context, head: head, bodyStart: end)
        } catch {
            self.fail(context: context, error)
        }
    }

    private func finishRefusal(
        context: ChannelHandlerContext,
        _ refusal: (status: Int, headers: [(String, String)], head: Int, length: Int?),
        bodyEnd: Int
    ) {
        let bytes = Array(self.buffer?.readableBytesView ?? ByteBufferView())
        let body = Array(bytes[min(refusal.head, bytes.count)..<min(bodyEnd, bytes.count)])
        self.fail(
            context: context,
            WebSocketUpgradeRefused(status: refusal.status, headers: refusal.headers, body: body)
        )
    }

    private func upgrade(context: ChannelHandlerContext, head: HTTPAnswerHead, bodyStart: Int) throws {
        guard head.value("upgrade").map({ HTTPAnswerHead.equalsIgnoringASCIICase($0, "websocket") }) == true,
            head.value("connection")?.lowercased().contains("upgrade") == true
        else { throw WebSocketUpgradeError.malformedAnswer }
        let expected = Data(Insecure.SHA1.hash(data: Data((self.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
            .base64EncodedString()
        guard head.value("sec-websocket-accept") == expected else {
            throw WebSocketUpgradeError.badAccept
        }
        let chosen = head.value("sec-websocket-protocol")
        if let chosen, !self.offeredSubprotocols.contains(chosen) {
            throw WebSocketUpgradeError.unofferedSubprotocol(chosen)
        }
        self.done = true
        self.timeoutTask?.cancel()
        let pipeline = context.pipeline.syncOperations
        let farewell = WebSocketFarewellHandler()
        var handlers: [any ChannelHandler] = [ClientFrameCodec(maxFrameSize: self.maxFrameSize), farewell]
        let ended = self.conversation.map { _ in context.eventLoop.makePromise(of: ChatWebSocketCloseFrame?.self) }
        if let conversation = self.conversation {
            conversation.subprotocol = chosen
            conversation.farewell = farewell
            conversation.ended = ended
            handlers.append(conversation)
        }
        do {
            try pipeline.addHandlers(handlers, position: .after(self))
        } catch {
            ended?.fail(error)
            throw error
        }
        self.conversation?.start()
        let channel =
            self.conversation == nil
            ? try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: context.channel) : nil
        var rest = self.buffer ?? ByteBuffer()
        rest.moveReaderIndex(forwardBy: min(bodyStart, rest.readableBytes))
        self.buffer = nil
        self.promise.succeed(
            UpgradeAnswer(
                channel: channel,
                rawChannel: context.channel,
                ended: ended?.futureResult,
                subprotocol: chosen,
                headers: head.headers,
                farewell: NIOLoopBound(farewell, eventLoop: context.eventLoop)
            )
        )
        if rest.readableBytes > 0 {
            context.fireChannelRead(Self.wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        pipeline.removeHandler(context: context, promise: nil)
    }

    /// A complete chunked body, decoded; `nil` until its last chunk has arrived (or when it is not chunked).
    static func dechunked(_ bytes: ByteBufferView.SubSequence) -> [UInt8]? {
        var body: [UInt8] = []
        var index = bytes.startIndex
        while true {
            guard let lineEnd = bytes[index...].firstIndex(of: 10), lineEnd > index, bytes[lineEnd - 1] == 13 else {
                return nil
            }
            let sizeText = String(decoding: bytes[index..<(lineEnd - 1)], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size >= 0 else { return nil }
            let start = lineEnd + 1
            if size == 0 { return body }
            guard bytes.endIndex - start >= size + 2 else { return nil }
            body += bytes[start..<(start + size)]
            index = start + size + 2
        }
    }

    /// The index just past the first `\r\n\r\n`.
    static func headEnd(in view: ByteBufferView) -> Int? {
        var index = view.startIndex
        let end = view.endIndex
        while index + 3 < end {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                return index + 4 - view.startIndex
            }
            index += 1
        }
        return nil
    }
}

/// The status line and headers of an HTTP/1.1 answer, read from its bytes: every opening parses one on the event
/// loop, and Foundation's string splitting and trimming made that a sixth of a v2 match's client CPU (issue 9, B6).
struct HTTPAnswerHead {
    var status: Int
    /// The header lines in order: the name as sent, the value without the spaces and tabs around it.
    var headers: [(String, String)]

    /// Parses a head without its final blank line: `HTTP/1.x NNN reason`, then `name: value` lines, each ended by
    /// CRLF. `nil` for another status line, a status outside 100–599, or a header line without a colon.
    init?(_ bytes: [UInt8]) {
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10 {
                lines.append(bytes[lineStart..<index])
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        lines.append(bytes[lineStart...])
        guard let status = Self.status(lines[0]) else { return nil }
        self.status = status
        self.headers = []
        self.headers.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = Self.trimmed(line[..<colon])
            let value = Self.trimmed(line[(colon + 1)...])
            self.headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }

    private static let versionPrefix = Array("HTTP/1.".utf8)

    /// The status of `HTTP/1.x NNN[ reason]`.
    private static func status(_ line: ArraySlice<UInt8>) -> Int? {
        guard line.starts(with: Self.versionPrefix), let space = line.firstIndex(of: UInt8(ascii: " ")) else {
            return nil
        }
        let code = line[(space + 1)...].prefix { $0 != UInt8(ascii: " ") }
        guard code.count == 3 else { return nil }
        var status = 0
        for digit in code {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            status = status * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return (100...599).contains(status) ? status : nil
    }

    /// `bytes` without the spaces and tabs (HTTP's optional whitespace) at either end.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return bytes[bytes.startIndex..<bytes.startIndex] }
        return bytes[first...last]
    }

    /// The first value of header `name` (an ASCII name, matched case-insensitively).
    func value(_ name: String) -> String? {
        self.headers.first { Self.equalsIgnoringASCIICase($0.0, name) }?.1
    }

    /// Whether two strings are equal up to the case of ASCII letters.
    static func equalsIgnoringASCIICase(_ left: String, _ right: String) -> Bool {
        left.utf8.elementsEqual(right.utf8) { Self.lowercased($0) == Self.lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
