import Foundation
import Testing

@testable import ChatClientSDK

/// ``ChatSession/reconnectNow()`` and ``ChatClient/reconnectNow()``: the app tells the SDK that the network path
/// changed or that it returned to the foreground.
@Suite("End to end: reconnectNow after a network change", .serialized, .timeLimit(.minutes(1)))
struct ReconnectNowTests {
    /// Alice and her open session, behind a proxy that plays her network; Bob and his match, straight to the server.
    struct Scene {
        var proxy: TCPProxy
        var alice: ChatClient
        var session: ChatSession
        var log: EventLog
        var bob: ChatClient
        var bobMatch: ChatMatch
    }

    /// Matches Alice and Bob, opens Alice's session and runs `body` once it is connected. `longBackoff`: Alice's
    /// backoff bounds are an hour and its second delay is over half an hour (``longSecondDelaySeed``).
    static func withScene<T: Sendable>(
        speaking wire: NegotiatedProtocol = .v2Protobuf,
        longBackoff: Bool = false,
        _ body: (Scene) async throws -> T
    ) async throws -> T {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                configuration.pingInterval = .seconds(30)  // a dead link would go unnoticed for the whole test
                if longBackoff {
                    configuration.reconnectPolicy = ReconnectPolicy(
                        initialDelay: .seconds(3600),
                        maxDelay: .seconds(3600)
                    )
                    configuration.reconnectJitterSeed = Self.longSecondDelaySeed
                }
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                return try await alice.withRecordedSession(aliceMatch) { session, log in
                    try await log.expect("connected") { $0.isConnected }
                    return try await body(
                        Scene(proxy: proxy, alice: alice, session: session, log: log, bob: bob, bobMatch: bobMatch)
                    )
                }
            }
        }
    }

    /// A seed whose second backoff delay, with both bounds at an hour, is over half an hour.
    static let longSecondDelaySeed: UInt64 = {
        let policy = ReconnectPolicy(initialDelay: .seconds(3600), maxDelay: .seconds(3600))
        return (UInt64(0)...).first { seed in
            var delays = policy.delays(seed: seed)
            _ = delays.next()
            return (delays.next() ?? .zero) > .seconds(1800)
        } ?? 0
    }()

    /// The answer of a server that refuses every request and asks for a wait (PROTOCOL.md's error body).
    static func unavailable(retryAfterMs: Int) -> String {
        let body =
            #"{"msg":"restarting","code":"server_shutting_down","temporary":true,"retry_after_ms":\#(retryAfterMs)}"#
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    /// Waits for the next `reconnecting` event of `attempt` and returns its delay.
    static func waiting(_ log: EventLog, attempt: Int, _ what: String) async throws -> Duration {
        let event = try await log.expect(what) {
            if case .connection(.reconnecting(attempt, _)) = $0 { true } else { false }
        }
        guard case .connection(.reconnecting(_, let delay)) = event else { return .zero }
        return delay
    }

    @Test(
        "reconnectNow replaces a connection whose network path died, at once and with nothing lost",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf]
    )
    func replacesDeadPath(wire: NegotiatedProtocol) async throws {
        try await Self.withScene(speaking: wire) { scene in
            let aliceLog = scene.log
            try await scene.bob.withRecordedSession(scene.bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                try await bobSession.send(text: "m1")
                try await aliceLog.expectText("m1")

                // The phone moved from Wi-Fi to cellular: the old socket carries nothing and says nothing.
                scene.proxy.freezeOpenConnections()
                try await bobSession.send(text: "m2")
                try await bobLog.expectText("m2")
                let queued = try await scene.session.send(text: "a1")
                scene.alice.reconnectNow()
                try await aliceLog.expect("reconnecting at once", timeout: .seconds(3)) {
                    $0 == .connection(.reconnecting(attempt: 1, delay: .zero))
                }
                try await aliceLog.expect("connecting") { $0 == .connection(.connecting) }
                // The next path update of a burst, while the new connection is being made: left alone.
                scene.session.reconnectNow()
                try await aliceLog.expect("connected again", timeout: .seconds(5)) { $0.isConnected }
                try await aliceLog.expectText("m2")
                let echo = try await aliceLog.expectText("a1")
                #expect(echo.localID == queued)
                try await bobLog.expectText("a1")
                try await bobSession.send(text: "m3")
                try await aliceLog.expectText("m3")
                #expect(aliceLog.messages.compactMap(\.text) == ["m1", "m2", "a1", "m3"])
                #expect(bobLog.messages.compactMap(\.text) == ["m1", "m2", "a1", "m3"])
                #expect(aliceLog.events.filter(\.isReconnecting).count == 1, "one reconnect: \(aliceLog.events)")
            }
        }
    }

    @Test("reconnectNow cuts a long backoff short: the session connects at once and its attempts start over")
    func endsBackoff() async throws {
        try await Self.withScene(longBackoff: true) { scene in
            scene.proxy.setRefusing(true)
            scene.proxy.dropAll()
            let delay = try await Self.waiting(scene.log, attempt: 2, "a long wait")
            #expect(delay > .seconds(1800))
            try await scene.bob.withRecordedSession(scene.bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                try await bobSession.send(text: "while away")
                // The app came back to the foreground, the network is back.
                scene.proxy.setRefusing(false)
                scene.session.reconnectNow()
                try await scene.log.expect("reconnecting at once", timeout: .seconds(3)) {
                    $0 == .connection(.reconnecting(attempt: 1, delay: .zero))
                }
                try await scene.log.expect("connected again", timeout: .seconds(5)) { $0.isConnected }
                try await scene.log.expectText("while away")
            }
        }
    }

    @Test("reconnectNow does not cut short a wait the server asked for; the session connects after it")
    func honoursServerAdvice() async throws {
        try await Self.withScene { scene in
            scene.proxy.setAnswer(Self.unavailable(retryAfterMs: 3000))
            scene.proxy.dropAll()
            #expect(try await Self.waiting(scene.log, attempt: 2, "told to wait") == .seconds(3))
            let told = ContinuousClock.now
            let seen = scene.log.events.count
            scene.proxy.setAnswer(nil)
            scene.session.reconnectNow()
            try await scene.log.expect("connected again", timeout: .seconds(10)) { $0.isConnected }
            #expect(ContinuousClock.now - told >= .seconds(2), "not before the advised 3 s")
            let since = scene.log.events.dropFirst(seen)
            #expect(since.filter(\.isReconnecting).isEmpty, "the wait was not cut short: \(since)")
        }
    }

    @Test("reconnectNow during a longer backoff waits out only what is left of the server's advice")
    func adviceShorterThanBackoff() async throws {
        try await Self.withScene(longBackoff: true) { scene in
            scene.proxy.setAnswer(Self.unavailable(retryAfterMs: 3000))
            scene.proxy.dropAll()
            // The backoff (over half an hour) is longer than the advice (3 s), so the wait is the backoff.
            #expect(try await Self.waiting(scene.log, attempt: 2, "the backoff") > .seconds(1800))
            let told = ContinuousClock.now
            scene.proxy.setAnswer(nil)
            scene.session.reconnectNow()
            let left = try await Self.waiting(scene.log, attempt: 1, "what is left of the advice")
            #expect(left > .zero && left <= .seconds(3), "attempt 1 after the rest of the 3 s advice")
            try await scene.log.expect("connected again", timeout: .seconds(10)) { $0.isConnected }
            #expect(ContinuousClock.now - told >= .seconds(2), "not before the advised 3 s")
        }
    }

    @Test("a reconnectNow during the wait after a failed requested attempt ends that wait too")
    func secondCallEndsNewWait() async throws {
        try await Self.withScene(longBackoff: true) { scene in
            scene.proxy.setRefusing(true)
            scene.proxy.dropAll()
            _ = try await Self.waiting(scene.log, attempt: 2, "a long wait")
            // The path is not usable yet: the requested attempt fails, and a new long wait starts.
            let seen = scene.log.events.count
            scene.session.reconnectNow()
            #expect(try await Self.waiting(scene.log, attempt: 1, "the requested attempt") == .zero)
            _ = try await Self.waiting(scene.log, attempt: 2, "a long wait again")
            scene.proxy.setRefusing(false)
            scene.session.reconnectNow()
            try await scene.log.expect("connected again", timeout: .seconds(5)) { $0.isConnected }
            let since = scene.log.events.dropFirst(seen)
            #expect(since.filter { $0 == .connection(.reconnecting(attempt: 1, delay: .zero)) }.count == 2)
        }
    }

    @Test("closing a session during a wait the server asked for ends it at once, reconnectNow or not")
    func stopDuringAdvisedWait() async throws {
        let closed = try await Self.withScene { scene -> ContinuousClock.Instant in
            scene.proxy.setAnswer(Self.unavailable(retryAfterMs: 3_600_000))
            scene.proxy.dropAll()
            let delay = try await Self.waiting(scene.log, attempt: 2, "told to wait an hour")
            #expect(delay == .seconds(3600))
            scene.session.reconnectNow()
            return ContinuousClock.now
        }
        #expect(ContinuousClock.now - closed < .seconds(10), "the session ended without waiting the hour")
    }
}
