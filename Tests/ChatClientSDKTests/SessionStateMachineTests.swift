import Testing

@testable import ChatClientSDK

@Suite("Session state machine: what to do after a connection ends")
struct SessionStateMachineTests {
    let policy = ReconnectPolicy(initialDelay: .milliseconds(500), maxDelay: .seconds(20), maxAttempts: 3)

    @Test("a dropped link reconnects at once, then backs off with growing attempts")
    func dropReconnects() {
        var machine = SessionStateMachine(policy: self.policy, seed: 3)
        machine.connecting()
        machine.connected()
        #expect(
            machine.connectionEnded(.closed(code: nil, retryAfter: nil), uptime: .seconds(1))
                == .reconnect(after: .zero, attempt: 1)
        )
        machine.connecting()
        guard
            case .reconnect(let delay, 2) = machine.connectionEnded(
                .unreachable(ChatError(code: .connectionClosed)),
                uptime: nil
            )
        else {
            Issue.record("expected a second attempt")
            return
        }
        #expect(delay <= .milliseconds(500))
        #expect(machine.state == .waitingToReconnect(attempt: 2))
    }

    @Test("a healthy connection resets the attempt counter")
    func healthyResets() {
        var machine = SessionStateMachine(policy: self.policy, seed: 3)
        for _ in 0..<3 {
            machine.connecting()
            _ = machine.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
        }
        #expect(machine.consecutiveFailures == 3)
        machine.connecting()
        machine.connected()
        let action = machine.connectionEnded(.closed(code: 1006, retryAfter: nil), uptime: .seconds(60))
        #expect(action == .reconnect(after: .zero, attempt: 1))
    }

    @Test("reconnectNow: an immediate attempt 1 that is not a failure, then the backoff from its start")
    func reconnectRequested() {
        var machine = SessionStateMachine(policy: self.policy, seed: 3)
        for _ in 0..<3 {
            machine.connecting()
            _ = machine.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
        }
        #expect(machine.consecutiveFailures == 3)
        machine.connecting()
        #expect(machine.connectionEnded(.reconnectRequested, uptime: nil) == .reconnect(after: .zero, attempt: 1))
        // The requested attempt fails too: attempt 2 with the policy's second delay, as after a first drop.
        machine.connecting()
        guard
            case .reconnect(let delay, 2) = machine.connectionEnded(
                .unreachable(ChatError(code: .connectionClosed)),
                uptime: nil
            )
        else {
            Issue.record("expected attempt 2")
            return
        }
        #expect(delay <= .milliseconds(500))
        // maxAttempts (3) counts the failures after the request: two more fail, the third gives up.
        for expected in [3, 4] {
            machine.connecting()
            let next = machine.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
            guard case .reconnect(_, let attempt) = next, attempt == expected else {
                Issue.record("expected attempt \(expected), got \(next)")
                return
            }
        }
        machine.connecting()
        guard case .fail = machine.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
        else {
            Issue.record("expected to give up")
            return
        }
    }

    @Test("reconnectNow with maxAttempts 0 still reconnects; woken from a wait it starts over the same way")
    func reconnectRequestedWithoutRetries() {
        var machine = SessionStateMachine(policy: ReconnectPolicy(maxAttempts: 0), seed: 3)
        machine.connecting()
        machine.connected()
        #expect(
            machine.connectionEnded(.reconnectRequested, uptime: .seconds(1)) == .reconnect(after: .zero, attempt: 1)
        )
        var other = SessionStateMachine(policy: self.policy, seed: 3)
        other.connecting()
        _ = other.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
        other.connecting()
        _ = other.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
        #expect(other.state == .waitingToReconnect(attempt: 2))
        #expect(other.reconnectRequested() == .reconnect(after: .zero, attempt: 1))
        #expect(other.state == .waitingToReconnect(attempt: 1))
    }

    @Test("the server's retry advice is kept beside the delay, whether or not it is the longer of the two")
    func adviceIsKept() {
        var machine = SessionStateMachine(policy: self.policy, seed: 3)
        machine.connecting()
        let advised = machine.connectionEnded(.closed(code: 1012, retryAfter: .seconds(30)), uptime: nil)
        #expect(advised == .reconnect(after: .seconds(30), attempt: 1))
        #expect(machine.retryAdvice == .seconds(30))
        machine.connecting()
        // Shorter than the policy's delay would be (none here: 1 ms), it is still the advice.
        _ = machine.connectionEnded(.closed(code: 1012, retryAfter: .milliseconds(1)), uptime: nil)
        #expect(machine.retryAdvice == .milliseconds(1))
        machine.connecting()
        _ = machine.connectionEnded(.closed(code: nil, retryAfter: nil), uptime: nil)
        #expect(machine.retryAdvice == nil)
        _ = machine.connectionEnded(.closed(code: 1012, retryAfter: .seconds(5)), uptime: nil)
        _ = machine.reconnectRequested()
        #expect(machine.retryAdvice == nil, "the session keeps when the earlier advice ends")
    }

    @Test("attempts beyond maxAttempts fail the session")
    func givesUp() {
        var machine = SessionStateMachine(policy: self.policy, seed: 3)
        var last: SessionStateMachine.Action?
        for _ in 0..<4 {
            machine.connecting()
            last = machine.connectionEnded(.unreachable(ChatError(code: .connectionClosed)), uptime: nil)
        }
        guard case .fail(let error) = last else {
            Issue.record("expected failure, got \(String(describing: last))")
            return
        }
        #expect(error.code == .connectionClosed)
        #expect(machine.state == .finished)
    }

    @Test(
        "terminal close codes are honoured: no retry",
        arguments: [
            (UInt16(4500), ChatError.Code.unauthorized), (4501, .channelClosed), (4502, .channelNotFound),
            (4003, .tokenExpired), (1008, .protocolViolation),
        ]
    )
    func terminalCloseCodes(code: UInt16, expected: ChatError.Code) {
        var machine = SessionStateMachine(policy: self.policy)
        machine.connecting()
        machine.connected()
        guard case .fail(let error) = machine.connectionEnded(.closed(code: code, retryAfter: nil), uptime: .seconds(1))
        else {
            Issue.record("close \(code) must not reconnect")
            return
        }
        #expect(error.code == expected)
        #expect(error.closeCode == code)
    }

    @Test("retry advice from the server is a floor under the jittered delay", arguments: [UInt16(1001), 4029, 1013])
    func retryAdvice(code: UInt16) {
        var machine = SessionStateMachine(policy: self.policy)
        machine.connecting()
        machine.connected()
        let action = machine.connectionEnded(.closed(code: code, retryAfter: .seconds(3)), uptime: .seconds(1))
        #expect(action == .reconnect(after: .seconds(3), attempt: 1))
    }

    @Test("a refused upgrade retries only when the cause is temporary")
    func rejected() {
        var machine = SessionStateMachine(policy: self.policy)
        machine.connecting()
        #expect(
            machine.connectionEnded(.rejected(ChatError(code: .serverError)), uptime: nil)
                == .reconnect(after: .zero, attempt: 1)
        )
        machine.connecting()
        let expired = ChatError(code: .tokenExpired)
        #expect(machine.connectionEnded(.rejected(expired), uptime: nil) == .fail(expired))
    }

    @Test("leaving, the app closing and token expiry end the session without retry")
    func endings() {
        let reason = ChatError(code: .channelClosed)
        var a = SessionStateMachine(policy: self.policy)
        #expect(a.connectionEnded(.channelEnded(reason), uptime: nil) == .finish(reason))
        var b = SessionStateMachine(policy: self.policy)
        #expect(b.connectionEnded(.closedByApp(reason), uptime: nil) == .finish(reason))
        var c = SessionStateMachine(policy: self.policy)
        let expired = ChatError(code: .tokenExpired)
        #expect(c.connectionEnded(.tokenExpired(expired), uptime: nil) == .fail(expired))
    }
}
