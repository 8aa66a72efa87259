import Testing

@testable import ChatWebSocket

/// `HTTPAnswerHead`: the upgrade's answer read from bytes.
@Suite("ChatWebSocket: the upgrade answer's head")
struct HTTPAnswerHeadTests {
    static func head(_ text: String) -> HTTPAnswerHead? { HTTPAnswerHead(Array(text.utf8)) }

    @Test("status and headers: values without the spaces and tabs around them, colons inside kept, names as sent")
    func parses() throws {
        let head = try #require(
            Self.head(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade:websocket\r\nConnection:  Upgrade \t\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Time: 12:30:01\r\nX-Empty:\r\n"
                    + "Sec-WebSocket-Protocol:\trc.v2.proto"
            )
        )
        #expect(head.status == 101)
        #expect(
            head.headers.map(\.0) == [
                "Upgrade", "Connection", "Sec-WebSocket-Accept", "X-Time", "X-Empty", "Sec-WebSocket-Protocol",
            ]
        )
        #expect(head.value("upgrade") == "websocket")
        #expect(head.value("connection") == "Upgrade")
        #expect(head.value("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(head.value("x-time") == "12:30:01")
        #expect(head.value("x-empty") == "")
        #expect(head.value("SEC-WEBSOCKET-PROTOCOL") == "rc.v2.proto")
        #expect(head.value("missing") == nil)
        #expect(Self.head("HTTP/1.0 404 Not Found")?.status == 404)
        #expect(Self.head("HTTP/1.1 400")?.headers.isEmpty == true)
        #expect(Self.head("HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nretry-after: 2")?.value("Retry-After") == "1")
    }

    @Test("not an HTTP/1 status line, a status outside 100-599 or not three digits, a line without a colon: nil")
    func refuses() {
        for text in [
            "", "HTTP/2 101 Switching", "http/1.1 101 Switching", "HTTP/1.1", "HTTP/1.1 99 Low", "HTTP/1.1 600 High",
            "HTTP/1.1 1O1 Letter", "HTTP/1.1 +10 Sign", "HTTP/1.1 1010 Long", "HTTP/1.1 101 OK\r\nno colon here",
            "ICY 200 OK",
        ] {
            #expect(Self.head(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test("ASCII case is ignored in names, nothing else")
    func caseInsensitive() {
        #expect(HTTPAnswerHead.equalsIgnoringASCIICase("Sec-WebSocket-Key", "sec-websocket-key"))
        #expect(!HTTPAnswerHead.equalsIgnoringASCIICase("Upgrade", "Upgrades"))
        #expect(!HTTPAnswerHead.equalsIgnoringASCIICase("a-b", "a_b"))
        #expect(!HTTPAnswerHead.equalsIgnoringASCIICase("[", "{"), "0x5B and 0x7B differ by the case bit, not letters")
    }
}
