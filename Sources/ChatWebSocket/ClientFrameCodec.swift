import NIOCore
import NIOWebSocket

/// Why ``ClientFrameCodec`` refused the server's bytes; the handlers behind it see this error, then the connection's
/// end.
public struct WebSocketFrameError: Error, Hashable, Sendable {
    /// The close code the client sent: 1002 (protocol error) or 1009 (frame too large).
    public var closeCode: UInt16
    /// What was wrong, for logs.
    public var reason: String
}

/// The client end's websocket frame codec (RFC 6455 §5): it reads the server's frames straight from the bytes the
/// socket delivered and writes each outbound frame, masked, as one buffer. It stands in for NIO's frame decoder
/// (behind a byte-to-message handler), NIO's frame encoder (a second buffer for the header) and NIO's protocol-error
/// handler, which, built for a server, wrote its close frame unmasked.
///
/// A frame the server must not send is refused: a masked one (§5.1), one with a reserved bit set (no extension is
/// negotiated), a fragmented control frame or one longer than 125 bytes (§5.5), and an unknown opcode (§5.2) get a
/// close frame with 1002; one longer than the frame limit gets 1009 as soon as its header arrives. The connection is
/// closed once that close frame is written, and the handlers behind see a ``WebSocketFrameError``.
///
/// Bytes of a frame that has not fully arrived wait in the codec (at most one frame, checked against the limit); a
/// received frame's payload is a slice of the buffer the socket filled, not a copy.
final class ClientFrameCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    /// What the front of the bytes holds.
    enum Step {
        case frame(WebSocketFrame)
        /// The rest of the frame has not arrived yet.
        case needMore
        case refused(WebSocketFrameError)
    }

    private let maxFrameSize: Int
    private var pending: ByteBuffer?
    private var refused = false

    /// A codec refusing frames longer than `maxFrameSize` bytes.
    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.refused else { return }
        var incoming = Self.unwrapInboundIn(data)
        var buffer = ByteBuffer.joined(&self.pending, &incoming)
        while buffer.readableBytes > 0 {
            switch Self.parse(&buffer, maxFrameSize: self.maxFrameSize) {
            case .frame(let frame):
                context.fireChannelRead(Self.wrapInboundOut(frame))
            case .needMore:
                // Keep only the partial frame, not a whole read buffer NIO could otherwise reuse.
                self.pending = buffer.readableBytes < 4096 ? ByteBuffer(buffer.readableBytesView) : buffer
                return
            case .refused(let error):
                return self.refuse(context: context, error)
            }
            guard !self.refused else { return }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.pending = nil
        context.fireChannelInactive()
    }

    /// Reads one frame from the front of `buffer`; on ``Step/needMore`` nothing is consumed.
    static func parse(_ buffer: inout ByteBuffer, maxFrameSize: Int) -> Step {
        let readable = buffer.readableBytes
        let start = buffer.readerIndex
        guard readable >= 2, let first = buffer.getInteger(at: start, as: UInt8.self),
            let second = buffer.getInteger(at: start + 1, as: UInt8.self)
        else { return .needMore }
        var headerSize = 2
        let length: UInt64
        switch second & 0x7F {
        case 126:
            guard let value = buffer.getInteger(at: start + 2, as: UInt16.self) else { return .needMore }
            length = UInt64(value)
            headerSize = 4
        case 127:
            guard let value = buffer.getInteger(at: start + 2, as: UInt64.self) else { return .needMore }
            length = value
            headerSize = 10
        case let short:
            length = UInt64(short)
        }
        let fin = first & 0x80 != 0
        let code = first & 0x0F
        if second & 0x80 != 0 { return .refused(.init(closeCode: 1002, reason: "a masked frame from the server")) }
        if first & 0x70 != 0 { return .refused(.init(closeCode: 1002, reason: "a reserved bit is set")) }
        switch code {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: break
        default: return .refused(.init(closeCode: 1002, reason: "unknown opcode \(code)"))
        }
        if code & 0x8 != 0, !fin || length > 125 {
            return .refused(.init(closeCode: 1002, reason: "a fragmented or long control frame"))
        }
        guard length <= UInt64(maxFrameSize) else {
            return .refused(.init(closeCode: 1009, reason: "a frame of \(length) bytes, over the limit"))
        }
        guard readable >= headerSize + Int(length),
            let payload = buffer.getSlice(at: start + headerSize, length: Int(length)),
            let opcode = WebSocketOpcode(encodedWebSocketOpcode: code)
        else { return .needMore }
        buffer.moveReaderIndex(forwardBy: headerSize + Int(length))
        return .frame(WebSocketFrame(fin: fin, opcode: opcode, data: payload))
    }

    /// Answers a frame the server must not send: a close frame with its code, then the connection's close.
    private func refuse(context: ChannelHandlerContext, _ error: WebSocketFrameError) {
        self.refused = true
        self.pending = nil
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.writeInteger(error.closeCode)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
        let loopBound = context.loopBound
        context.writeAndFlush(Self.wrapOutboundOut(Self.encode(frame, allocator: context.channel.allocator)))
            .whenComplete { _ in loopBound.value.close(promise: nil) }
        context.fireErrorCaught(error)
    }

    // MARK: Writing

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = Self.unwrapOutboundIn(data)
        context.write(Self.wrapOutboundOut(Self.encode(frame, allocator: context.channel.allocator)), promise: promise)
    }

    /// A frame as the client writes it: header, masking key (the frame's, else a random one) and the masked payload
    /// in one buffer.
    static func encode(_ frame: WebSocketFrame, allocator: ByteBufferAllocator) -> ByteBuffer {
        let count = frame.data.readableBytes
        let key = frame.maskKey ?? .random()
        var buffer = allocator.buffer(capacity: 14 + count)
        var first = UInt8(webSocketOpcode: frame.opcode)
        if frame.fin { first |= 0x80 }
        first |= frame.reservedBits.rawValue
        buffer.writeInteger(first)
        if count < 126 {
            buffer.writeInteger(UInt8(0x80) | UInt8(count))
        } else if count <= 0xFFFF {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(count))
        }
        buffer.writeBytes(key)
        guard count > 0 else { return buffer }
        let key32 = UInt32(key[0]) | UInt32(key[1]) << 8 | UInt32(key[2]) << 16 | UInt32(key[3]) << 24
        let key64 = UInt64(key32) | UInt64(key32) << 32
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { target in
            frame.data.withUnsafeReadableBytes { source in
                var index = 0
                while index + 8 <= count {
                    // Key bytes in memory order, so the little-endian load and store keep their positions.
                    let word = source.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ key64.littleEndian
                    target.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
                while index < count {
                    target[index] = source[index] ^ key[index & 3]
                    index += 1
                }
            }
            return count
        }
        return buffer
    }
}

extension ByteBuffer {
    /// The bytes `held` (taken, so its storage stays uniquely referenced for the append) followed by `incoming`;
    /// `incoming` itself when nothing is held. What a handler that waits for the rest of something calls on each read.
    static func joined(_ held: inout ByteBuffer?, _ incoming: inout ByteBuffer) -> ByteBuffer {
        guard var joined = held.take() else { return incoming }
        joined.writeBuffer(&incoming)
        return joined
    }
}
