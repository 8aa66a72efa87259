import ChatProtocol
import Foundation
import Synchronization
import Testing

@testable import ChatClientSDK

/// The production HTTP transport, recording the method and path of every request.
final class RecordingHTTPTransport: HTTPTransport {
    private let inner = AsyncHTTPClientTransport()
    private let requests = Mutex<[String]>([])

    /// `"GET /api/chat/users"` and so on, in order.
    var sent: [String] { self.requests.withLock { $0 } }

    func execute(_ request: HTTPRequestSpec, maxResponseBytes: Int) async throws -> HTTPResponseSpec {
        let path = URLComponents(string: request.url)?.path ?? request.url
        self.requests.withLock { $0.append("\(request.method) \(path)") }
        return try await self.inner.execute(request, maxResponseBytes: maxResponseBytes)
    }
}

/// Records each text frame the match socket receives through ``transport`` (the production websocket transport)
/// and, when `upstreamFrames` is set, hands the SDK upstream's `{"access_token"}` frame instead (`peer_id` removed).
final class MatchFrameRecorder: Sendable {
    let upstreamFrames: Bool
    private let frames = Mutex<[String]>([])

    init(upstreamFrames: Bool) { self.upstreamFrames = upstreamFrames }

    /// The text frames the server sent on match sockets, as received.
    var matchFrames: [String] { self.frames.withLock { $0 } }

    /// The transport to give the client.
    var transport: WrappingWebSocketTransport {
        WrappingWebSocketTransport { url, io in
            guard url.hasSuffix("/api/match") else { return io }
            var rewriting = io
            let receive = io.receive
            rewriting.receive = {
                let message = try await receive()
                guard case .text(let text)? = message else { return message }
                self.frames.withLock { $0.append(text) }
                guard self.upstreamFrames, let result = try? V1.MatchResult(jsonBytes: Array(text.utf8)) else {
                    return .text(text)
                }
                let upstream = V1.MatchResult(accessToken: result.accessToken)
                return .text(String(decoding: upstream.jsonBytes(), as: UTF8.self))
            }
            return rewriting
        }
    }
}

@Suite("End to end: the v1 match result names the peer", .serialized, .timeLimit(.minutes(1)))
struct V1MatchPeerTests {
    @Test(
        "the SDK takes the peer from the frame's peer_id and asks GET /api/chat/users only without it (upstream)",
        arguments: [false, true]
    )
    func peerFromMatchFrame(upstreamFrames: Bool) async throws {
        try await InProcessServer.with { server in
            let http = RecordingHTTPTransport()
            let recorder = MatchFrameRecorder(upstreamFrames: upstreamFrames)
            let alice = ChatClient(
                configuration: testConfiguration(server.baseURL, speaking: .v1),
                http: http,
                webSocket: recorder.transport
            )
            let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: .v1))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            #expect(aliceMatch.peerID == bobMatch.userID)
            #expect(bobMatch.peerID == aliceMatch.userID)

            let frames = recorder.matchFrames
            #expect(frames.count == 1)
            let received = try #require(try frames.first.map { try V1.MatchResult(jsonBytes: Array($0.utf8)) })
            #expect(received.peerID == bobMatch.userID, "the reference server names the peer: \(frames)")
            let lookups = http.sent.filter { $0 == "GET /api/chat/users" }.count
            #expect(lookups == (upstreamFrames ? 1 : 0), "requests: \(http.sent)")
        }
    }
}
