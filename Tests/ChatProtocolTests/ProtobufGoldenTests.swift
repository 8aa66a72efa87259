import ChatProtocol
import Testing

@Suite("Protobuf golden vectors (protoc --encode)")
struct ProtobufGoldenTests {
    @Test("encode gives protoc's bytes, decode gives the value, size is the byte count", arguments: ProtobufVector.all)
    func golden(_ vector: ProtobufVector) throws {
        let bytes = try Fixtures.protobuf(vector.name)
        try Self.check(vector.value, bytes)
    }

    private static func check<M: ProtobufMessage>(_ value: M, _ bytes: [UInt8]) throws {
        #expect(value.encodedProtobufBytes() == bytes)
        #expect(value.protobufSize == bytes.count)
        let decoded = try M(decoding: bytes, options: DecodingOptions())
        #expect(decoded == value)
    }

    @Test("every manifest row has a vector, every vector has a row")
    func manifestCoverage() throws {
        let rows = Set(try Fixtures.protobufManifest().map(\.name))
        let vectors = Set(ProtobufVector.all.map(\.name))
        let unknownFieldInputs = Set(UnknownFieldVector.all.map(\.name))
        #expect(rows.subtracting(unknownFieldInputs) == vectors)
        #expect(unknownFieldInputs.isSubset(of: rows))
    }

    @Test("every v2 and upstream message type and every envelope case has a vector")
    func typeCoverage() throws {
        let types = Set(try Fixtures.protobufManifest().map(\.type))
        let schemaTypes: Set<String> = [
            "randomchat.v2.Error", "randomchat.v2.Limits", "randomchat.v2.Hello", "randomchat.v2.Ping",
            "randomchat.v2.Pong", "randomchat.v2.Ok", "randomchat.v2.FileRef", "randomchat.v2.ChatMessage",
            "randomchat.v2.PresenceEvent", "randomchat.v2.TypingEvent", "randomchat.v2.SeenEvent",
            "randomchat.v2.SendCommand", "randomchat.v2.ResumeCommand", "randomchat.v2.TypingCommand",
            "randomchat.v2.SeenCommand", "randomchat.v2.LeaveCommand", "randomchat.v2.RefreshTokenCommand",
            "randomchat.v2.Ack", "randomchat.v2.Resumed", "randomchat.v2.TokenRefreshed",
            "randomchat.v2.ChatClientFrame", "randomchat.v2.ChatServerFrame", "randomchat.v2.HistoryPage",
            "randomchat.v2.EnqueueCommand", "randomchat.v2.CancelCommand", "randomchat.v2.ConfirmCommand",
            "randomchat.v2.NextCommand", "randomchat.v2.Queued", "randomchat.v2.MatchProposed",
            "randomchat.v2.Matched", "randomchat.v2.MatchVoided", "randomchat.v2.MatchClientFrame",
            "randomchat.v2.MatchServerFrame", "chat.CreateChannelRequest", "chat.CreateChannelResponse",
            "chat.AddUserRequest", "chat.AddUserResponse", "forwarder.RegisterChannelSessionRequest",
            "forwarder.RegisterChannelSessionResponse", "forwarder.RemoveChannelSessionRequest",
            "forwarder.RemoveChannelSessionResponse", "user.User", "user.GetUserRequest", "user.GetUserResponse",
            "user.GetUserIdBySessionRequest", "user.GetUserIdBySessionResponse",
        ]
        #expect(schemaTypes.subtracting(types).isEmpty, "\(schemaTypes.subtracting(types))")

        var chatClient = Set<String>()
        var chatServer = Set<String>()
        var matchClient = Set<String>()
        var matchServer = Set<String>()
        for vector in ProtobufVector.all {
            switch vector.value {
            case let frame as V2.ChatClientFrame:
                chatClient.insert(frame.command.map { "\($0)".prefix { $0 != "(" } }.map(String.init) ?? "nil")
            case let frame as V2.ChatServerFrame:
                chatServer.insert(frame.body.map { "\($0)".prefix { $0 != "(" } }.map(String.init) ?? "nil")
            case let frame as V2.MatchClientFrame:
                matchClient.insert(frame.command.map { "\($0)".prefix { $0 != "(" } }.map(String.init) ?? "nil")
            case let frame as V2.MatchServerFrame:
                matchServer.insert(frame.body.map { "\($0)".prefix { $0 != "(" } }.map(String.init) ?? "nil")
            default: break
            }
        }
        #expect(chatClient.count == 8 + 1)
        #expect(chatServer.count == 12)
        #expect(matchClient.count == 6)
        #expect(matchServer.count == 9)
    }

