import Foundation
import Logging
import Synchronization
import Testing

@testable import ChatClientSDK

/// A websocket transport that plays the server's side of v2 chat connections in memory: `hello` on connect, then
/// `react` answers each client frame. It records every client frame with the time it was written.
final class ScriptedV2Transport: WebSocketTransport {
    typealias React = @Sendable (V2.ChatClientFrame) -> [V2.ChatServerFrame]

    let hello: V2.Hello
    let react: React
    private let written = Mutex<[(at: ContinuousClock.Instant, frame: V2.ChatClientFrame)]>([])

    init(hello: V2.Hello, react: @escaping React) {
        self.hello = hello
        self.react = react
    }

    /// The client frames written so far, oldest first.
    var frames: [(at: ContinuousClock.Instant, frame: V2.ChatClientFrame)] { self.written.withLock { $0 } }

    /// One connection's inbound side.
    private final class Inbound: @unchecked Sendable {
        var iterator: AsyncStream<WebSocketMessage>.Iterator
        init(_ stream: AsyncStream<WebSocketMessage>) { self.iterator = stream.makeAsyncIterator() }
    }

    private static func text(_ frame: V2.ChatServerFrame) -> WebSocketMessage {
        .text(String(decoding: frame.jsonBytes(), as: UTF8.self))
    }

    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose {
        let (stream, input) = AsyncStream<WebSocketMessage>.makeStream()
        let inbound = Inbound(stream)
        input.yield(Self.text(V2.ChatServerFrame(body: .hello(self.hello))))
        let io = WebSocketIO(
            subprotocol: "rc.v2.json",
            receive: { await inbound.iterator.next() },
            send: { message in
                guard case .text(let text) = message else { return }
                let frame = try V2.ChatClientFrame(jsonBytes: Array(text.utf8))
                self.written.withLock { $0.append((.now, frame)) }
                for reply in self.react(frame) { input.yield(Self.text(reply)) }
            },
            close: { _, _ in input.finish() },
            abort: { input.finish() }
        )
        try await handler(io)
        input.finish()
        return WebSocketClose(code: 1000, reason: nil)
    }
}

/// The v2 session's alarm (``ChatSession/armAlarmV2()``): what waits on the clock — a typing indicator the server
/// never ends, a send refused with retry advice — happens when it is due, over a session driven by a scripted
/// server (no 100 ms polling is there to do it by accident).
@Suite("V2 session: the alarm", .timeLimit(.minutes(1)))
struct V2AlarmTests {
    static let me = UserID(1)
    static let peer = UserID(2)

    /// A v2 channel token (the session reads its claims unverified) and the match around it.
    static func match() -> ChatMatch {
        func segment(_ json: String) -> String {
            Data(json.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let claims = #"{"ChannelID":99,"exp":4102444800,"sub":"1"}"#
        let token = segment(#"{"alg":"HS256","typ":"JWT"}"#) + "." + segment(claims) + ".c2ln"
        return ChatMatch(channelID: ChannelID(99), token: token, userID: Self.me, peerID: Self.peer)
    }

    static func hello(_ limits: V2.Limits) -> V2.Hello {
        V2.Hello(
            version: 2,
            server: "scripted",
            limits: limits,
            pingIntervalMs: 25_000,
            resumeWindowMs: 120_000,
            userID: Self.me,
            channelID: ChannelID(99),
            epoch: "e1"
        )
    }

    static func resumed(_ frame: V2.ChatClientFrame) -> V2.ChatServerFrame? {
        guard case .resume = frame.command else { return nil }
        return V2.ChatServerFrame(id: frame.id, body: .resumed(V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0)))
    }

    static func client(_ transport: ScriptedV2Transport) -> ChatClient {
        var configuration = ChatClient.Configuration(baseURL: "http://127.0.0.1:1")
        configuration.protocolPreference = [.v2JSON]
        let http = FakeHTTPTransport { request in throw ChatError(code: .connectionClosed, message: "\(request.url)") }
        return ChatClient(configuration: configuration, http: http, webSocket: transport)
    }

    /// Runs `body`, failing with `timeout` when it takes longer than `limit` (a missed alarm would wait forever).
    static func within(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw ChatError(code: .timeout, message: "nothing happened within \(limit)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    @Test("a typing indicator the server never ends ends locally typing_timeout_ms after it started")
    func typingExpiresLocally() async throws {
        let transport = ScriptedV2Transport(hello: Self.hello(V2.Limits(typingTimeoutMs: 300))) { frame in
            guard let resumed = Self.resumed(frame) else { return [] }
            return [resumed, V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: Self.peer, typing: true)))]
        }
        let client = Self.client(transport)
        try await Self.within(.seconds(5)) {
            try await client.withSession(Self.match()) { session in
                var started: ContinuousClock.Instant?
                for try await event in session.events {
                    if event == .typingStarted(Self.peer) { started = .now }
                    if event == .typingStopped(Self.peer) {
                        let elapsed = ContinuousClock.now - (try #require(started, "stopped before it started"))
                        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(3), "ended after \(elapsed)")
                        return
                    }
                }
                Issue.record("the events ended without typingStopped")
            }
        }
    }

    @Test("a send refused with retry advice is written again, with the same key, once the advice has passed")
    func sendRetriedAfterAdvice() async throws {
        let refusals = Mutex(0)
        let transport = ScriptedV2Transport(hello: Self.hello(V2.Limits())) { frame in
            if let resumed = Self.resumed(frame) { return [resumed] }
            guard case .send(let send) = frame.command else { return [] }
            let refuse = refusals.withLock { count in
                count += 1
                return count == 1
            }
            if refuse {
                let error = V2.Error(
                    code: V2.Error.Code(.rateLimited),
                    message: "slow down",
                    temporary: true,
                    retryAfterMs: 300
                )
                return [V2.ChatServerFrame(id: frame.id, body: .error(error))]
            }
            let ack = V2.Ack(clientMessageID: send.clientMessageID, seq: 1, time: 1, messageID: MessageID(7))
            return [V2.ChatServerFrame(id: frame.id, body: .ack(ack))]
        }
        let client = Self.client(transport)
        try await Self.within(.seconds(5)) {
            try await client.withSession(Self.match()) { session in
                let localID = try await session.send(text: "hello")
                for try await event in session.events {
                    guard case .sendAcknowledged(let acknowledged, seq: 1) = event else { continue }
                    #expect(acknowledged == localID)
                    break
                }
            }
        }
        let sends = transport.frames.compactMap { entry -> (ContinuousClock.Instant, String)? in
            guard case .send(let send) = entry.frame.command else { return nil }
            return (entry.at, send.clientMessageID)
        }
        #expect(sends.count == 2 && sends[0].1 == sends[1].1, "one refused send and its retry: \(sends.map(\.1))")
        if sends.count == 2 {
            let gap = sends[1].0 - sends[0].0
            #expect(gap >= .milliseconds(250) && gap < .seconds(3), "written again after \(gap)")
        }
    }
}
