import Testing

@testable import ChatClientSDK

@Suite("Reconnect policy: exponential backoff with full jitter")
struct ReconnectPolicyTests {
    @Test("the first retry is immediate")
    func firstRetryImmediate() {
        var delays = ReconnectPolicy.default.delays(seed: 1)
        #expect(delays.next() == .zero)
    }

    @Test("upper bounds grow from 0.5 s by ×2 and stop at the 20 s cap")
    func bounds() {
        let policy = ReconnectPolicy.default
        let expected: [Duration] = [
            .zero, .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(20),
            .seconds(20),
        ]
        for (index, bound) in expected.enumerated() {
            #expect(policy.delayBound(forAttempt: index + 1) == bound, "attempt \(index + 1)")
        }
        #expect(policy.delayBound(forAttempt: 10_000) == .seconds(20))
    }

    @Test("every delay lies in 0...bound, and the jitter spreads them", arguments: [UInt64(1), 42, 0xDEAD_BEEF])
    func jitterWithinBounds(seed: UInt64) {
        let policy = ReconnectPolicy.default
        var delays = policy.delays(seed: seed)
        var belowHalf = 0
        var aboveHalf = 0
        for attempt in 1...200 {
            let delay = delays.next() ?? .seconds(-1)
            let bound = policy.delayBound(forAttempt: attempt)
            #expect(delay >= .zero && delay <= bound, "attempt \(attempt): \(delay) > \(bound)")
            if attempt > 8 {
                if delay < bound / 2 { belowHalf += 1 } else { aboveHalf += 1 }
            }
        }
        #expect(belowHalf > 40 && aboveHalf > 40, "full jitter should spread delays over the whole range")
    }

    @Test("the same seed gives the same delays")
    func deterministic() {
        let a = Array(ReconnectPolicy.default.delays(seed: 7).prefix(20))
        let b = Array(ReconnectPolicy.default.delays(seed: 7).prefix(20))
        #expect(a == b)
    }

    @Test("millisecond policies for tests stay in milliseconds")
    func custom() {
        let policy = ReconnectPolicy(initialDelay: .milliseconds(5), maxDelay: .milliseconds(40), multiplier: 3)
        #expect(policy.delayBound(forAttempt: 2) == .milliseconds(5))
        #expect(policy.delayBound(forAttempt: 3) == .milliseconds(15))
        #expect(policy.delayBound(forAttempt: 4) == .milliseconds(40))
    }
}
