import ChatProtocol
import Testing

/// A malformed input, the type it is decoded as, and the exact error it must produce.
struct MalformedVector: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var options = DecodingOptions()
    var code: WireError.Code
    var offset: Int
    var decode: @Sendable ([UInt8], DecodingOptions) throws(WireError) -> Void

    init<M: ProtobufMessage>(
        _ name: String,
        as type: M.Type,
        _ bytes: [UInt8],
        options: DecodingOptions = DecodingOptions(),
        _ code: WireError.Code,
        at offset: Int
    ) {
        self.name = name
        self.bytes = bytes
        self.options = options
        self.code = code
        self.offset = offset
        self.decode = { (bytes, options) throws(WireError) in _ = try M(decoding: bytes, options: options) }
    }

    var testDescription: String { self.name }
}

/// `n` copies of a varint continuation byte.
private func continuation(_ count: Int) -> [UInt8] { [UInt8](repeating: 0xFF, count: count) }

/// `TestScalars.children` (field 21) nested `depth` levels deep.
private func nestedChildren(_ depth: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    for _ in 0..<depth {
        var length: [UInt8] = []
        var count = UInt64(bytes.count)
        while count > 0x7F {
            length.append(UInt8(truncatingIfNeeded: count) | 0x80)
            count >>= 7
        }
        length.append(UInt8(count))
        bytes = [0xAA, 0x01] + length + bytes
    }
    return bytes
}

typealias Frame = V2.ChatServerFrame

extension MalformedVector {
    static let all: [MalformedVector] = [
        // Varints.
        .init("truncated tag varint", as: Frame.self, [0x80], .truncated, at: 0),
        .init("truncated value varint", as: Frame.self, [0x08, 0x80, 0x80], .truncated, at: 1),
        .init("truncated varint after a valid field", as: Frame.self, [0x08, 0x01, 0x08, 0xFF], .truncated, at: 3),
        .init("11-byte varint", as: Frame.self, [0x08] + continuation(10) + [0x01], .malformedVarint, at: 1),
        .init(
            "10-byte varint whose last byte is 2",
            as: Frame.self,
            [0x08] + continuation(9) + [0x02],
            .malformedVarint,
            at: 1
        ),
        .init(
            "10-byte varint whose last byte is 0x7F",
            as: Frame.self,
            [0x08] + continuation(9) + [0x7F],
            .malformedVarint,
            at: 1
        ),
        .init("11-byte tag varint", as: Frame.self, continuation(10) + [0x01], .malformedVarint, at: 0),
        // Tags.
        .init("field number 0", as: Frame.self, [0x00, 0x01], .invalidTag, at: 0),
        .init("field number 0 after a valid field", as: Frame.self, [0x08, 0x01, 0x02, 0x00], .invalidTag, at: 2),
        .init("field number 2^29", as: Frame.self, [0x80, 0x80, 0x80, 0x80, 0x10], .invalidTag, at: 0),
        .init("tag above UInt32", as: Frame.self, continuation(9) + [0x01], .invalidTag, at: 0),
        .init("wire type 3 (start group)", as: Frame.self, [0x0B], .invalidWireType, at: 0),
        .init("wire type 4 (end group)", as: Frame.self, [0x08, 0x01, 0x0C], .invalidWireType, at: 2),
        .init("wire type 6", as: Frame.self, [0x0E], .invalidWireType, at: 0),
        .init("wire type 7", as: Frame.self, [0x0F, 0x00], .invalidWireType, at: 0),
        .init(
            "10,000 nested start-group tags",
            as: Frame.self,
            [UInt8](repeating: 0x0B, count: 10_000),
            .invalidWireType,
            at: 0
        ),
        // Wrong wire type for a known field.
        .init("id (uint32) sent as fixed32", as: Frame.self, [0x0D, 0, 0, 0, 0], .invalidWireType, at: 0),
        .init("hello (message) sent as varint", as: Frame.self, [0x08, 0x01, 0x38, 0x01], .invalidWireType, at: 2),
        .init(
            "error.msg (string) sent as fixed64",
            as: Frame.self,
            [0x12, 0x09, 0x11] + continuation(8),
            .invalidWireType,
            at: 2
        ),
        .init("fixed32 field sent as varint", as: TestScalars.self, [0x38, 0x01], .invalidWireType, at: 0),
        // Lengths.
        .init("length past the end", as: Frame.self, [0x3A, 0x05, 0x08], .truncated, at: 1),
        .init("string length past the end", as: V2.FileRef.self, [0x0A, 0x03, 0x61], .truncated, at: 1),
        .init("unknown field length past the end", as: Frame.self, [0xA2, 0x06, 0x04, 0x00], .truncated, at: 2),
        .init(
            "nested length past the nested end",
            as: Frame.self,
            [0x42, 0x02, 0x2A, 0x05, 0, 0, 0, 0, 0],
            .truncated,
            at: 3
        ),
        .init("varint running past the nested end", as: Frame.self, [0x3A, 0x02, 0x08, 0x80, 0x01], .truncated, at: 3),
        .init("length 2^31", as: Frame.self, [0x3A, 0x80, 0x80, 0x80, 0x80, 0x08], .fieldTooLarge, at: 1),
        .init(
            "length 2^63",
            as: Frame.self,
            [0x3A] + [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            .fieldTooLarge,
            at: 1
        ),
        .init("length 2^64 − 1", as: Frame.self, [0x3A] + continuation(9) + [0x01], .fieldTooLarge, at: 1),
        .init(
            "12-byte frame claiming a 2 GiB string",
            as: V2.FileRef.self,
            [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07] + [0x61] * 6,
            .fieldTooLarge,
            at: 1
        ),
        .init(
            "string longer than maxFieldBytes",
            as: V2.FileRef.self,
            [0x0A, 0x05, 0x61, 0x61, 0x61, 0x61, 0x61],
            options: DecodingOptions(maxFieldBytes: 4),
            .fieldTooLarge,
            at: 1
        ),
        .init(
            "skipped unknown field longer than maxFieldBytes",
            as: V2.Ok.self,
            [0x0A, 0x05, 0, 0, 0, 0, 0],
            options: DecodingOptions(maxFieldBytes: 4),
            .fieldTooLarge,
            at: 1
        ),
        // Fixed widths.
        .init("truncated fixed32", as: TestScalars.self, [0x3D, 0x01, 0x02], .truncated, at: 1),
        .init(
            "truncated fixed64",
            as: TestScalars.self,
            [0x41, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07],
            .truncated,
            at: 1
        ),
        .init("truncated unknown fixed32", as: Frame.self, [0x7D, 0x01], .truncated, at: 1),
        .init("truncated unknown fixed64", as: Frame.self, [0x79, 0x01, 0x02], .truncated, at: 1),
        .init(
            "packed fixed32 run of 3 bytes",
            as: TestScalars.self,
            [0x92, 0x01, 0x03, 0x01, 0x02, 0x03],
            .truncated,
            at: 3
        ),
        .init(
            "packed varint run ending inside a varint",
            as: TestScalars.self,
            [0x82, 0x01, 0x01, 0x80],
            .truncated,
            at: 3
        ),
        // Strings.
        .init("invalid UTF-8 (C3 28)", as: Frame.self, [0x12, 0x04, 0x12, 0x02, 0xC3, 0x28], .invalidUTF8, at: 3),
        .init(
            "UTF-8 encoded surrogate (ED A0 80)",
            as: V2.FileRef.self,
            [0x0A, 0x03, 0xED, 0xA0, 0x80],
            .invalidUTF8,
            at: 1
        ),
        .init("overlong UTF-8 NUL (C0 80)", as: V2.FileRef.self, [0x0A, 0x02, 0xC0, 0x80], .invalidUTF8, at: 1),
        .init(
            "truncated UTF-8 sequence",
            as: V2.ChatMessage.self,
            [0x22, 0x03, 0xF0, 0x9F, 0x98],
            .invalidUTF8,
            at: 1
        ),
        // Depth and size.
        .init(
            "message nested beyond maxDepth",
            as: Frame.self,
            [0x42, 0x02, 0x2A, 0x00],
            options: DecodingOptions(maxDepth: 1),
            .depthLimit,
            at: 3
        ),
        .init(
            "children nested 17 deep (default maxDepth 16)",
            as: TestScalars.self,
            nestedChildren(17),
            .depthLimit,
            at: 16 * 3 + 2
        ),
        .init("children nested 2,000 deep", as: TestScalars.self, nestedChildren(2000), .depthLimit, at: -1),
        .init(
            "input larger than maxMessageBytes",
            as: Frame.self,
            [0x08, 0x01, 0x08, 0x02, 0x08],
            options: DecodingOptions(maxMessageBytes: 4),
            .messageTooLarge,
            at: 4
        ),
    ]
}

private func * (lhs: [UInt8], rhs: Int) -> [UInt8] { [UInt8](repeating: lhs[0], count: rhs) }

@Suite("Protobuf malformed input")
struct ProtobufMalformedInputTests {
    @Test("each malformed input fails with its exact WireError code and offset", arguments: MalformedVector.all)
    func malformed(_ vector: MalformedVector) {
        do {
            try vector.decode(vector.bytes, vector.options)
            Issue.record("decoded without error")
        } catch {
            #expect(error.code == vector.code)
            if vector.offset >= 0 {
                #expect(error.offset == vector.offset)
            }
        }
    }

