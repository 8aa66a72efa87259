import ChatProtocol
import Testing

@Suite("Protobuf round trips (seeded random values)")
struct ProtobufRoundTripTests {
    /// A named generator of random values of one type.
    struct Generator: Sendable, CustomTestStringConvertible {
        var name: String
        var iterations: Int
        var make: @Sendable (inout RandomValues) -> any ProtobufMessage
        var testDescription: String { self.name }

        static let all: [Generator] = [
            .init(name: "ChatClientFrame", iterations: 2000) { $0.chatClientFrame() },
            .init(name: "ChatServerFrame", iterations: 3000) { $0.chatServerFrame() },
            .init(name: "MatchClientFrame", iterations: 1000) { $0.matchClientFrame() },
            .init(name: "MatchServerFrame", iterations: 2000) { $0.matchServerFrame() },
            .init(name: "HistoryPage", iterations: 500) { $0.historyPage() },
            .init(name: "Upstream messages", iterations: 2000) { $0.upstream() },
        ]
    }

    @Test("decode(encode(x)) == x and protobufSize == bytes.count", arguments: Generator.all)
    func roundTrip(_ generator: Generator) throws {
        var random = RandomValues(seed: 0x5EED_0000 &+ UInt64(generator.name.utf8.count))
        var buffer: [UInt8] = []
        for _ in 0..<generator.iterations {
            let value = generator.make(&random)
            try Self.check(value, buffer: &buffer)
        }
    }

    private static func check<M: ProtobufMessage>(_ value: M, buffer: inout [UInt8]) throws {
        let bytes = value.encodedProtobufBytes()
        #expect(bytes.count == value.protobufSize)
        let decoded = try M(decoding: bytes, options: DecodingOptions())
        #expect(decoded == value)
        // Appending into a reused buffer gives the same bytes.
        buffer.removeAll(keepingCapacity: true)
        value.appendProtobufBytes(to: &buffer)
        #expect(buffer == bytes)
    }

    @Test("nested messages whose length needs 1, 2 or 3 varint bytes: bytes, framing and appending after data")
    func nestedLengthBoundaries() throws {
        for textLength in [0, 100, 110, 120, 130, 16_300, 16_370, 16_400, 2_097_000, 2_097_200] {
            let message = V2.ChatMessage(
                messageID: MessageID(1 << 60),
                seq: 17,
                userID: UserID(3),
                content: .text(String(repeating: "x", count: textLength)),
                time: 1_700_000_000_000,
                clientMessageID: "c",
                seen: false
            )
            let frame = V2.ChatServerFrame(id: 5, body: .message(message))
            let bytes = frame.encodedProtobufBytes()
            #expect(bytes.count == frame.protobufSize, "\(textLength)")
            // The frame is its id field, then the message field: tag, the inner message's length, the message.
            let inner = message.encodedProtobufBytes()
            var length: [UInt8] = []
            Varint.encode(UInt64(inner.count), into: &length)
            #expect(Array(bytes.suffix(inner.count + length.count)) == length + inner, "\(textLength)")
            let options = DecodingOptions(maxMessageBytes: 8 << 20, maxFieldBytes: 4 << 20)
            #expect(try V2.ChatServerFrame(decoding: bytes, options: options) == frame)
            var buffer: [UInt8] = [0xAA, 0xBB, 0xCC]
            frame.appendProtobufBytes(to: &buffer)
            #expect(buffer == [0xAA, 0xBB, 0xCC] + bytes, "\(textLength)")
        }
    }

    @Test("varint sizes match the bytes written, at every bit length")
    func varintSizes() throws {
        var values: [UInt64] = [0, .max]
        for bit in 0..<64 {
            values += [1 << UInt64(bit), (1 << UInt64(bit)) - 1, (1 << UInt64(bit)) + 1]
        }
        for value in values {
            var bytes: [UInt8] = []
            Varint.encode(value, into: &bytes)
            #expect(bytes.count == Varint.encodedSize(of: value), "\(value)")
            var offset = 0
            #expect(try Varint.decode(bytes, offset: &offset, end: bytes.count) == value)
            #expect(offset == bytes.count)
        }
    }

    @Test("zigzag maps small magnitudes to small numbers and round-trips the extremes")
    func zigzag() {
        #expect(ZigZag.encoded(Int32(0)) == 0)
        #expect(ZigZag.encoded(Int32(-1)) == 1)
        #expect(ZigZag.encoded(Int32(1)) == 2)
        #expect(ZigZag.encoded(Int32.min) == .max)
        #expect(ZigZag.encoded(Int64(-2)) == 3)
        #expect(ZigZag.encoded(Int64.min) == .max)
        for value: Int64 in [0, 1, -1, .min, .max, 12345, -12345] {
            #expect(ZigZag.decoded(ZigZag.encoded(value)) == value)
            #expect(
                ZigZag.decoded(ZigZag.encoded(Int32(truncatingIfNeeded: value))) == Int32(truncatingIfNeeded: value)
            )
        }
    }

    @Test("field tags validate number and wire type")
    func fieldTags() throws {
        let tag = try FieldTag(rawValue: 0x3A, at: 0)
        #expect(tag.fieldNumber == 7)
        #expect(tag.wireType == .lengthDelimited)
        #expect(FieldTag(fieldNumber: FieldTag.maxFieldNumber, wireType: .fixed32).rawValue == 0xFFFF_FFFD)
        #expect(throws: WireError(.invalidTag, at: 5)) { try FieldTag(rawValue: 0x02, at: 5) }
        #expect(throws: WireError(.invalidWireType, at: 0)) { try FieldTag(rawValue: 0x0B, at: 0) }
    }
}
