/// How a ``ChatSession`` spaces its reconnection attempts: exponential backoff with full jitter.
///
/// The first retry is immediate; retry `n` (counting from 1) then waits a uniformly random time in
/// `0...min(maxDelay, initialDelay × multiplier^(n − 1))` (the "full jitter" of centrifuge and grpc). After a
/// connection has stayed up for ``healthyConnectionDuration`` the attempt counter starts again from zero.
///
/// ```swift
/// var configuration = ChatClient.Configuration(baseURL: "http://localhost:8080")
/// configuration.reconnectPolicy = ReconnectPolicy(initialDelay: .milliseconds(5), maxDelay: .milliseconds(50))
/// ```
public struct ReconnectPolicy: Hashable, Sendable {
    /// The base of the exponential growth: the upper bound of the second retry's delay.
    public var initialDelay: Duration
    /// The cap of every delay.
    public var maxDelay: Duration
    /// How much the upper bound grows per attempt.
    public var multiplier: Double
    /// How many reconnection attempts in a row may fail before the session gives up, or `nil` for no limit.
    public var maxAttempts: Int?
    /// How long a connection must stay up to count as healthy, which resets the attempt counter.
    public var healthyConnectionDuration: Duration

    /// Creates a policy.
    /// - Parameters:
    ///   - initialDelay: The base delay; defaults to 0.5 s.
    ///   - maxDelay: The cap; defaults to 20 s.
    ///   - multiplier: The growth factor; defaults to 2.
    ///   - maxAttempts: Failed attempts in a row before giving up; defaults to `nil` (keep trying).
    ///   - healthyConnectionDuration: Uptime after which the counter resets; defaults to 5 s.
    public init(
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(20),
        multiplier: Double = 2,
        maxAttempts: Int? = nil,
        healthyConnectionDuration: Duration = .seconds(5)
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.healthyConnectionDuration = healthyConnectionDuration
    }

    /// The default policy: immediate first retry, then full jitter from 0.5 s up to 20 s, with no attempt limit.
    public static var `default`: Self { Self() }

    /// The upper bound of the delay before retry `attempt` (1-based), before jitter: `0` for the first retry,
    /// then `min(maxDelay, initialDelay × multiplier^(attempt − 2))`.
    /// - Parameter attempt: The retry number, starting at 1.
    /// - Returns: The largest delay the jitter may pick.
    public func delayBound(forAttempt attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        let maxSeconds = Self.seconds(self.maxDelay)
        var bound = Self.seconds(self.initialDelay)
        for _ in 0..<(attempt - 2) where bound < maxSeconds {
            bound *= max(self.multiplier, 1)
        }
        bound = min(maxSeconds, bound)
        return Self.duration(seconds: bound.isFinite ? max(0, bound) : maxSeconds)
    }

    /// The delays before each retry, as an infinite sequence (the attempt limit is applied by the session).
    /// - Parameter seed: Seeds the jitter so tests are reproducible; `nil` uses system randomness.
    /// - Returns: A sequence whose first element is `.zero`.
    public func delays(seed: UInt64? = nil) -> Delays {
        Delays(policy: self, seed: seed ?? UInt64.random(in: .min ... .max))
    }

    /// The infinite sequence of jittered retry delays of a ``ReconnectPolicy``.
    public struct Delays: Sequence, IteratorProtocol, Sendable {
        private let policy: ReconnectPolicy
        private var random: SplitMix64
        private var attempt = 0

        init(policy: ReconnectPolicy, seed: UInt64) {
            self.policy = policy
            self.random = SplitMix64(seed: seed)
        }

        /// The next delay.
        /// - Returns: Never `nil`.
        public mutating func next() -> Duration? {
            self.attempt += 1
            let bound = ReconnectPolicy.seconds(self.policy.delayBound(forAttempt: self.attempt))
            guard bound > 0 else { return .zero }
            let fraction = Double(self.random.next() >> 11) / Double(UInt64(1) << 53)
            return ReconnectPolicy.duration(seconds: bound * fraction)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func duration(seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}

/// A tiny deterministic generator, so a seeded ``ReconnectPolicy/Delays`` is reproducible in tests.
struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
