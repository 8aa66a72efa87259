import ChatProtocol
import Testing

private let v2Lenient: [JSONLenientVector] = [
    .init(
        "lowerCamelCase JSON names and bare 64-bit numbers",
        #"{"id":3,"ack":{"clientMsgId":"a1b2","seq":17,"time":-5,"messageId":1847563543227432961}}"#,
        V2.ChatServerFrame(
            id: 3,
            body: .ack(
                .init(clientMessageID: "a1b2", seq: 17, time: -5, messageID: MessageID(1_847_563_543_227_432_961))
            )
        )
    ),
    .init(
        "quoted uint32 and negative quoted int64",
        #"{"id":"7","token_refreshed":{"access_token":"t","expires_at":"-9223372036854775808"}}"#,
        V2.ChatServerFrame(id: 7, body: .tokenRefreshed(.init(accessToken: "t", expiresAt: .min)))
    ),
    .init(
        "enum by number, known and unknown",
        #"{"presence":{"kind":4,"user_id":"1"}}"#,
        V2.ChatServerFrame(body: .presence(.init(kind: .left, userID: UserID(1))))
    ),
    .init(
        "an enum name this version does not know leaves the default",
        #"{"error":{"code":"QUOTA_EXCEEDED","msg":"x"}}"#,
        V2.ChatServerFrame(body: .error(.init(message: "x")))
    ),
    .init(
        "null means default; a null oneof member is unset",
        #"{"id":null,"send":null,"ping":{}}"#,
        V2.ChatClientFrame(command: .ping(.init()))
    ),
    .init(
        "unknown keys (a newer peer's fields and oneof members) are skipped",
        #"{"id":2,"future_command":{"x":[1,{"y":"z"}]},"seen":{"up_to_seq":"9","extra":true}}"#,
        V2.ChatClientFrame(id: 2, command: .seen(.init(upToSeq: 9)))
    ),
    .init(
        "explicit default values decode like omitted ones",
        #"{"id":0,"resume":{"after_seq":"0","epoch":""}}"#,
        V2.ChatClientFrame(command: .resume(.init()))
    ),
    .init(
        "null messages in a history page",
        #"{"messages":null,"has_more":false}"#,
        V2.HistoryPage()
    ),
    .init(
        "match frame, whitespace and camelCase",
        " {\n \"id\" : 1 , \"confirm\" : { \"matchId\" : \"5\" } } ",
        V2.MatchClientFrame(id: 1, command: .confirm(.init(matchID: 5)))
    ),
]

private let v2Malformed: [JSONMalformedVector] = [
    .init(
        "two members of one oneof",
        #"{"ping":{},"pong":{}}"#,
        as: V2.ChatClientFrame.self,
        .invalidValue,
        at: 18
    ),
    .init(
        "uint32 id overflow",
        #"{"id":4294967296}"#,
        as: V2.ChatClientFrame.self,
        .invalidNumber,
        at: 6
    ),
    .init(
        "quoted uint32 id overflow",
        #"{"id":"4294967296"}"#,
        as: V2.ChatClientFrame.self,
        .invalidNumber,
        at: 6
    ),
    .init("id as a float", #"{"id":1.5}"#, as: V2.MatchClientFrame.self, .invalidNumber, at: 6),
    .init(
        "uint64 with a leading zero",
        #"{"seen":{"up_to_seq":"017"}}"#,
        as: V2.ChatClientFrame.self,
        .invalidNumber,
        at: 21
    ),
    .init(
        "uint64 overflow",
        #"{"seen":{"up_to_seq":18446744073709551616}}"#,
        as: V2.ChatClientFrame.self,
        .invalidNumber,
        at: 21
    ),
    .init(
        "int64 quoted with a leading zero",
        #"{"token_refreshed":{"expires_at":"-01"}}"#,
        as: V2.ChatServerFrame.self,
        .invalidNumber,
        at: 33
    ),
    .init(
        "enum as a float",
        #"{"error":{"code":1.5}}"#,
        as: V2.ChatServerFrame.self,
        .invalidNumber,
        at: 17
    ),
    .init(
        "enum as a bool",
        #"{"error":{"code":true}}"#,
        as: V2.ChatServerFrame.self,
        .invalidValue,
        at: 17
    ),
    .init(
        "text as a number",
        #"{"send":{"text":5}}"#,
        as: V2.ChatClientFrame.self,
        .invalidValue,
        at: 16
    ),
    .init(
        "command that is not an object",
        #"{"leave":true}"#,
        as: V2.ChatClientFrame.self,
        .invalidValue,
        at: 9
    ),
    .init(
        "history messages not an array",
        #"{"messages":{}}"#,
        as: V2.HistoryPage.self,
        .invalidValue,
        at: 12
    ),
    .init(
        "trailing data after an envelope",
        #"{"ping":{}} {"#,
        as: V2.MatchServerFrame.self,
        .trailingData,
        at: 12
    ),
]

@Suite("v2 JSON decoding")
struct V2JSONDecodingTests {
    @Test("proto3-JSON-lenient inputs decode to the expected value", arguments: v2Lenient)
    func decodes(_ vector: JSONLenientVector) throws {
        let (equal, decoded) = try vector.decode(Array(vector.input.utf8))
        #expect(equal, "decoded \(decoded)")
    }

    @Test("each malformation fails with its exact WireError code and offset", arguments: v2Malformed)
    func fails(_ vector: JSONMalformedVector) {
        let error = #expect(throws: WireError.self) { try vector.decode(vector.input) }
        #expect(error?.code == vector.code)
        #expect(error?.offset == vector.offset)
    }
}
