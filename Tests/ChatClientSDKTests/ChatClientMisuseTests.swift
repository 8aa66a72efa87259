import Testing

@testable import ChatClientSDK

@Suite("Client and session checks that need no server")
struct ChatClientMisuseTests {
    func makeClient(_ http: FakeHTTPTransport) -> ChatClient {
        var configuration = ChatClient.Configuration(baseURL: "http://127.0.0.1:1")
        configuration.maxUploadSize = 100
        return ChatClient(configuration: configuration, http: http, webSocket: UnreachableWebSocketTransport())
    }

    func failing() -> FakeHTTPTransport {
        FakeHTTPTransport { _ in
            HTTPResponseSpec(status: 500, headers: [], body: Array(#"{"msg":"server error"}"#.utf8))
        }
    }

    @Test("running a client twice, or using it after shutdown, is invalidState with advice")
    func runTwice() async throws {
        let client = self.makeClient(self.failing())
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            // The second run fails at once, whichever of the two got in first.
            let error = await #expect(throws: ChatError.self) {
                try await withThrowingTaskGroup(of: Void.self) { inner in
                    inner.addTask { try await client.run() }
                    try await inner.next()
                }
            }
            #expect(error?.code == .invalidState)
            client.beginGracefulShutdown()
            try await group.waitForAll()
        }
        let error = await #expect(throws: ChatError.self) { _ = try await client.signUp(name: "x") }
        #expect(error?.code == .invalidState)
        #expect(error?.message.contains("create a new ChatClient") == true)
    }

    @Test("server errors keep the server's code and status")
    func serverError() async throws {
        let http = FakeHTTPTransport { _ in
            HTTPResponseSpec(status: 401, headers: [], body: Array(#"{"msg":"token expired"}"#.utf8))
        }
        let client = self.makeClient(http)
        let session = ChatSession(
            client: client,
            match: ChatMatch(channelID: ChannelID(1), token: "t", userID: UserID(2))
        )
        let error = await #expect(throws: ChatError.self) { _ = try await session.members() }
        #expect(error?.code == .tokenExpired)
        #expect(error?.httpStatus == 401)
    }

    @Test("sizes are checked before anything is sent: files and texts")
    func sizeChecks() async throws {
        let http = self.failing()
        let client = self.makeClient(http)
        let session = ChatSession(
            client: client,
            match: ChatMatch(channelID: ChannelID(1), token: "t", userID: UserID(2))
        )
        let upload = await #expect(throws: ChatError.self) {
            try await session.sendFile([UInt8](repeating: 0, count: 101), named: "a.png")
        }
        #expect(upload?.code == .uploadTooLarge)
        let text = await #expect(throws: ChatError.self) {
            try await session.send(text: String(repeating: "x", count: 5000))
        }
        #expect(text?.code == .messageTooLarge)
        let empty = await #expect(throws: ChatError.self) { try await session.send(text: "") }
        #expect(empty?.code == .invalidParameter)
        #expect(http.requests.isEmpty, "no request was made")
    }

    @Test("a failed upload PUT sends no file message")
    func failedPut() async throws {
        let http = FakeHTTPTransport { request in
            if request.method == "GET" {
                return HTTPResponseSpec(
                    status: 200,
                    headers: [],
                    body: Array(#"{"object_key":"1/abc.png","url":"http://storage/put"}"#.utf8)
                )
            }
            return HTTPResponseSpec(status: 403, headers: [], body: [])
        }
        let client = self.makeClient(http)
        let session = ChatSession(
            client: client,
            match: ChatMatch(channelID: ChannelID(1), token: "t", userID: UserID(2))
        )
        let error = await #expect(throws: ChatError.self) { try await session.sendFile([1, 2, 3], named: "a.png") }
        #expect(error?.code == .uploadFailed)
        #expect(http.requests.map(\.method) == ["GET", "PUT"])
    }

    @Test("cancellation surfaces as cancelled")
    func cancelled() async throws {
        let client = self.makeClient(self.failing())
        let task = Task { try await client.signUp(name: "x") }
        task.cancel()
        let error = await #expect(throws: ChatError.self) { _ = try await task.value }
        #expect(error?.code == .cancelled)
    }
}
