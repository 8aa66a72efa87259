import ChatProtocol
import ChatWebSocket
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Testing
import WSCore

@testable import ChatReferenceServer

/// What conformance cannot see: v2 state that must survive a restart of the server on the same data directory.
@Suite("Protocol v2 across restarts", .serialized, .timeLimit(.minutes(1)))
struct V2PersistenceTests {
    struct Saved: Sendable {
        var token: String
        var epoch: String
        var ack: V2.Ack
    }

    @Test("seq, epoch and client_msg_id de-duplication survive a restart")
    func seqAndDedupeSurviveRestart() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let saved = try await TestServer.with(dataDirectory: directory) { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (channel, _) = try await server.makeChannel([alice.id, bob.id])
            let token = server.state.tokens.issueV2(for: channel, user: alice.id).token
            return try await server.withV2Chat(token: token, encoding: .protobuf) { socket in
                let hello = try await socket.hello()
                #expect(hello.lastSeq == 0)
                _ = try await socket.send(key: "k1", "one")
                let second = try await socket.send(key: "k2", "two")
                #expect(second.seq == 2)
                return Saved(token: token, epoch: hello.epoch, ack: second)
            }
        }
        try await TestServer.with(dataDirectory: directory) { server in
            try await server.withV2Chat(token: saved.token, encoding: .json) { socket in
                let hello = try await socket.hello()
                #expect(hello.lastSeq == 2)
                #expect(hello.epoch == saved.epoch)
                let resend = try await socket.send(key: "k2", "two, resent after the restart")
                #expect(resend == saved.ack)
                let third = try await socket.send(key: "k3", "three")
                #expect(third.seq == 3)
                let resumed = try await socket.command(.resume(V2.ResumeCommand(afterSeq: 1, epoch: saved.epoch)))
                guard case .resumed(let body) = resumed.body else { throw TestFailure("no resumed: \(resumed)") }
                #expect(body.resumed && body.lastSeq == 3)
                let replay = try await socket.messages(count: 2)
                #expect(replay.map(\.seq) == [2, 3])
                #expect(replay.first?.clientMessageID == "k2")
            }
        }
    }

    @Test("Storage: seq is dense, client_msg_id de-duplicates per author, and both survive reopening the database")
    func storageSeqAndDedupe() async throws {
        try await Self.withStorage { storage, path, channel in
            let message = StoredMessage(
                messageID: MessageID(7),
                seq: 0,
                event: .text,
                userID: UserID(1),
                payload: "hi",
                seen: false,
                time: 1,
                clientMessageID: "a"
            )
            guard case .stored(let stored) = try storage.appendMessage(message, channel: channel, cap: 10) else {
                throw TestFailure("not stored")
            }
            #expect(stored.seq == 1)
            var again = message
            again.messageID = MessageID(8)
            #expect(try storage.appendMessage(again, channel: channel, cap: 10) == .duplicate(stored))
            // Another author may use the same key (de-duplication is per author).
            again.userID = UserID(2)
            guard case .stored(let other) = try storage.appendMessage(again, channel: channel, cap: 10) else {
                throw TestFailure("another author's key was treated as a duplicate")
            }
            #expect(other.seq == 2)
            let reopened = try SQLiteStorage(path: path)
            let position = try await reopened.position(of: channel)
            #expect(position.lastSeq == 2 && !position.epoch.isEmpty && position.state == .active)
        }
    }

    @Test(
        "Storage: the writer leaves WAL checkpoints to checkpoint() (the WAL grows past SQLite's default 1,000 pages), which writes it all back"
    )
    func checkpointsOffTheWriter() async throws {
        try await Self.withStorage { storage, _, channel in
            for index in 0..<800 {
                let message = StoredMessage(
                    messageID: MessageID(UInt64(index + 1)),
                    seq: 0,
                    event: .text,
                    userID: UserID(1),
                    payload: String(repeating: "x", count: 3000),
                    seen: false,
                    time: 1,
                    clientMessageID: nil
                )
                _ = try storage.appendMessage(message, channel: channel, cap: 10_000)
                // One transaction per message, as the server's flusher does under a slow trickle.
                #expect(try await storage.flushAppends() == 1)
            }
            let first = try #require(try await storage.checkpoint())
            #expect(first.walFrames > 1000, "the writer checkpointed on its own")
            #expect(first.checkpointed == first.walFrames)
            // Nothing written since: the next one does not touch the database.
            #expect(try await storage.checkpoint() == nil)
            #expect(try await storage.position(of: channel).lastSeq == 800)
        }
    }

    /// A new database in a temporary folder (removed afterwards) with channel 42 of users 1 and 2.
    static func withStorage(
        _ body: (_ storage: SQLiteStorage, _ path: String, _ channel: ChannelID) async throws -> Void
    ) async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("chat.sqlite").path
        let storage = try SQLiteStorage(path: path)
        let channel = ChannelID(42)
        try await storage.createChannel(channel, members: [UserID(1), UserID(2)], now: Date())
        try await body(storage, path, channel)
    }
}

