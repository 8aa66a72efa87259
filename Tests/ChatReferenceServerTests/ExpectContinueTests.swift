import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import ChatReferenceServer

/// RFC 9110 §10.1.1: a request with `Expect: 100-continue` gets an interim `100 Continue` before it sends its body
/// (curl waits 1 s for it before every upload over 1 MB otherwise; found by the B9 upload benchmark).
@Suite("HTTP: Expect: 100-continue", .timeLimit(.minutes(1)))
struct ExpectContinueTests {
    @Test("the server answers 100 Continue to the head alone, then the final status once the body arrives")
    func interimAnswer() async throws {
        try await TestServer.with { server in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                try await outbound.write(
                    ByteBuffer(
                        string: "POST /api/user HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"
                    )
                )
                // Nothing of the body has been sent: only an interim answer can arrive now.
                var received = ""
                while !received.contains("\r\n\r\n"), let buffer = try await iterator.next() {
                    received += String(buffer: buffer)
                }
                #expect(received.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(received)")
                try await outbound.write(ByteBuffer(string: "{}"))
                // Then the final answer (whatever the endpoint makes of the body), never a second interim one.
                while received.components(separatedBy: "\r\n\r\n").count < 3, let buffer = try await iterator.next() {
                    received += String(buffer: buffer)
                }
                let final = received.components(separatedBy: "\r\n\r\n").dropFirst().first ?? ""
                #expect(final.hasPrefix("HTTP/1.1 ") && !final.hasPrefix("HTTP/1.1 1"), "\(received)")
                #expect(!final.hasPrefix("HTTP/1.1 5"), "\(received)")
            }
        }
    }
}
