import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import ChatWebSocket

/// ``WebSocketConversationHandler`` on an embedded channel (frames in and out, virtual time): what reaches the
/// conversation, what it writes, and how the connection ends.
@Suite("ChatWebSocket: a conversation on the event loop", .timeLimit(.minutes(1)))
struct WebSocketConversationTests {
    /// A conversation that records its messages and runs the test's reactions.
    final class Script: ChatWebSocketConversation, @unchecked Sendable {
        var messages: [WebSocketFarewell.Message] = []
        var onOpen: (ChatWebSocketLink) -> Void = { _ in }
        var onMessage: (WebSocketFarewell.Message, ChatWebSocketLink) -> Void = { _, _ in }

        func opened(_ link: ChatWebSocketLink) { self.onOpen(link) }

        func received(_ message: WebSocketFarewell.Message, _ link: ChatWebSocketLink) {
            self.messages.append(message)
            self.onMessage(message, link)
        }
    }

    struct Connection {
        var channel: EmbeddedChannel
        var ended: EventLoopFuture<ChatWebSocketCloseFrame?>

        func written() throws -> WebSocketFrame? { try self.channel.readOutbound(as: WebSocketFrame.self) }

        func advance(_ duration: Duration) { self.channel.embeddedEventLoop.advanceTime(by: TimeAmount(duration)) }
    }

    static func open(
        _ script: Script,
        maxMessageSize: Int = 64,
        pingInterval: Duration? = nil,
        closeTimeout: Duration = .seconds(2)
    ) throws -> Connection {
        let handler = WebSocketConversationHandler(
            conversation: script,
            maxMessageSize: maxMessageSize,
            pingInterval: pingInterval.map(TimeAmount.init),
            closeTimeout: TimeAmount(closeTimeout)
        )
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let ended = channel.eventLoop.makePromise(of: ChatWebSocketCloseFrame?.self)
        handler.ended = ended
        handler.start()
        return Connection(channel: channel, ended: ended.futureResult)
    }

