import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import ChatWebSocket

/// ``ClientFrameCodec`` on an embedded channel: the server's frames read from bytes in any split, ours written masked
/// as one buffer, and every frame a server must not send refused with its close code.
@Suite("ChatWebSocket: the client's frame codec", .timeLimit(.minutes(1)))
struct ClientFrameCodecTests {
    /// Collects the errors that pass the codec.
    final class ErrorRecorder: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        var errors: [any Error] = []
        var frames: [WebSocketFrame] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.frames.append(Self.unwrapInboundIn(data))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { self.errors.append(error) }
    }

    static func open(maxFrameSize: Int = 1 << 20) throws -> (EmbeddedChannel, ErrorRecorder) {
        let recorder = ErrorRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([ClientFrameCodec(maxFrameSize: maxFrameSize), recorder])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, recorder)
    }

    /// A frame as a byte-by-byte reference writer lays it out (RFC 6455 §5.2), optionally masked.
    static func reference(fin: Bool = true, opcode: UInt8, payload: [UInt8], mask: [UInt8]? = nil) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            bytes.append(maskBit | 127)
            bytes += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard let mask else { return bytes + payload }
        bytes += mask
        for (index, byte) in payload.enumerated() { bytes.append(byte ^ mask[index % 4]) }
        return bytes
    }

    static func summary(_ frame: WebSocketFrame) -> String {
        "\(frame.fin) \(frame.opcode) \(frame.maskKey == nil) \(Array(frame.data.readableBytesView))"
    }

    @Test("RFC 6455 §5.7's unmasked examples are read as NIO's decoder reads them")
    func rfcExamples() throws {
        let (channel, recorder) = try Self.open()
        let hello: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        let fragments: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]
        let ping: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        let binary256 = [0x82, 0x7E, 0x01, 0x00] + [UInt8](repeating: 7, count: 256)
        let binary64K = [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + [UInt8](repeating: 9, count: 65536)
        try channel.writeInbound(ByteBuffer(bytes: hello + fragments + ping + binary256 + binary64K))
        let expected = [
            WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "Hello")),
            WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(string: "Hel")),
            WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(string: "lo")),
            WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "Hello")),
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(repeating: 7, count: 256)),
            WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(repeating: 9, count: 65536)),
        ]
        #expect(recorder.frames.map(Self.summary) == expected.map(Self.summary))
        #expect(recorder.errors.isEmpty)
    }

    @Test("frames split at every byte, or arriving many per read, come out whole and in order")
    func everySplit() throws {
        var generator = SystemRandomNumberGenerator()
        var stream: [UInt8] = []
        var expected: [String] = []
        for length in [0, 1, 5, 125, 126, 127, 300, 65535, 65536, 70000] {
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            stream += Self.reference(opcode: 0x2, payload: payload)
            expected.append(Self.summary(WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: payload))))
        }
        stream += Self.reference(opcode: 0xA, payload: [1, 2])
        expected.append(Self.summary(WebSocketFrame(fin: true, opcode: .pong, data: ByteBuffer(bytes: [1, 2]))))
        // Every split of the small frames' bytes into two reads; random chunks over the whole stream.
        let small = Self.reference(opcode: 0x1, payload: Array("héllo, world".utf8))
        for split in 0...small.count {
            let (channel, recorder) = try Self.open()
            try channel.writeInbound(ByteBuffer(bytes: small[..<split]))
            try channel.writeInbound(ByteBuffer(bytes: small[split...]))
            #expect(recorder.frames.map { String(buffer: $0.data) } == ["héllo, world"], "split at \(split)")
        }
        for _ in 0..<20 {
            let (channel, recorder) = try Self.open()
            var offset = 0
            while offset < stream.count {
                let size = Int.random(in: 1...9000, using: &generator)
                try channel.writeInbound(ByteBuffer(bytes: stream[offset..<min(stream.count, offset + size)]))
                offset += size
            }
            #expect(recorder.frames.map(Self.summary) == expected)
        }
    }

    /// Bytes a server must not send, and the close code they get.
    static let refusals: [(String, [UInt8], UInt16)] = [
        ("masked", Self.reference(opcode: 0x1, payload: Array("hi".utf8), mask: [1, 2, 3, 4]), 1002),
        ("reserved bit", [0xC1, 0x02, 0x68, 0x69], 1002),
        ("unknown opcode", [0x83, 0x00], 1002),
        ("fragmented ping", [0x09, 0x00], 1002),
        ("long close", Self.reference(opcode: 0x8, payload: [UInt8](repeating: 0, count: 126)), 1002),
        ("over the limit, header only", [0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 0], 1009),
        ("a 64-bit length with its top bit set", [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1], 1009),
    ]

    @Test("a frame a server must not send: close frame (masked) with its code, the error, the connection closed")
    func refused() throws {
        for (name, bytes, code) in Self.refusals {
            let (channel, recorder) = try Self.open(maxFrameSize: 4096)
            try channel.writeInbound(ByteBuffer(bytes: bytes + Self.reference(opcode: 0x1, payload: [0x61])))
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self), "\(name)")
            let bytes = Array(written.readableBytesView)
            #expect(bytes.count == 8 && bytes[0] == 0x88 && bytes[1] == 0x82, "\(name): a masked close frame")
            #expect(UInt16(bytes[6] ^ bytes[2]) << 8 | UInt16(bytes[7] ^ bytes[3]) == code, "\(name)")
            #expect(recorder.frames.isEmpty, "\(name): nothing after the bad frame is read")
            #expect((recorder.errors.first as? WebSocketFrameError)?.closeCode == code, "\(name)")
            #expect(!channel.isActive, "\(name): closed")
        }
    }

    @Test("what the client writes is one masked frame, as RFC 6455 §5.7 and a byte-by-byte writer lay it out")
    func writes() throws {
        let (channel, _) = try Self.open()
        let key: WebSocketMaskingKey = [0x37, 0xFA, 0x21, 0x3D]
        try channel.writeOutbound(
            WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: ByteBuffer(string: "Hello"))
        )
        let rfc: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) } == rfc)
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 7, 8, 9, 125, 126, 1000, 65535, 65536, 70001] {
            let payload = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let mask = (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var data = ByteBuffer(bytes: [0xEE, 0xEE] + payload)
            data.moveReaderIndex(forwardBy: 2)  // a payload that does not start at index 0
            let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: WebSocketMaskingKey(mask), data: data)
            try channel.writeOutbound(frame)
            let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
            #expect(Array(written.readableBytesView) == Self.reference(opcode: 0x2, payload: payload, mask: mask))
        }
        // Without a key of its own a frame still goes out masked.
        try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()))
        let ping = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(Array(ping.readableBytesView.prefix(2)) == [0x89, 0x80] && ping.readableBytes == 6)
    }
}
