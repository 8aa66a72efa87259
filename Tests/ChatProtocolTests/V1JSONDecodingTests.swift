import ChatProtocol
import Testing

private let alice = UserID(1_847_563_419_017_314_305)
private let hello = V1.InboundFrame(event: .text, userID: alice, payload: "hello")

private let lenientVectors: [JSONLenientVector] = [
    .init("keys in any case", #"{"EVENT":0,"User_ID":"1847563419017314305","PayLoad":"hello"}"#, hello),
    .init("keys in any order", #"{"payload":"hello","user_id":"1847563419017314305","event":0}"#, hello),
    .init(
        "whitespace everywhere",
        " \t\r\n{ \"event\" : 0 ,\n\t\"user_id\" :\"1847563419017314305\", \"payload\":\"hello\" } \n",
        hello
    ),
    .init(
        "unknown keys of every kind are skipped",
        #"{"x":{"a":[1,2.5e-3,{"b":null}],"c":"\u00e9\n"},"event":0,"y":[],"z":true,"user_id":"1847563419017314305","w":-0.0,"payload":"hello","v":false}"#,
        hello
    ),
    .init(
        "escaped key names are decoded before matching",
        #"{"\u0065vent":0,"user\u005fid":"1847563419017314305","payload":"hello"}"#,
        hello
    ),
    .init(
        "the Kelvin sign and long s fold like Go's field matching",
        "{\"event\":0,\"user_id\":\"1847563419017314305\",\"payload\":\"hello\",\"\u{17F}een\":true}",
        V1.InboundFrame(event: .text, userID: alice, payload: "hello", seen: true)
    ),
    .init(
        "a repeated key: the last one wins",
        #"{"event":1,"event":0,"user_id":"1","user_id":"1847563419017314305","payload":"x","payload":"hello"}"#,
        hello
    ),
    .init(
        "null optional members are absent",
        #"{"event":0,"user_id":"1847563419017314305","payload":"hello","message_id":null,"seen":null,"time":null}"#,
        hello
    ),
    .init(
        "optional members are type-checked and kept",
        #"{"event":2,"user_id":"1847563419017314305","payload":"7","message_id":"9","seen":true,"time":-5}"#,
        V1.InboundFrame(event: .seen, userID: alice, payload: "7", messageID: MessageID(9), seen: true, time: -5)
    ),
    .init(
        "unknown event numbers decode (the server drops them)",
        #"{"event":-42,"user_id":"0","payload":""}"#,
        V1.InboundFrame(event: V1.Event(rawValue: -42), userID: UserID(0), payload: "")
    ),
    .init(
        "negative zero is an integer",
        #"{"event":-0,"user_id":"1847563419017314305","payload":"hello"}"#,
        hello
    ),
    .init(
        "escapes in ids are decoded, then held to the strict rule",
        #"{"event":0,"user_id":"\u0031847563419017314305","payload":"hello"}"#,
        hello
    ),
    .init(
        "surrogate pairs decode; a lone surrogate becomes U+FFFD as in Go",
        #"{"event":0,"user_id":"1847563419017314305","payload":"\ud83d\ude00 \ud800 \udc00x \ud800\u0041 \/"}"#,
        V1.InboundFrame(event: .text, userID: alice, payload: "\u{1F600} \u{FFFD} \u{FFFD}x \u{FFFD}A /")
    ),
    .init(
        "all short escapes",
        #"{"event":0,"user_id":"1","payload":"\"\\\/\b\f\n\r\t"}"#,
        V1.InboundFrame(event: .text, userID: UserID(1), payload: "\"\\/\u{8}\u{C}\n\r\t")
    ),
    .init(
        "a message from another producer: extra keys, different case",
        #"{"Message_ID":"18446744073709551615","Event":3,"User_ID":"0","Payload":"{}","Seen":true,"Time":9223372036854775807,"extra":{}}"#,
        V1.Message(messageID: MessageID(.max), event: .file, userID: UserID(0), payload: "{}", seen: true, time: .max)
    ),
    .init(
        "claims: ChannelID as a quoted decimal, any case, unknown claims skipped",
        #"{"channelid":"1847563543227432961","EXP":1700086400,"aud":["x"],"nbf":1}"#,
        ChannelTokenClaims(channelID: ChannelID(1_847_563_543_227_432_961), expiresAt: 1_700_086_400)
    ),
    .init(
        "claims: v2 cid alone names the channel",
        #"{"cid":"5","sub":"7","jti":"j","iat":1,"exp":2}"#,
        ChannelTokenClaims(channelID: ChannelID(5), expiresAt: 2, issuedAt: 1, subject: UserID(7), tokenID: "j")
    ),
    .init(
        "claims: null exp means no expiry",
        #"{"ChannelID":18446744073709551615,"exp":null}"#,
        ChannelTokenClaims(channelID: ChannelID(.max), expiresAt: nil)
    ),
    .init(
        "error body from the Go server has only msg",
        #"{"msg":"token expired"}"#,
        V1.ErrorBody(msg: "token expired")
    ),
    .init(
        "error body: null optional members and unknown keys",
        #"{"msg":"x","code":null,"temporary":null,"retry_after_ms":null,"detail":{"a":1}}"#,
        V1.ErrorBody(msg: "x")
    ),
    .init("user without picture", #"{"name":"bob","id":"2"}"#, V1.User(id: UserID(2), name: "bob")),
    .init(
        "file payload: null object_key is absent",
        #"{"file_name":"a","object_key":null,"file_url":"u"}"#,
        V1.FilePayload(fileName: "a", fileURL: "u")
    ),
    .init(
        "match result with nested unknown structure",
        #"{"channel_id":[[[[]]]],"access_token":"t"}"#,
        V1.MatchResult(accessToken: "t")
    ),
    .init(
        "match result: a peer_id that is not a quoted id counts as absent",
        #"{"peer_id":7,"access_token":"t","peer_id2":{"peer_id":"x"}}"#,
        V1.MatchResult(accessToken: "t")
    ),
    .init(
        "match result: a malformed quoted peer_id counts as absent",
        #"{"access_token":"t","peer_id":"12x"}"#,
        V1.MatchResult(accessToken: "t")
    ),
    .init(
        "match result: peer_id null",
        #"{"access_token":"t","peer_id":null}"#,
        V1.MatchResult(accessToken: "t")
    ),
]

@Suite("v1 JSON lenient decoding")
struct V1JSONLenientDecodingTests {
    @Test("Go-lenient inputs decode to the expected value", arguments: lenientVectors)
    func decodes(_ vector: JSONLenientVector) throws {
        let (equal, decoded) = try vector.decode(Array(vector.input.utf8))
        #expect(equal, "decoded \(decoded)")
    }
}

private let frame = V1.InboundFrame.self

private let malformedVectors: [JSONMalformedVector] = {
    var vectors: [JSONMalformedVector] = [
        // Ids.
        .init(
            "id with a leading zero",
            #"{"event":0,"user_id":"0012","payload":""}"#,
            as: frame,
            .invalidNumber,
            at: 21
        ),
        .init(
            "id of 2^64 overflows",
            #"{"event":0,"user_id":"18446744073709551616","payload":""}"#,
            as: frame,
            .invalidNumber,
            at: 21
        ),
        .init(
            "id as a bare number",
            #"{"event":0,"user_id":1847563419017314305,"payload":""}"#,
            as: frame,
            .invalidValue,
            at: 21
        ),
        .init("id with a sign", #"{"event":0,"user_id":"-1","payload":""}"#, as: frame, .invalidNumber, at: 21),
        .init("empty id", #"{"event":0,"user_id":"","payload":""}"#, as: frame, .invalidNumber, at: 21),
        .init("id with a space", #"{"event":0,"user_id":" 1","payload":""}"#, as: frame, .invalidNumber, at: 21),
        .init(
            "escaped id with a leading zero",
            #"{"event":0,"user_id":"\u00301","payload":""}"#,
            as: frame,
            .invalidNumber,
            at: 21
        ),
        .init(
            "message id overflow",
            #"{"message_id":"99999999999999999999","event":0,"user_id":"1","payload":"","seen":false,"time":0}"#,
            as: V1.Message.self,
            .invalidNumber,
            at: 14
        ),
        .init("user id list element bare", #"{"user_ids":["1",2]}"#, as: V1.UserIDList.self, .invalidValue, at: 17),
        // Event.
        .init("event as a string", #"{"event":"0","user_id":"1","payload":""}"#, as: frame, .invalidValue, at: 9),
        .init("event as a float", #"{"event":0.5,"user_id":"1","payload":""}"#, as: frame, .invalidNumber, at: 9),
        .init(
            "event as an integral float",
            #"{"event":1.0,"user_id":"1","payload":""}"#,
            as: frame,
            .invalidNumber,
            at: 9
        ),
        .init("event with an exponent", #"{"event":1e0,"user_id":"1","payload":""}"#, as: frame, .invalidNumber, at: 9),
        .init(
            "event with a leading zero",
            #"{"event":01,"user_id":"1","payload":""}"#,
            as: frame,
            .invalidNumber,
            at: 9
        ),
        .init(
            "event overflows Int64",
            #"{"event":9223372036854775808,"user_id":"1","payload":""}"#,
            as: frame,
            .invalidNumber,
            at: 9
        ),
        .init("event null", #"{"event":null,"user_id":"1","payload":""}"#, as: frame, .invalidValue, at: 9),
        .init(
            "time below Int64.min",
            #"{"event":0,"user_id":"1","payload":"","time":-9223372036854775809}"#,
            as: frame,
            .invalidNumber,
            at: 45
        ),
        .init(
            "time as a string",
            #"{"event":0,"user_id":"1","payload":"","time":"5"}"#,
            as: frame,
            .invalidValue,
            at: 45
        ),
        .init(
            "seen as a number",
            #"{"event":0,"user_id":"1","payload":"","seen":1}"#,
            as: frame,
            .invalidValue,
            at: 45
        ),
        .init(
            "message_id as a number",
            #"{"event":0,"user_id":"1","payload":"","message_id":5}"#,
            as: frame,
            .invalidValue,
            at: 51
        ),
        .init("payload as a number", #"{"event":0,"user_id":"1","payload":5}"#, as: frame, .invalidValue, at: 35),
        .init("minus without digits", #"{"event":-,"user_id":"1","payload":""}"#, as: frame, .invalidNumber, at: 9),
        .init("fraction without digits", #"{"event":1.,"user_id":"1","payload":""}"#, as: frame, .invalidNumber, at: 9),
        .init(
            "retry_after_ms beyond UInt32",
            #"{"msg":"","retry_after_ms":4294967296}"#,
            as: V1.ErrorBody.self,
            .invalidNumber,
            at: 27
        ),
        .init(
            "claims exp as a float",
            #"{"ChannelID":1,"exp":1.9e9}"#,
            as: ChannelTokenClaims.self,
            .invalidNumber,
            at: 21
        ),
        .init(
            "claims ChannelID negative",
            #"{"ChannelID":-1,"exp":1}"#,
            as: ChannelTokenClaims.self,
            .invalidNumber,
            at: 13
        ),
        .init(
            "claims ChannelID overflow",
            #"{"ChannelID":18446744073709551616}"#,
            as: ChannelTokenClaims.self,
            .invalidNumber,
            at: 13
        ),
        .init(
            "claims cid disagrees with ChannelID",
            #"{"ChannelID":1,"cid":"2"}"#,
            as: ChannelTokenClaims.self,
            .invalidValue,
            at: 24
        ),
        // Missing members.
        .init("missing user_id", #"{"event":0,"payload":""}"#, as: frame, .missingField, at: 23),
        .init("empty object", "{}", as: frame, .missingField, at: 1),
        .init("messages missing", #"{"next_ps":""}"#, as: V1.HistoryPage.self, .missingField, at: 13),
        .init("messages null", #"{"next_ps":"","messages":null}"#, as: V1.HistoryPage.self, .invalidValue, at: 25),
        .init("uploaded_files missing", "{}", as: V1.UploadedFiles.self, .missingField, at: 1),
        .init("claims without a channel", #"{"exp":1}"#, as: ChannelTokenClaims.self, .missingField, at: 8),
        // Structure.
        .init("not an object", "[]", as: frame, .invalidValue, at: 0),
        .init("a bare string", #""hello""#, as: frame, .invalidValue, at: 0),
        .init("empty input", "", as: frame, .truncated, at: 0),
        .init("only whitespace", "  \n", as: frame, .truncated, at: 3),
        .init("truncated document", #"{"event":0,"user_id":"1""#, as: frame, .truncated, at: 24),
        .init("truncated after a colon", #"{"event":"#, as: frame, .truncated, at: 9),
        .init("truncated number at the end", #"{"event":-"#, as: frame, .truncated, at: 10),
        .init("truncated literal", #"{"event":0,"user_id":"1","payload":"","seen":tr"#, as: frame, .truncated, at: 47),
        .init("unterminated string", #"{"event":0,"user_id":"1","payload":"hello"#, as: frame, .truncated, at: 41),
        .init("unterminated key", #"{"eve"#, as: frame, .truncated, at: 5),
        .init("bad escape", #"{"event":0,"user_id":"1","payload":"a\x"}"#, as: frame, .malformedJSON, at: 37),
        .init(
            "bad unicode escape",
            #"{"event":0,"user_id":"1","payload":"\u12G4"}"#,
            as: frame,
            .malformedJSON,
            at: 36
        ),
        .init("truncated unicode escape", #"{"event":0,"user_id":"1","payload":"\u12"#, as: frame, .truncated, at: 40),
        .init(
            "raw newline in a string",
            "{\"event\":0,\"user_id\":\"1\",\"payload\":\"a\nb\"}",
            as: frame,
            .malformedJSON,
            at: 37
        ),
        .init("raw tab in a skipped string", "{\"x\":\"\t\"}", as: frame, .malformedJSON, at: 6),
        .init("single quotes", "{'event':0}", as: frame, .malformedJSON, at: 1),
        .init("trailing comma in an object", #"{"event":0,}"#, as: frame, .malformedJSON, at: 11),
        .init("trailing comma in an array", #"{"user_ids":["1",]}"#, as: V1.UserIDList.self, .malformedJSON, at: 17),
        .init("leading comma in an object", #"{,"event":0}"#, as: frame, .malformedJSON, at: 1),
        .init("missing colon", #"{"event" 0}"#, as: frame, .malformedJSON, at: 9),
        .init("missing comma", #"{"event":0 "user_id":"1"}"#, as: frame, .malformedJSON, at: 11),
        .init(
            "misspelt literal",
            #"{"event":0,"user_id":"1","payload":"","seen":ture}"#,
            as: frame,
            .malformedJSON,
            at: 46
        ),
        .init("bare word", #"{"event":0,"x":nope}"#, as: frame, .malformedJSON, at: 16),
        .init("literal NaN", #"{"event":NaN}"#, as: frame, .malformedJSON, at: 9),
        .init("plus sign", #"{"event":+1}"#, as: frame, .malformedJSON, at: 9),
        .init("trailing garbage", #"{"event":0,"user_id":"1","payload":""}x"#, as: frame, .trailingData, at: 38),
        .init(
            "a second document",
            #"{"msg":"token expired"}{"msg":"server error"}"#,
            as: V1.ErrorBody.self,
            .trailingData,
            at: 23
        ),
        .init(
            "trailing garbage after whitespace",
            "{\"msg\":\"\"}  \n ]",
            as: V1.ErrorBody.self,
            .trailingData,
            at: 14
        ),
    ]
    // Invalid UTF-8.
    let prefix = Array(#"{"event":0,"user_id":"1","payload":""#.utf8)  // 36 bytes
    let suffix = Array(#""}"#.utf8)
    let utf8Cases: [(String, [UInt8], Int)] = [
        ("stray continuation byte", [0x61, 0x80], 37),
        ("overlong encoding of '/'", [0xC0, 0xAF], 36),
        ("overlong three-byte encoding", [0xE0, 0x80, 0xAF], 36),
        ("UTF-16 surrogate encoded in UTF-8", [0xED, 0xA0, 0x80], 36),
        ("beyond U+10FFFF", [0xF4, 0x90, 0x80, 0x80], 36),
        ("byte 0xFF", [0xFF], 36),
        ("truncated sequence before the quote", [0xE2, 0x82], 36),
    ]
    for (name, bytes, offset) in utf8Cases {
        vectors.append(.init("invalid UTF-8: \(name)", prefix + bytes + suffix, as: frame, .invalidUTF8, at: offset))
    }
    vectors.append(
        .init(
            "invalid UTF-8 in an unknown key's value",
            Array(#"{"x":""#.utf8) + [0xFE] + suffix,
            as: frame,
            .invalidUTF8,
            at: 6
        )
    )
    vectors.append(
        .init(
            "invalid UTF-8 in a key",
            [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x30, 0x7D],
            as: frame,
            .invalidUTF8,
            at: 2
        )
    )
    vectors.append(.init("invalid UTF-8 outside a string", [0x7B, 0xC3, 0xA9, 0x7D], as: frame, .malformedJSON, at: 1))
    // Depth.
    let bomb = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    vectors.append(.init("array depth bomb in an unknown key", #"{"x":"# + bomb + "}", as: frame, .depthLimit, at: 36))
    let objectBomb = String(repeating: #"{"a":"#, count: 10_000)
    vectors.append(
        .init("object depth bomb, unterminated", #"{"x":"# + objectBomb, as: frame, .depthLimit, at: 5 + 31 * 5)
    )
    vectors.append(
        .init("top-level depth bomb", String(repeating: "[", count: 10_000), as: frame, .invalidValue, at: 0)
    )
    return vectors
}()

@Suite("v1 JSON malformed input")
struct V1JSONMalformedInputTests {
    @Test("each malformation fails with its exact WireError code and offset", arguments: malformedVectors)
    func fails(_ vector: JSONMalformedVector) {
        let error = #expect(throws: WireError.self) { try vector.decode(vector.input) }
        #expect(error?.code == vector.code)
        #expect(error?.offset == vector.offset)
    }

    @Test("depth 32 is accepted; depth 33 is the limit")
    func depthBoundary() throws {
        // The frame object is depth 1, so an unknown value can nest 31 more levels.
        let ok =
            #"{"x":"# + String(repeating: "[", count: 31) + String(repeating: "]", count: 31)
            + #","event":0,"user_id":"1","payload":""}"#
        _ = try V1.InboundFrame(jsonBytes: Array(ok.utf8))
        let deep = #"{"x":"# + String(repeating: "[", count: 32) + String(repeating: "]", count: 32) + "}"
        let error = #expect(throws: WireError.self) { try V1.InboundFrame(jsonBytes: Array(deep.utf8)) }
        #expect(error?.code == .depthLimit)
        #expect(error?.offset == 5 + 31)
    }

    @Test("input over the size limit fails before it is read")
    func tooLarge() throws {
        let bytes = Array(#"{"event":0,"user_id":"1","payload":"hello"}"#.utf8)
        let options = JSONDecodingOptions(maxDepth: 32, maxInputSize: bytes.count - 1)
        let error = #expect(throws: WireError.self) { try V1.InboundFrame(jsonBytes: bytes, options: options) }
        #expect(error?.code == .messageTooLarge)
        #expect(error?.offset == bytes.count - 1)
        _ = try V1.InboundFrame(jsonBytes: bytes, options: JSONDecodingOptions(maxDepth: 32, maxInputSize: bytes.count))
    }

    @Test("unverified JWTs: wrong segment count and bad base64url are rejected with offsets")
    func badJWTs() {
        let cases: [(String, WireError.Code, Int)] = [
            ("abc", .malformedJSON, 3),
            ("a.b", .malformedJSON, 3),
            ("a.b.c.d", .malformedJSON, 5),
            ("a.eyJ=.c", .invalidValue, 5),
            ("a.e+J.c", .invalidValue, 3),
            ("a.e.c", .invalidValue, 3),  // one leftover character: impossible length
            ("a.e3.c", .invalidValue, 4),  // non-zero trailing bits
            ("a.e30.c", .trailingData, 2),  // "{}" → … valid JSON; see below
        ]
        for (token, code, offset) in cases.dropLast() {
            let error = #expect(throws: WireError.self, "\(token)") { try ChannelTokenClaims(unverifiedJWT: token) }
            #expect(error?.code == code, "\(token)")
            #expect(error?.offset == offset, "\(token)")
        }
        // "e30" is base64url for "{}": valid JSON, but no channel.
        let error = #expect(throws: WireError.self) { try ChannelTokenClaims(unverifiedJWT: "a.e30.c") }
        #expect(error?.code == .missingField)
    }
}
