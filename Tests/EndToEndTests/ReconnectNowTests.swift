import Foundation
import Testing

@testable import ChatClientSDK

/// ``ChatSession/reconnectNow()`` and ``ChatClient/reconnectNow()``: the app tells the SDK that the network path
/// changed or that it returned to the foreground.
@Suite("End to end: reconnectNow after a network change", .serialized, .timeLimit(.minutes(1)))
struct ReconnectNowTests {
    @Test(
        "reconnectNow replaces a connection whose network path died, at once and with nothing lost",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf]
    )
    func replacesDeadPath(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                configuration.pingInterval = .seconds(30)  // the dead link would go unnoticed for the whole test
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL, speaking: wire))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        try await bobSession.send(text: "m1")
                        try await aliceLog.expectText("m1")

                        // The phone moved from Wi-Fi to cellular: the old socket carries nothing and says nothing.
                        proxy.freezeOpenConnections()
                        try await bobSession.send(text: "m2")
                        try await bobLog.expectText("m2")
                        let queued = try await aliceSession.send(text: "a1")
                        alice.reconnectNow()
                        try await aliceLog.expect("reconnecting at once", timeout: .seconds(3)) {
                            $0 == .connection(.reconnecting(attempt: 1, delay: .zero))
                        }
                        try await aliceLog.expect("connecting") { $0 == .connection(.connecting) }
                        // The next path update of a burst, while the new connection is being made: left alone.
                        aliceSession.reconnectNow()
                        try await aliceLog.expect("connected again", timeout: .seconds(5)) { $0.isConnected }
                        try await aliceLog.expectText("m2")
                        let echo = try await aliceLog.expectText("a1")
                        #expect(echo.localID == queued)
                        try await bobLog.expectText("a1")
                        try await bobSession.send(text: "m3")
                        try await aliceLog.expectText("m3")
                        #expect(aliceLog.messages.compactMap(\.text) == ["m1", "m2", "a1", "m3"])
                        #expect(bobLog.messages.compactMap(\.text) == ["m1", "m2", "a1", "m3"])
                        #expect(
                            aliceLog.events.filter(\.isReconnecting).count == 1,
                            "one reconnect: \(aliceLog.events)"
                        )
                    }
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

    @Test("reconnectNow cuts a long backoff short: the session connects at once and its attempts start over")
    func endsBackoff() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)")
                configuration.reconnectPolicy = ReconnectPolicy(initialDelay: .seconds(3600), maxDelay: .seconds(3600))
                configuration.reconnectJitterSeed = Self.longSecondDelaySeed
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    proxy.setRefusing(true)
                    proxy.dropAll()
                    let waiting = try await aliceLog.expect("a long wait") { event in
                        if case .connection(.reconnecting(2, _)) = event { return true }
                        return false
                    }
                    guard case .connection(.reconnecting(_, let delay)) = waiting, delay > .seconds(1800) else {
                        Issue.record("expected a wait of over half an hour: \(waiting)")
                        return
                    }
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        try await bobSession.send(text: "while away")
                        // The app came back to the foreground, the network is back.
                        proxy.setRefusing(false)
                        aliceSession.reconnectNow()
                        try await aliceLog.expect("reconnecting at once", timeout: .seconds(3)) {
                            $0 == .connection(.reconnecting(attempt: 1, delay: .zero))
                        }
                        try await aliceLog.expect("connected again", timeout: .seconds(5)) { $0.isConnected }
                        try await aliceLog.expectText("while away")
                    }
                }
            }
        }
    }

    @Test("reconnectNow does not cut short a wait the server asked for; the session connects after it")
    func honoursServerAdvice() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let alice = ChatClient(configuration: testConfiguration("http://127.0.0.1:\(proxy.port)"))
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, _) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    // Every request now gets a refusal that asks for a 3 s wait (PROTOCOL.md's error body).
                    let body =
                        #"{"msg":"restarting","code":"server_shutting_down","temporary":true,"retry_after_ms":3000}"#
                    proxy.setAnswer(
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                    )
                    proxy.dropAll()
                    try await aliceLog.expect("told to wait") {
                        $0 == .connection(.reconnecting(attempt: 2, delay: .seconds(3)))
                    }
                    let told = ContinuousClock.now
                    let seen = aliceLog.events.count
                    proxy.setAnswer(nil)
                    aliceSession.reconnectNow()
                    try await aliceLog.expect("connected again", timeout: .seconds(10)) { $0.isConnected }
                    #expect(ContinuousClock.now - told >= .seconds(2), "not before the advised 3 s")
                    let since = aliceLog.events.dropFirst(seen)
                    #expect(since.filter(\.isReconnecting).isEmpty, "the wait was not cut short: \(since)")
                }
            }
        }
    }

    @Test("reconnectNow during a longer backoff waits out only what is left of the server's advice")
    func adviceShorterThanBackoff() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)")
                configuration.reconnectPolicy = ReconnectPolicy(initialDelay: .seconds(3600), maxDelay: .seconds(3600))
                configuration.reconnectJitterSeed = Self.longSecondDelaySeed
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, _) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    let body =
                        #"{"msg":"restarting","code":"server_shutting_down","temporary":true,"retry_after_ms":3000}"#
                    proxy.setAnswer(
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                    )
                    proxy.dropAll()
                    // The backoff (over half an hour) is longer than the advice (3 s), so the wait is the backoff.
                    let waiting = try await aliceLog.expect("the backoff") {
                        if case .connection(.reconnecting(2, _)) = $0 { true } else { false }
                    }
                    let told = ContinuousClock.now
                    guard case .connection(.reconnecting(_, let delay)) = waiting, delay > .seconds(1800) else {
                        Issue.record("expected a wait of over half an hour: \(waiting)")
                        return
                    }
                    proxy.setAnswer(nil)
                    aliceSession.reconnectNow()
                    let rest = try await aliceLog.expect("what is left of the advice", timeout: .seconds(3)) {
                        if case .connection(.reconnecting(1, _)) = $0 { true } else { false }
                    }
                    guard case .connection(.reconnecting(_, let left)) = rest, left > .zero, left <= .seconds(3) else {
                        Issue.record("expected attempt 1 after the rest of the 3 s advice: \(rest)")
                        return
                    }
                    try await aliceLog.expect("connected again", timeout: .seconds(10)) { $0.isConnected }
                    #expect(ContinuousClock.now - told >= .seconds(2), "not before the advised 3 s")
                }
            }
        }
    }

    @Test("a reconnectNow during the wait after a failed requested attempt ends that wait too")
    func secondCallEndsNewWait() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)")
                configuration.reconnectPolicy = ReconnectPolicy(initialDelay: .seconds(3600), maxDelay: .seconds(3600))
                configuration.reconnectJitterSeed = Self.longSecondDelaySeed
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, _) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    proxy.setRefusing(true)
                    proxy.dropAll()
                    try await aliceLog.expect("a long wait") {
                        if case .connection(.reconnecting(2, _)) = $0 { true } else { false }
                    }
                    // The path is not usable yet: the requested attempt fails, and a new long wait starts.
                    let seen = aliceLog.events.count
                    aliceSession.reconnectNow()
                    try await aliceLog.expect("the requested attempt") {
                        $0 == .connection(.reconnecting(attempt: 1, delay: .zero))
                    }
                    try await aliceLog.expect("a long wait again") {
                        if case .connection(.reconnecting(2, _)) = $0 { true } else { false }
                    }
                    proxy.setRefusing(false)
                    aliceSession.reconnectNow()
                    try await aliceLog.expect("connected again", timeout: .seconds(5)) { $0.isConnected }
                    let since = Array(aliceLog.events.dropFirst(seen))
                    #expect(since.filter { $0 == .connection(.reconnecting(attempt: 1, delay: .zero)) }.count == 2)
                }
            }
        }
    }

    @Test("closing a session during a wait the server asked for ends it at once, reconnectNow or not")
    func stopDuringAdvisedWait() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let alice = ChatClient(configuration: testConfiguration("http://127.0.0.1:\(proxy.port)"))
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, _) = try await matchPair(alice, bob)
                let closed = try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    let body =
                        #"{"msg":"later","code":"server_shutting_down","temporary":true,"retry_after_ms":3600000}"#
                    proxy.setAnswer(
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                    )
                    proxy.dropAll()
                    try await aliceLog.expect("told to wait an hour") {
                        $0 == .connection(.reconnecting(attempt: 2, delay: .seconds(3600)))
                    }
                    aliceSession.reconnectNow()
                    return ContinuousClock.now
                }
                #expect(ContinuousClock.now - closed < .seconds(5), "the session ended without waiting the hour")
            }
        }
    }
}
