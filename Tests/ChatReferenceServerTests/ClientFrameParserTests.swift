import NIOCore
import Testing

@testable import ChatReferenceServer

/// The server's own frame reader and writer, against RFC 6455's examples (§5.7) and its rules for lengths, masks and
/// control frames.
@Suite("Websocket frames: the client-frame parser and the server's frame writer")
struct ClientFrameParserTests {
    typealias Frame = ClientFrameParser.Frame

    /// RFC 6455 §5.7: "A single-frame masked text message" ("Hello").
    static let maskedHello: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
    /// §5.7: "A fragmented unmasked text message" ("Hel", then "lo").
    static let fragmentedHello: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]
    /// §5.7: "Unmasked Ping request and masked Ping response" (ping, then pong, both "Hello").
    static let pingAndMaskedPong: [UInt8] = [
        0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F,
        0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58,
    ]

    static func frames(_ chunks: [[UInt8]], maxFrameSize: Int = 1 << 20) -> [ClientFrameParser.Step] {
        var parser = ClientFrameParser(maxFrameSize: maxFrameSize)
        var steps: [ClientFrameParser.Step] = []
        for chunk in chunks {
            parser.append(ByteBuffer(bytes: chunk))
            while true {
                let step = parser.next()
                if step == .needMore { break }
                steps.append(step)
                if case .frame = step { continue }
                return steps
            }
        }
        return steps
    }

    static let hello = Array("Hello".utf8)

    @Test("RFC 6455 §5.7's examples parse to their frames, unmasked")
    func rfcExamples() {
        #expect(
            Self.frames([Self.maskedHello]) == [
                .frame(Frame(fin: true, reservedBits: 0, opcode: 0x1, masked: true, payload: Self.hello))
            ]
        )
        #expect(
            Self.frames([Self.fragmentedHello]) == [
                .frame(Frame(fin: false, reservedBits: 0, opcode: 0x1, masked: false, payload: Array("Hel".utf8))),
                .frame(Frame(fin: true, reservedBits: 0, opcode: 0x0, masked: false, payload: Array("lo".utf8))),
            ]
        )
        #expect(
            Self.frames([Self.pingAndMaskedPong]) == [
                .frame(Frame(fin: true, reservedBits: 0, opcode: 0x9, masked: false, payload: Self.hello)),
                .frame(Frame(fin: true, reservedBits: 0, opcode: 0xA, masked: true, payload: Self.hello)),
            ]
        )
    }

    @Test("A frame split at any byte, or fed a byte at a time, parses the same; nothing is taken before it is whole")
    func splitAnywhere() {
        let stream = Self.maskedHello + Self.fragmentedHello + Self.pingAndMaskedPong
        let whole = Self.frames([stream])
        #expect(whole.count == 5)
        for cut in 1..<stream.count {
            #expect(Self.frames([Array(stream[..<cut]), Array(stream[cut...])]) == whole, "cut at \(cut)")
        }
        #expect(Self.frames(stream.map { [$0] }) == whole)
    }

    @Test("16- and 64-bit lengths (§5.2: 126 and 127), masked payloads of every length up to 300 bytes")
    func lengths() {
        for count in [0, 1, 7, 8, 9, 125, 126, 127, 300, 65_535, 65_536, 70_000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let key: [UInt8] = [0x12, 0x34, 0x56, 0x78]
            var frame: [UInt8] = [0x82]
            if count < 126 {
                frame.append(0x80 | UInt8(count))
            } else if count <= 0xFFFF {
                frame += [0x80 | 126, UInt8(count >> 8), UInt8(count & 0xFF)]
            } else {
                frame.append(0x80 | 127)
                frame += (0..<8).reversed().map { UInt8(truncatingIfNeeded: count >> ($0 * 8)) }
            }
            frame += key
            frame += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
            #expect(
                Self.frames([frame]) == [
                    .frame(Frame(fin: true, reservedBits: 0, opcode: 0x2, masked: true, payload: payload))
                ],
                "length \(count)"
            )
        }
    }

    @Test("Unmasking eight bytes at a time matches XOR with the key byte by byte, at every length and key")
    func unmask() {
        var generator = SystemRandomNumberGenerator()
        for count in 0...67 {
            let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let key = (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var expected: [UInt8] = []
            for (index, byte) in body.enumerated() { expected.append(byte ^ key[index % 4]) }
            let unmasked = body.withUnsafeBytes { body in
                key.withUnsafeBytes { key in ClientFrameParser.unmask(body, key: key) }
            }
            #expect(unmasked == expected, "length \(count)")
        }
    }

    @Test("A frame over the limit is refused from its header alone; so is a 64-bit length with the top bit set")
    func tooLarge() {
        // 1,001 bytes announced against a 1,000-byte limit: refused before any payload arrives.
        #expect(Self.frames([[0x82, 0x80 | 126, 0x03, 0xE9]], maxFrameSize: 1000) == [.tooLarge])
        #expect(Self.frames([[0x82, 0x80 | 126, 0x03, 0xE8]], maxFrameSize: 1000) == [])
        #expect(Self.frames([[0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0]]) == [.tooLarge])
    }

    @Test("A fragmented control frame, or one longer than 125 bytes, is a protocol error (§5.5)")
    func badControlFrames() {
        #expect(Self.frames([[0x09, 0x80, 0, 0, 0, 0]]) == [.badControlFrame])
        #expect(Self.frames([[0x8A, 0x80 | 126, 0x00, 0x7E]]) == [.badControlFrame])
        #expect(Self.frames([[0x08, 0x80, 0, 0, 0, 0]]) == [.badControlFrame])
        // 125 bytes is allowed.
        let ping: [UInt8] = [0x89, 0x80 | 125, 0, 0, 0, 0] + [UInt8](repeating: 0x41, count: 125)
        #expect(
            Self.frames([ping]) == [
                .frame(
                    Frame(
                        fin: true,
                        reservedBits: 0,
                        opcode: 0x9,
                        masked: true,
                        payload: [UInt8](repeating: 0x41, count: 125)
                    )
                )
            ]
        )
    }

    @Test("Reserved bits and opcodes pass through for the connection to judge")
    func reservedBits() {
        #expect(
            Self.frames([[0xF3, 0x80, 0, 0, 0, 0]]) == [
                .frame(Frame(fin: true, reservedBits: 0x70, opcode: 0x3, masked: true, payload: []))
            ]
        )
    }

    @Test("The server writes RFC 6455 §5.7's frames: unmasked, with 7-, 16- and 64-bit lengths")
    func serverFrames() {
        let allocator = ByteBufferAllocator()
        #expect(
            Array(ServerFrame.make(.text, payload: Self.hello, allocator: allocator).readableBytesView)
                == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        )
        // §5.7: "256 bytes binary message in a single unmasked frame" and "64KiB binary message".
        let k256 = [UInt8](repeating: 0xAB, count: 256)
        #expect(
            Array(ServerFrame.make(.binary, payload: k256, allocator: allocator).readableBytesView)
                == [0x82, 0x7E, 0x01, 0x00] + k256
        )
        let k64 = [UInt8](repeating: 0xCD, count: 65_536)
        #expect(
            Array(ServerFrame.make(.binary, payload: k64, allocator: allocator).readableBytesView)
                == [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00] + k64
        )
        let pong = ServerFrame.make(.pong, payload: Self.hello, allocator: allocator)
        #expect(Array(pong.readableBytesView) == [0x8A, 0x05] + Self.hello)
        // The frames the server writes parse back (its reader accepts unmasked frames; the connection refuses them).
        let frame = ServerFrame.make(.text, payload: [UInt8](repeating: 0x61, count: 300), allocator: allocator)
        #expect(
            Self.frames([Array(frame.readableBytesView)]) == [
                .frame(
                    Frame(
                        fin: true,
                        reservedBits: 0,
                        opcode: 0x1,
                        masked: false,
                        payload: [UInt8](repeating: 0x61, count: 300)
                    )
                )
            ]
        )
    }

    /// A frame's bytes as RFC 6455 §5.2 lays them out, written byte by byte (the reference for the random test).
    static func encode(_ frame: Frame, key: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [(frame.fin ? 0x80 : 0) | frame.reservedBits | frame.opcode]
        let mask: UInt8 = frame.masked ? 0x80 : 0
        let count = frame.payload.count
        if count < 126 {
            bytes.append(mask | UInt8(count))
        } else if count <= 0xFFFF {
            bytes += [mask | 126, UInt8(count >> 8), UInt8(count & 0xFF)]
        } else {
            bytes.append(mask | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: count >> shift))
            }
        }
        guard frame.masked else { return bytes + frame.payload }
        bytes += key
        for (index, byte) in frame.payload.enumerated() { bytes.append(byte ^ key[index % 4]) }
        return bytes
    }

    @Test("Random frames in random chunks: every frame comes back as written, in order, whatever the chunking")
    func randomStreams() {
        var generator = SystemRandomNumberGenerator()
        let lengths = [0, 1, 3, 8, 15, 124, 125, 126, 127, 200, 4_095, 65_535, 65_536, 70_001]
        for _ in 0..<40 {
            var frames: [Frame] = []
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                let control = Bool.random(using: &generator)
                let count =
                    control
                    ? Int.random(in: 0...125, using: &generator) : lengths.randomElement(using: &generator)!
                let frame = Frame(
                    fin: control || Bool.random(using: &generator),
                    reservedBits: UInt8.random(in: 0...7, using: &generator) << 4,
                    opcode: control
                        ? UInt8.random(in: 8...15, using: &generator) : UInt8.random(in: 0...7, using: &generator),
                    masked: Bool.random(using: &generator),
                    payload: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
                )
                frames.append(frame)
                stream += Self.encode(frame, key: (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) })
            }
            var chunks: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + Int.random(in: 1...9_000, using: &generator))
                chunks.append(Array(stream[start..<end]))
                start = end
            }
            #expect(Self.frames(chunks) == frames.map { .frame($0) })
        }
    }

    @Test("Random bytes never crash or loop: each step consumes a frame, asks for more, or refuses")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                UInt8.random(in: 0...255, using: &generator)
            }
            var parser = ClientFrameParser(maxFrameSize: 32)
            parser.append(ByteBuffer(bytes: bytes))
            var steps = 0
            while case .frame = parser.next() {
                steps += 1
                // Every frame is at least two bytes: more steps than that means one consumed nothing.
                guard steps <= bytes.count / 2 else {
                    Issue.record("a frame that consumed nothing: \(bytes)")
                    break
                }
            }
        }
    }

    @Test("UTF-8 validation: the ASCII fast path and the standard library agree on valid and invalid text")
    func utf8() {
        let samples: [[UInt8]] = [
            [], Array("plain ascii, longer than eight bytes".utf8), Array("héllo wörld ✓ 𝄞".utf8),
            [0xC3, 0x28], [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0xFF], [0xED, 0xA0, 0x80],
            [0xF0, 0x9D, 0x84], [0xC0, 0xAF], Array("12345678".utf8) + [0xE2, 0x9C, 0x93],
        ]
        for sample in samples {
            #expect(
                WebSocketConnection.isValidUTF8(sample) == (String(validating: sample, as: UTF8.self) != nil),
                "\(sample)"
            )
        }
        #expect(!WebSocketConnection.isValidUTF8([0xC3, 0x28]))
        #expect(WebSocketConnection.isValidUTF8(Array("héllo".utf8)))
    }
}
