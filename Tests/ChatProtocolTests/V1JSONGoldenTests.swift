import ChatProtocol
import Foundation
import Testing

private let jwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJDaGFubmVsSUQiOjE4NDc1NjM1NDMyMjc0MzI5NjEsImV4cCI6MTcwMDA4NjQwMH0"
    + ".Q8fKNSQwqBRaO5STmK18fsZC3D5GIrdoWO2em2TT9go"
private let alice = UserID(1_847_563_419_017_314_305)
private let bob = UserID(1_847_563_419_017_314_306)
private let channel = ChannelID(1_847_563_543_227_432_961)
private let objectKey = "1847563543227432961/5f0c3b1e-8d2a-4c1e-9b7a-2f6d1e0c9a8b.png"
private let filePayload = #"{"file_name":"cat.png","object_key":"\#(objectKey)"}"#
private let bucketURL = "http://localhost:9000/myfilebucket/"

private let v1Vectors: [JSONGoldenVector] = [
    .init(
        "message_text",
        V1.Message(
            messageID: MessageID(1_847_563_543_227_432_961),
            event: .text,
            userID: alice,
            payload: "hello",
            seen: false,
            time: 1_700_000_000_123
        )
    ),
    .init(
        "message_seen",
        V1.Message(
            messageID: MessageID(1_847_563_551_230_816_257),
            event: .seen,
            userID: alice,
            payload: "1847563543227432961",
            seen: true,
            time: 1_700_000_000_456
        )
    ),
    .init(
        "message_action_waiting",
        V1.Message(
            messageID: MessageID(1_847_563_530_292_266_497),
            event: .action,
            userID: alice,
            payload: V1.Action.waiting.rawValue,
            seen: false,
            time: 1_699_999_999_001
        )
    ),
    .init(
        "message_file",
        V1.Message(
            messageID: MessageID(1_847_563_543_227_432_962),
            event: .file,
            userID: alice,
            payload: filePayload,
            seen: false,
            time: 1_700_000_000_789
        )
    ),
    .init(
        "message_phantom_zero",
        V1.Message(messageID: MessageID(0), event: .text, userID: UserID(0), payload: "", seen: false, time: 0)
    ),
    .init(
        "message_extremes",
        V1.Message(
            messageID: MessageID(.max),
            event: V1.Event(rawValue: .min),
            userID: UserID(.max),
            payload: " ",
            seen: true,
            time: .min
        )
    ),
    .init(
        "message_unknown_event_negative_time",
        V1.Message(
            messageID: MessageID(1),
            event: V1.Event(rawValue: 7),
            userID: UserID(2),
            payload: "x",
            seen: false,
            time: -1
        )
    ),
    .init(
        "message_html",
        V1.Message(
            messageID: MessageID(1_847_563_543_227_432_961),
            event: .text,
            userID: alice,
            payload: #"<script>alert("x&y")</script>"#,
            seen: false,
            time: 1_700_000_000_123
        )
    ),
    .init(
        "message_unicode",
        V1.Message(
            messageID: MessageID(1_847_563_543_227_432_961),
            event: .text,
            userID: alice,
            payload:
                "h\u{E9}llo \u{4E16}\u{754C} \u{1F431} \u{2028} \u{2029} tab\t nl\n cr\r bs\u{8} ff\u{C} nul\u{0} esc\u{1B} del\u{7F} slash\\ solidus/",
            seen: false,
            time: 1_700_000_000_123
        )
    ),
    .init("inbound_text", V1.InboundFrame(event: .text, userID: alice, payload: "hello")),
    .init("inbound_seen", V1.InboundFrame(event: .seen, userID: alice, payload: "1847563543227432961")),
    .init("inbound_typing", V1.InboundFrame(event: .action, userID: alice, payload: V1.Action.isTyping.rawValue)),
    .init("inbound_file", V1.InboundFrame(event: .file, userID: alice, payload: filePayload)),
    .init(
        "inbound_echo",
        V1.InboundFrame(
            event: .text,
            userID: alice,
            payload: "hello",
            messageID: MessageID(1_847_563_543_227_432_961),
            seen: false,
            time: 1_700_000_000_123
        )
    ),
    .init("match_result", V1.MatchResult(accessToken: jwt)),
    .init("match_result_peer", V1.MatchResult(accessToken: jwt, peerID: bob)),
    .init("file_payload", V1.FilePayload(fileName: "cat.png", objectKey: objectKey)),
    .init(
        "file_payload_legacy",
        V1.FilePayload(
            fileName: "cats & dogs.pdf",
            fileURL: bucketURL + "1847563543227432961/0b7c9e8a-3d1f-4a2b-8c6e-5f4d3c2b1a09.pdf"
        )
    ),
    .init(
        "history_page",
        V1.HistoryPage(
            nextPageState: "",
            messages: [
                V1.Message(
                    messageID: MessageID(1_847_563_551_230_816_257),
                    event: .text,
                    userID: bob,
                    payload: "hi!",
                    seen: false,
                    time: 1_700_000_000_500
                ),
                V1.Message(
                    messageID: MessageID(1_847_563_543_227_432_961),
                    event: .text,
                    userID: alice,
                    payload: "hello",
                    seen: true,
                    time: 1_700_000_000_123
                ),
            ]
        )
    ),
    .init("history_page_empty", V1.HistoryPage(nextPageState: "", messages: [])),
    .init(
        "history_page_next",
        V1.HistoryPage(
            nextPageState: "AAQAAAAICB5IdGhpcyBpcyBvcGFxdWXwf___-A==",
            messages: [
                V1.Message(messageID: MessageID(0), event: .text, userID: UserID(0), payload: "", seen: true, time: 0)
            ]
        )
    ),
    .init("create_user_request", V1.CreateUserRequest(name: "alice")),
    .init("create_user_request_unicode", V1.CreateUserRequest(name: "Zo\u{EB} \u{1F600} <3")),
    .init("user", V1.User(id: alice, name: "alice")),
    .init(
        "user_google",
        V1.User(
            id: UserID(.max),
            name: "Alice Example",
            picture: "https://lh3.googleusercontent.com/a/ACg8ocK=s96-c?x=1&y=2"
        )
    ),
    .init("user_ids", V1.UserIDList(userIDs: [alice, bob])),
    .init("user_ids_empty", V1.UserIDList(userIDs: [])),
    .init("user_ids_placeholder", V1.UserIDList(userIDs: [UserID(0), alice])),
    .init(
        "presigned_upload",
        V1.PresignedUpload(
            objectKey: objectKey,
            url: bucketURL + objectKey
                + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
        )
    ),
    .init(
        "presigned_download",
        V1.PresignedDownload(url: bucketURL + objectKey + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900")
    ),
    .init(
        "uploaded_files",
        V1.UploadedFiles(files: [
            .init(name: "a.png", url: bucketURL + "1847563543227432961/0b7c9e8a-3d1f-4a2b-8c6e-5f4d3c2b1a09.png"),
            .init(name: "", url: ""),
        ])
    ),
    .init("uploaded_files_null", V1.UploadedFiles(files: nil)),
    .init("uploaded_files_empty", V1.UploadedFiles(files: [])),
    .init("error_invalid_parameter", V1.ErrorBody(msg: "invalid parameter")),
    .init(
        "error_with_v2_fields",
        V1.ErrorBody(msg: "too many uploads", code: "rate_limited", temporary: true, retryAfterMs: 1500)
    ),
    .init("error_code_only", V1.ErrorBody(msg: "server error", code: "server_error", temporary: false)),
    .init("error_empty", V1.ErrorBody(msg: "")),
    .init("claims_v1", ChannelTokenClaims(channelID: channel, expiresAt: 1_700_086_400)),
    .init("claims_v1_no_exp", ChannelTokenClaims(channelID: ChannelID(.max), expiresAt: nil)),
    .init(
        "claims_v2",
        ChannelTokenClaims(
            channelID: channel,
            expiresAt: 1_700_086_400,
            issuedAt: 1_700_000_000,
            subject: alice,
            tokenID: "4f1c2b3a9e8d7c6b"
        )
    ),
]

/// The golden vectors of both versions run through the same encode and decode checks.
@Suite("JSON golden fixtures (v1 and v2)")
struct V1JSONGoldenTests {
    @Test("value encodes to the fixture's exact bytes", arguments: v1Vectors + v2Vectors)
    func encodesToFixture(_ vector: JSONGoldenVector) throws {
        let expected = try jsonFixture(vector.fixture, version: vector.version)
        let actual = vector.encode()
        #expect(
            actual == expected,
            "\(String(decoding: actual, as: UTF8.self))\n!=\n\(String(decoding: expected, as: UTF8.self))"
        )
    }

    @Test("fixture decodes to the value", arguments: v1Vectors + v2Vectors)
    func decodesFromFixture(_ vector: JSONGoldenVector) throws {
        let bytes = try jsonFixture(vector.fixture, version: vector.version)
        let (equal, decoded) = try vector.decode(bytes)
        #expect(equal, "decoded \(decoded)")
    }

    @Test("every v1 and v2 fixture on disk has a vector")
    func everyFixtureIsCovered() throws {
        for (version, vectors) in [("v1", v1Vectors), ("v2", v2Vectors)] {
            let url = try #require(Bundle.module.url(forResource: "Fixtures/json/\(version)", withExtension: nil))
            let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
                .filter { $0.hasSuffix(".json") }
                .map { String($0.dropLast(5)) }
            #expect(Set(names) == Set(vectors.map(\.fixture)), "\(version)")
        }
    }

    @Test("fixtures have no trailing newline")
    func noTrailingNewline() throws {
        for vector in v1Vectors {
            let bytes = try jsonFixture(vector.fixture)
            #expect(bytes.last == UInt8(ascii: "}"), "\(vector.fixture)")
        }
    }

    @Test("the match fixture's token yields the v1 claims fixture without verification")
    func unverifiedClaims() throws {
        let claims = try ChannelTokenClaims(unverifiedJWT: jwt)
        #expect(claims == ChannelTokenClaims(channelID: channel, expiresAt: 1_700_086_400))
        #expect(claims.jsonBytes() == (try jsonFixture("claims_v1")))
    }

    @Test("a file payload travels as the frame's payload string")
    func filePayloadString() throws {
        let payload = V1.FilePayload(fileName: "cat.png", objectKey: objectKey)
        #expect(payload.payloadString() == filePayload)
        #expect(try V1.FilePayload(payloadString: filePayload) == payload)
        let frame = try V1.InboundFrame(jsonBytes: try jsonFixture("inbound_file"))
        #expect(try V1.FilePayload(payloadString: frame.payload) == payload)
    }
}
