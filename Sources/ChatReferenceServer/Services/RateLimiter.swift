import ChatProtocol
import Foundation
import HTTPTypes
import Synchronization

/// A token bucket per key (a channel's presigns, a user's block-list writes) with continuous refill (fixes D27's
/// whole-second granularity).
final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant

        /// The tokens at `now`, before the burst cap: what is left plus the refill since ``updated``.
        func tokens(at now: ContinuousClock.Instant, rate: Double) -> Double {
            let elapsed = now - self.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return self.tokens + max(0, seconds) * rate
        }
    }

    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[Key: Bucket]>([:])

    init(rate: Double, burst: Int) {
        self.rate = max(rate, 0.001)
        self.burst = Double(max(burst, 1))
    }

    /// Takes one token; returns `nil` when allowed, or how long to wait for the next token.
    func acquire(_ key: Key, now: ContinuousClock.Instant = .now) -> Duration? {
        self.buckets.withLock { buckets in
            if buckets.count > Self.maximumBuckets { self.evict(&buckets, now: now) }
            var bucket = buckets[key] ?? Bucket(tokens: self.burst, updated: now)
            bucket.tokens = min(self.burst, bucket.tokens(at: now, rate: self.rate))
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else {
                return .milliseconds(Int64(((1 - bucket.tokens) / self.rate * 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Buckets held now.
    var bucketCount: Int { self.buckets.withLock { $0.count } }

    /// Buckets kept before ``evict(_:now:)`` runs.
    static var maximumBuckets: Int { 100_000 }

    /// Bounds memory: forgets the buckets that have refilled (forgetting one changes nothing: a new bucket is full);
    /// if that is not enough, all of them, which grants everyone a full bucket once.
    private func evict(_ buckets: inout [Key: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { _, bucket in bucket.tokens(at: now, rate: self.rate) < self.burst }
        if buckets.count > Self.maximumBuckets / 2 { buckets.removeAll() }
    }

    /// Takes one token, or throws 429 `rate_limited` with `Retry-After` in whole seconds (at least 1).
    func acquireOrThrow(_ key: Key) throws(ChatHTTPError) {
        guard let wait = self.acquire(key) else { return }
        let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
        throw ChatHTTPError(.rateLimited, headers: [.retryAfter: "\(seconds)"])
    }
}
