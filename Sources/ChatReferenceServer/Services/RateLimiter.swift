import ChatProtocol
import Foundation
import Synchronization

/// A per-channel token bucket with continuous refill (fixes D27's whole-second granularity).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[ChannelID: Bucket]>([:])

    init(rate: Double, burst: Int) {
        self.rate = max(rate, 0.001)
        self.burst = Double(max(burst, 1))
    }

    /// Takes one token; returns `nil` when allowed, or how long to wait for the next token.
    func acquire(_ channel: ChannelID, now: ContinuousClock.Instant = .now) -> Duration? {
        self.buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }  // bound memory; a reset only grants a full bucket
            var bucket = buckets[channel] ?? Bucket(tokens: self.burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            bucket.tokens = min(self.burst, bucket.tokens + max(0, seconds) * self.rate)
            bucket.updated = now
            defer { buckets[channel] = bucket }
            guard bucket.tokens >= 1 else {
                return .milliseconds(Int64(((1 - bucket.tokens) / self.rate * 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }
}
