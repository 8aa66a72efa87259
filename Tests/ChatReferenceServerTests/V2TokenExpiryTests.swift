import ChatProtocol
import ChatWebSocket
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Testing
import WSCore

@testable import ChatReferenceServer

/// RC-CHAT-TOKEN: a v2 chat socket whose token runs out without a `refresh` gets `error TOKEN_EXPIRED` and is closed
/// with 4003 (PROTOCOL.md close-code table), from the server's own event-loop timer.
@Suite("Protocol v2: token expiry on an open chat socket", .timeLimit(.minutes(1)))
struct V2TokenExpiryTests {
    @Test(
        "an unrefreshed token ends the socket: TOKEN_EXPIRED push, then close 4003",
        arguments: [FrameEncoding.json, .protobuf]
    )
    func expiryCloses(encoding: FrameEncoding) async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (channel, _) = try await server.makeChannel([alice.id, bob.id])
            // A token issued so that it expires two seconds from now.
            let lifetime = TimeInterval(server.state.configuration.tokenLifetime.components.seconds)
            let issued = server.state.tokens.issueV2(
                for: channel,
                user: alice.id,
                now: Date().addingTimeInterval(2 - lifetime)
            )
            var options = ChatWebSocketOptions()
            options.maxFrameSize = 1 << 20
            options.subprotocols = [
                encoding == .protobuf ? WebSocketSubprotocol.v2Protobuf : WebSocketSubprotocol.v2JSON
            ]
            options.headers = [("Authorization", "Bearer \(issued.token)")]
            let frames = Mutex<[V2.ChatServerFrame]>([])
            let opened = ContinuousClock.now
            let close = try await ChatWebSocketClient.connect(
                url: "ws://127.0.0.1:\(server.port)/api/chat",
                options: options,
                logger: Logger(label: "ws", factory: { _ in SwiftLogNoOpLogHandler() })
            ) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    let frame: V2.ChatServerFrame
                    switch message {
                    case .text(let text): frame = try V2.ChatServerFrame(jsonBytes: Array(text.utf8))
                    case .binary(let buffer): frame = try V2.ChatServerFrame(protobufBytes: Array(buffer: buffer))
                    }
                    frames.withLock { $0.append(frame) }
                }
            }
            let elapsed = ContinuousClock.now - opened
            let received = frames.withLock { $0 }
            guard case .hello(let hello) = received.first?.body else {
                throw TestFailure("first frame is not hello: \(received)")
            }
            #expect(hello.tokenExpiresAt == issued.expiresAt * 1000)
            let errors = received.compactMap { frame -> V2.Error? in
                if case .error(let error) = frame.body { return error }
                return nil
            }
            #expect(errors.map(\.code) == [V2.Error.Code(.tokenExpired)], "pushes: \(received)")
            #expect(
                close.map { UInt16(webSocketErrorCode: $0.closeCode) } == 4003,
                "close: \(String(describing: close))"
            )
            // Not before the expiry (the token had up to 2 s left), and not long after it.
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(10), "closed after \(elapsed)")
        }
    }
}