    static func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(string: text))
    }

    static func frame(_ opcode: WebSocketOpcode, bytes: [UInt8], fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))
    }

    static func close(_ code: UInt16, _ reason: String = "") -> WebSocketFrame {
        var data = ByteBuffer()
        data.writeInteger(code)
        data.writeString(reason)
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    /// The code of a close frame the handler wrote (its data is masked by the encoder, which is not in this pipeline).
    static func closeCode(_ frame: WebSocketFrame?) -> UInt16? {
        guard let frame, frame.opcode == .connectionClose else { return nil }
        return frame.data.getInteger(at: frame.data.readerIndex, as: UInt16.self)
    }

    @Test("messages reach the conversation whole (fragments joined); what it sends is written masked")
    func messagesAndReplies() throws {
        let script = Script()
        script.onOpen = { $0.send(.text("hello")) }
        script.onMessage = { message, link in
            if message == .text("ping me") { link.send(.binary([1, 2, 3])) }
        }
        let connection = try Self.open(script)
        let greeting = try #require(try connection.written())
        #expect(greeting.opcode == .text && greeting.fin && greeting.maskKey != nil)
        #expect(String(buffer: greeting.data) == "hello", "the encoder masks it")

        try connection.channel.writeInbound(Self.frame(.text, "ping ", fin: false))
        #expect(script.messages.isEmpty, "a fragment waits for the rest")
        try connection.channel.writeInbound(Self.frame(.continuation, "me"))
        try connection.channel.writeInbound(Self.frame(.binary, bytes: [9, 8]))
        #expect(script.messages == [.text("ping me"), .binary([9, 8])])
        let reply = try #require(try connection.written())
        #expect(reply.opcode == .binary && reply.maskKey != nil && Array(reply.data.readableBytesView) == [1, 2, 3])
        #expect(connection.channel.isActive)
    }

    @Test("a ping is answered with a pong carrying its data, masked")
    func pong() throws {
        let connection = try Self.open(Script())
        try connection.channel.writeInbound(Self.frame(.ping, "beat"))
        let pong = try #require(try connection.written())
        #expect(pong.opcode == .pong && pong.maskKey != nil && String(buffer: pong.data) == "beat")
    }

    @Test("pings that arrive while the channel is not writable get no pong; the next one once it is writable does")
    func noPongWhileNotWritable() throws {
        let connection = try Self.open(Script())
        connection.channel.isWritable = false
        for _ in 0..<1000 { try connection.channel.writeInbound(Self.frame(.ping, "flood")) }
        #expect(try connection.written() == nil, "nothing queued behind a server that does not read")
        connection.channel.isWritable = true
        try connection.channel.writeInbound(Self.frame(.ping, "later"))
        let pong = try #require(try connection.written())
        #expect(pong.opcode == .pong && String(buffer: pong.data) == "later")
        #expect(try connection.written() == nil)
    }

    @Test("the link tells the conversation whether the channel is writable, and not once the close started")
    func linkWritability() throws {
        let script = Script()
        var seen: [Bool] = []
        script.onMessage = { message, link in
            seen.append(link.isWritable)
            if message == .text("close") {
                link.close(code: 1000)
                seen.append(link.isWritable)
            }
        }
        let connection = try Self.open(script)
        try connection.channel.writeInbound(Self.frame(.text, "a"))
        connection.channel.isWritable = false
        try connection.channel.writeInbound(Self.frame(.text, "b"))
        connection.channel.isWritable = true
        try connection.channel.writeInbound(Self.frame(.text, "close"))
        #expect(seen == [true, false, true, false])
    }

    /// A frame and the close code it causes (0: none, it is delivered).
    static let badInputs: [(WebSocketFrame, UInt16)] = [
        (Self.frame(.text, String(repeating: "x", count: 65)), 1009),
        (Self.frame(.binary, bytes: [0xFF, 0xFE]), 0),  // binary is not checked for UTF-8
        (Self.frame(.text, bytes: [0xFF, 0xFE]), 1007),
        (Self.frame(.continuation, "stray"), 1002),
    ]

    @Test("bad input closes with its code and reaches the conversation no more", arguments: Self.badInputs)
    func badInput(frame: WebSocketFrame, code: UInt16) throws {
        let script = Script()
        let connection = try Self.open(script)
        try connection.channel.writeInbound(frame)
        guard code != 0 else {
            #expect(script.messages.count == 1)
            #expect(try connection.written() == nil)
            return
        }
        #expect(Self.closeCode(try connection.written()) == code)
        try connection.channel.writeInbound(Self.frame(.text, "after"))
        #expect(script.messages.isEmpty)
    }

    @Test("the server's close is answered; the connection ends when the server closes it, reporting its frame")
    func serverCloses() throws {
        let script = Script()
        let connection = try Self.open(script)
        try connection.channel.writeInbound(Self.close(4408, "match timeout"))
        let answer = try #require(try connection.written())
        #expect(Self.closeCode(answer) == 1000 && answer.maskKey != nil)
        #expect(connection.channel.isActive, "the server closes the TCP connection (RFC 6455 §7.1.1)")
        try connection.channel.writeInbound(Self.frame(.text, "late"))
        #expect(script.messages.isEmpty, "no message after the close")
        try connection.channel.close().wait()
        #expect(try connection.ended.wait() == ChatWebSocketCloseFrame(code: 4408, reason: "match timeout"))
    }

    @Test("our close: the close frame, then the server's; a server that never closes is dropped after the timeout")
    func clientCloses() throws {
        let script = Script()
        script.onMessage = { _, link in link.close(code: 1000) }
        let connection = try Self.open(script, closeTimeout: .seconds(2))
        try connection.channel.writeInbound(Self.frame(.text, "matched"))
        #expect(Self.closeCode(try connection.written()) == 1000)
        try connection.channel.writeInbound(Self.frame(.text, "ignored"))
        #expect(script.messages == [.text("matched")])
        try connection.channel.writeInbound(Self.close(1000))
        connection.advance(.milliseconds(1999))
        #expect(connection.channel.isActive)
        connection.advance(.milliseconds(1))
        #expect(!connection.channel.isActive)
        #expect(try connection.ended.wait() == ChatWebSocketCloseFrame(code: 1000, reason: nil))
    }

    @Test("close without waiting: the conversation ends at once; the handshake still completes, or times out")
    func closeWithoutWaiting() throws {
        let script = Script()
        script.onMessage = { _, link in link.closeWithoutWaiting(code: 1000) }
        let connection = try Self.open(script, closeTimeout: .seconds(2))
        final class Moment: @unchecked Sendable { var messages: Int? }  // only touched on the embedded loop
        let endedAt = Moment()
        connection.ended.whenSuccess { _ in endedAt.messages = script.messages.count }
        try connection.channel.writeInbound(Self.frame(.text, "matched"))
        #expect(endedAt.messages == 1, "ended with the message, before any close from the server")
        #expect(try connection.ended.wait() == nil, "no close frame was waited for")
        #expect(Self.closeCode(try connection.written()) == 1000)
        try connection.channel.writeInbound(Self.frame(.text, "ignored"))
        #expect(script.messages == [.text("matched")])
        #expect(connection.channel.isActive, "the close handshake carries on")
        connection.advance(.seconds(2))
        #expect(!connection.channel.isActive, "a server that never closes is dropped after the close timeout")
    }

    @Test("silence: nothing inbound for the timeout drops the link; each message moves the deadline")
    func silence() throws {
        let script = Script()
        script.onOpen = { $0.setSilenceTimeout(.seconds(10)) }
        let connection = try Self.open(script)
        connection.advance(.seconds(9))
        try connection.channel.writeInbound(Self.frame(.text, "still here"))
        connection.advance(.seconds(9))
        #expect(connection.channel.isActive, "9 s since the last message")
        connection.advance(.seconds(1))
        #expect(!connection.channel.isActive)
        #expect(try connection.written() == nil, "dropped without a close frame")
        #expect(try connection.ended.wait() == nil)
    }

    @Test("silence: a longer timeout takes effect though the check armed for the old one stays; a shorter at once")
    func silenceChanged() throws {
        for (newTimeout, dropsAt) in [(Duration.seconds(20), Duration.seconds(21)), (.seconds(3), .seconds(4))] {
            let script = Script()
            script.onOpen = { $0.setSilenceTimeout(.seconds(10)) }
            script.onMessage = { _, link in link.setSilenceTimeout(newTimeout) }
            let connection = try Self.open(script)
            connection.advance(.seconds(1))
            try connection.channel.writeInbound(Self.frame(.text, "hello"))
            connection.advance(dropsAt - .seconds(1) - .milliseconds(1))
            #expect(connection.channel.isActive, "\(newTimeout): not before 1 s + the new timeout")
            connection.advance(.milliseconds(1))
            #expect(!connection.channel.isActive, "\(newTimeout): dropped 1 s + the new timeout after the opening")
        }
    }

    @Test("pings every interval; one still unanswered at the next drops the link")
    func pings() throws {
        let connection = try Self.open(Script(), pingInterval: .seconds(5))
        connection.advance(.seconds(5))
        #expect(try connection.written()?.opcode == .ping)
        try connection.channel.writeInbound(Self.frame(.pong, ""))
        connection.advance(.seconds(5))
        #expect(try connection.written()?.opcode == .ping)
        #expect(connection.channel.isActive)
        connection.advance(.seconds(5))
        #expect(!connection.channel.isActive, "the second ping went unanswered")
    }

    @Test("the first ping comes after half to all of an interval, at a random point: links opened together spread out")
    func firstPingSpread() throws {
        var firsts: Set<Int> = []
        for _ in 0..<20 {
            let connection = try Self.open(Script(), pingInterval: .seconds(5))
            var elapsed = 0
            while try connection.written() == nil, elapsed < 6_000 {
                connection.advance(.milliseconds(100))
                elapsed += 100
            }
            #expect((2_500...5_000).contains(elapsed))
            firsts.insert(elapsed)
        }
        #expect(firsts.count > 1, "20 links opened at once pinged at the same moment")
        // A zero or negative interval pings at once instead of trapping on an empty random range.
        for interval in [Duration.zero, .seconds(-1)] {
            let connection = try Self.open(Script(), pingInterval: interval)
            connection.advance(.milliseconds(1))
            #expect(try connection.written()?.opcode == .ping)
        }
    }

    /// On the main actor: the embedded channel is used from the thread it was made on, across the awaits.
    @Test("a remote send with the send buffer full waits for its write; once the close started it fails, not hangs")
    @MainActor
    func remoteSendWhenNotWritable() async throws {
        let script = Script()
        var remote: ChatWebSocketRemote?
        script.onOpen = { remote = $0.remote }
        let connection = try Self.open(script)
        connection.channel.isWritable = false
        try await remote?.send(.text("waits for its write"))
        #expect(try connection.written().map { String(buffer: $0.data) } == "waits for its write")
        remote?.close(code: 1000)
        #expect(Self.closeCode(try connection.written()) == 1000)
        await #expect(throws: ChannelError.self) { try await remote?.send(.text("after the close frame")) }
        #expect(try connection.written() == nil)
    }
}