    @Test("the public entry points agree with the codec")
    func publicEntryPoints() throws {
        let frame = V2.ChatServerFrame(id: 7, body: .message(Sample.messageText))
        let bytes = frame.protobufBytes()
        #expect(frame.protobufSize == bytes.count)
        #expect(try V2.ChatServerFrame(protobufBytes: bytes) == frame)

        var buffer: [UInt8] = [0xAA]
        buffer.reserveCapacity(1024)
        frame.protobufBytes(into: &buffer)
        #expect(buffer == [0xAA] + bytes)
        #expect(
            try Upstream.GetUserResponse(protobufBytes: Fixtures.protobuf("upstream_get_user_response")).user?.name
                == "alice"
        )
    }

    @Test("open enums keep unknown numbers and map known ones to ChatError codes")
    func openEnums() {
        #expect(V2.Error.Code(.rateLimited).rawValue == 10)
        #expect(V2.Error.Code(rawValue: 4).chatErrorCode == .tokenExpired)
        #expect(V2.Error.Code(rawValue: 99).chatErrorCode == nil)
        #expect(V2.Error.Code(rawValue: 99).description == "99")
        #expect(V2.Error.Code.unspecified.chatErrorCode == nil)
        for row in ChatError.Code.table {
            #expect(V2.Error.Code(row.code).chatErrorCode == row.code)
        }
        #expect(V2.PresenceEvent.Kind(rawValue: 7).description == "7")
    }
}

/// Bytes from a newer schema with fields this version does not know, and the value they must decode to.
struct UnknownFieldVector: Sendable, CustomTestStringConvertible {
    var name: String
    var expected: any ProtobufMessage
    var testDescription: String { self.name }

    static let all: [UnknownFieldVector] = [
        // FutureChatMessage: the known fields of chat_message_text, then new fields of every wire type
        // (varint, fixed64, string, fixed32, nested message, packed run, field number 2^29 − 1).
        .init(name: "unknown_chat_message_fields", expected: Sample.messageText),
        // FutureChatServerFrame: a body case (field 14) this version does not know → no body.
        .init(name: "unknown_server_frame_body", expected: V2.ChatServerFrame(id: 8)),
    ]
}

@Suite("Protobuf forward compatibility")
struct ProtobufUnknownFieldTests {
    @Test("unknown fields of every wire type are skipped", arguments: UnknownFieldVector.all)
    func unknownFieldsSkipped(_ vector: UnknownFieldVector) throws {
        let bytes = try Fixtures.protobuf(vector.name)
        try Self.check(vector.expected, bytes)
    }

    private static func check<M: ProtobufMessage>(_ expected: M, _ bytes: [UInt8]) throws {
        let decoded = try M(decoding: bytes, options: DecodingOptions())
        #expect(decoded == expected)
        // Unknown fields are dropped, so re-encoding gives only the known ones.
        #expect(decoded.encodedProtobufBytes().count < bytes.count)
    }

    @Test("packed and unpacked encodings of a repeated scalar both decode")
    func packedAndUnpacked() throws {
        // Field 16 (packed_u64) sent unpacked, field 20 (unpacked_u64) sent packed.
        let bytes: [UInt8] = [0x80, 0x01, 0x05, 0x80, 0x01, 0x06, 0xA2, 0x01, 0x02, 0x07, 0x08]
        let value = try TestScalars(decoding: bytes, options: DecodingOptions())
        #expect(value.packedU64 == [5, 6])
        #expect(value.unpackedU64 == [7, 8])
    }

    @Test("a singular message field seen twice is merged; a scalar seen twice keeps the last value")
    func mergeSemantics() throws {
        // Hello { version: 1, limits { max_frame_bytes: 5 }, version: 2, limits { max_text_bytes: 6 } }
        let bytes: [UInt8] = [0x08, 0x01, 0x1A, 0x02, 0x08, 0x05, 0x08, 0x02, 0x1A, 0x02, 0x10, 0x06]
        let hello = try V2.Hello(protobufBytes: bytes)
        #expect(hello.version == 2)
        #expect(hello.limits == V2.Limits(maxFrameBytes: 5, maxTextBytes: 6))
    }
}
