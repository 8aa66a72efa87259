import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import ChatWebSocket

/// ``WebSocketFarewellHandler`` on an embedded channel: what a cancelled connection writes, and how long its close waits.
@Suite("ChatWebSocket: the farewell of a cancelled connection")
struct WebSocketFarewellTests {
    static func activeChannel() throws -> (EmbeddedChannel, WebSocketFarewellHandler) {
        let handler = WebSocketFarewellHandler()
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, handler)
    }

    static func text(_ text: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))
    }

    static func farewell(timeout: Duration) -> WebSocketFarewell {
        WebSocketFarewell(message: .text("cancel"), timeout: timeout) { $0 == .text("ok") }
    }

    @Test("cancelled: the farewell is written masked at once, and the close waits for the reply")
    func closeWaitsForReply() throws {
        let (channel, handler) = try Self.activeChannel()
        handler.set(Self.farewell(timeout: .seconds(5)))
        handler.cancelled()
        let written = try #require(try channel.readOutbound(as: WebSocketFrame.self))
        #expect(written.opcode == .text && written.fin && written.maskKey != nil)
        #expect(String(buffer: written.data) == "cancel", "the encoder masks it")
        let closed = channel.close()
        #expect(channel.isActive, "the close is held until the reply")
        try channel.writeInbound(Self.text("something else"))
        #expect(try channel.readInbound(as: WebSocketFrame.self) != nil, "other frames pass on")
        #expect(channel.isActive)
        try channel.writeInbound(Self.text("ok"))
        #expect(!channel.isActive, "the reply releases the close")
        try closed.wait()
    }

    @Test("without a reply the held close goes through when the timeout passes")
    func closeAfterTimeout() throws {
        let (channel, handler) = try Self.activeChannel()
        handler.set(Self.farewell(timeout: .milliseconds(500)))
        // swift-websocket closes the input when the task is cancelled; that alone starts the farewell too.
        channel.pipeline.close(mode: .input, promise: nil)
        #expect(try channel.readOutbound(as: WebSocketFrame.self) != nil)
        let closed = channel.close()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        try closed.wait()
    }

    @Test("no farewell, a withdrawn one, or one after our close frame: closes go straight through, nothing is written")
    func noFarewell() throws {
        for setup in ["none", "withdrawn", "after close frame"] {
            let (channel, handler) = try Self.activeChannel()
            switch setup {
            case "withdrawn":
                handler.set(Self.farewell(timeout: .seconds(5)))
                handler.set(nil)
            case "after close frame":
                handler.set(Self.farewell(timeout: .seconds(5)))
                let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: ByteBuffer())
                try channel.writeOutbound(close)
                _ = try channel.readOutbound(as: WebSocketFrame.self)
            default:
                break
            }
            handler.cancelled()
            #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil, "\(setup)")
            try channel.close().wait()
            #expect(!channel.isActive, "\(setup)")
        }
    }
}