// MARK: A v2 JSON/protobuf test socket

/// A v2 chat socket for tests: frames decoded with ChatProtocol's codecs.
final class V2TestSocket: Sendable {
    let outbound: WebSocketOutboundWriter
    let encoding: FrameEncoding
    private let frames: Mutex<[V2.ChatServerFrame]> = Mutex([])
    private let ended = Mutex(false)
    private let nextID = Mutex<UInt32>(0)

    init(outbound: WebSocketOutboundWriter, encoding: FrameEncoding) {
        self.outbound = outbound
        self.encoding = encoding
    }

    func received(_ frame: V2.ChatServerFrame) { self.frames.withLock { $0.append(frame) } }
    func finish() { self.ended.withLock { $0 = true } }

    /// The next frame that is not a server ping; fails after 5 s or when the socket ended.
    func next() async throws -> V2.ChatServerFrame {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let frame: V2.ChatServerFrame? = self.frames.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let frame {
                if case .ping = frame.body { continue }
                return frame
            }
            if self.ended.withLock({ $0 }) { throw TestFailure("socket ended") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("no frame within 5 s")
    }

    func hello() async throws -> V2.Hello {
        let first = try await self.next()
        guard case .hello(let hello) = first.body else { throw TestFailure("first frame is not hello: \(first)") }
        return hello
    }

    /// Sends a command with a fresh id and returns its reply (skipping pushes).
    func command(_ command: V2.ChatClientFrame.Command) async throws -> V2.ChatServerFrame {
        let id = self.nextID.withLock { id in
            id += 1
            return id
        }
        let frame = V2.ChatClientFrame(id: id, command: command)
        switch self.encoding {
        case .json: try await self.outbound.write(.text(String(decoding: frame.jsonBytes(), as: UTF8.self)))
        case .protobuf: try await self.outbound.write(.binary(ByteBuffer(bytes: frame.protobufBytes())))
        }
        while true {
            let reply = try await self.next()
            if reply.id == id { return reply }
        }
    }

    func send(key: String, _ text: String) async throws -> V2.Ack {
        let reply = try await self.command(.send(V2.SendCommand(clientMessageID: key, content: .text(text))))
        guard case .ack(let ack) = reply.body else { throw TestFailure("no ack: \(reply)") }
        return ack
    }

    func messages(count: Int) async throws -> [V2.ChatMessage] {
        var messages: [V2.ChatMessage] = []
        while messages.count < count {
            if case .message(let message) = try await self.next().body { messages.append(message) }
        }
        return messages
    }
}

extension TestServer {
    /// Opens a v2 chat socket with `token` in the `Authorization` header and runs `body` with it.
    func withV2Chat<T: Sendable>(
        token: String,
        encoding: FrameEncoding,
        _ body: @escaping @Sendable (V2TestSocket) async throws -> T
    ) async throws -> T {
        var options = ChatWebSocketOptions()
        options.maxFrameSize = 1 << 20
        options.subprotocols = [encoding == .protobuf ? WebSocketSubprotocol.v2Protobuf : WebSocketSubprotocol.v2JSON]
        options.headers = [("Authorization", "Bearer \(token)")]
        let result = Mutex<T?>(nil)
        _ = try await ChatWebSocketClient.connect(
            url: "ws://127.0.0.1:\(self.port)/api/chat",
            options: options,
            logger: Logger(label: "ws", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { inbound, outbound, _ in
            let socket = V2TestSocket(outbound: outbound, encoding: encoding)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { socket.finish() }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        switch message {
                        case .text(let text): socket.received(try V2.ChatServerFrame(jsonBytes: Array(text.utf8)))
                        case .binary(let buffer):
                            socket.received(try V2.ChatServerFrame(protobufBytes: Array(buffer: buffer)))
                        }
                    }
                }
                let value = try await body(socket)
                result.withLock { $0 = value }
                try await outbound.close(.normalClosure, reason: nil)
                group.cancelAll()
            }
        }
        return try #require(result.withLock { $0 })
    }
}