    @Test("valid edge inputs decode")
    func validEdges() throws {
        // Empty input is the empty message in proto3.
        #expect(try Frame(protobufBytes: []) == Frame())
        // A 10-byte varint whose last byte is 1 is UInt64.max.
        let seq = try V2.ChatMessage(protobufBytes: [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        #expect(seq.seq == .max)
        // A non-minimal (padded) varint is accepted, as protoc accepts it.
        #expect(try Frame(protobufBytes: [0x08, 0x81, 0x80, 0x00]).id == 1)
        // uint32 fields keep the low 32 bits of a wider varint, as protoc does.
        #expect(try Frame(protobufBytes: [0x08, 0x81, 0x80, 0x80, 0x80, 0x10]).id == 1)
        // Exactly maxDepth levels are fine; exactly maxMessageBytes is fine.
        let options = DecodingOptions(maxMessageBytes: 4, maxDepth: 2)
        #expect(
            try Frame(protobufBytes: [0x42, 0x02, 0x2A, 0x00], options: options).body
                == .message(V2.ChatMessage(content: .file(V2.FileRef())))
        )
        // Unknown length-delimited fields nested 10,000 deep are skipped without recursion.
        let deepUnknown = nestedChildren(10_000)
        #expect(try V2.Ok(protobufBytes: deepUnknown, options: DecodingOptions(maxFieldBytes: 1 << 20)) == V2.Ok())
    }

    @Test("the public API throws WireError")
    func publicErrorType() {
        let error = #expect(throws: WireError.self) { try V2.Hello(protobufBytes: [0x12, 0x01, 0xFF]) }
        #expect(error == WireError(.invalidUTF8, at: 1))
    }
}
