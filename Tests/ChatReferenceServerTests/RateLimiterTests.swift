import ArgumentParser
import ChatProtocol
import Testing

@testable import ChatReferenceServer

@Suite("Token buckets: a user's block-list writes, a channel's presigns")
struct RateLimiterTests {
    @Test("past the bound, refilled buckets are forgotten and a throttled one is kept")
    func evictsOnlyRefilledBuckets() {
        let limiter = RateLimiter<Int>(rate: 1, burst: 1)
        let start = ContinuousClock.now
        for key in 1...RateLimiter<Int>.maximumBuckets {
            #expect(limiter.acquire(key, now: start) == nil)
        }
        // Key 0 empties its bucket 0.1 s before the bound is crossed: it has not refilled when the eviction runs.
        #expect(limiter.acquire(0, now: start + .milliseconds(1900)) == nil)
        #expect(limiter.bucketCount == RateLimiter<Int>.maximumBuckets + 1)
        #expect(limiter.acquire(-1, now: start + .seconds(2)) == nil)  // over the bound: the eviction runs
        #expect(limiter.bucketCount == 2, "the refilled buckets are gone; key 0's and the newcomer's stay")
        let wait = limiter.acquire(0, now: start + .seconds(2))
        #expect(
            wait.map { $0 > .zero && $0 <= .seconds(1) } == true,
            "key 0 is still throttled: \(String(describing: wait))"
        )
    }

    @Test("past the bound with most buckets still draining, all are forgotten: memory stays bounded")
    func clearsWhenNothingRefilled() {
        let limiter = RateLimiter<Int>(rate: 0.001, burst: 1)
        let now = ContinuousClock.now
        for key in 0...(RateLimiter<Int>.maximumBuckets + 1) {
            _ = limiter.acquire(key, now: now)
        }
        #expect(limiter.bucketCount <= 1)
    }

    @Test("the command line reads the block-write rate and burst and the files per upload, and refuses nonsense")
    func commandLine() throws {
        let defaults = try ChatServerCommand.parse([]).serverConfiguration(environment: [:])
        #expect(defaults.limits.blockWriteRate == 5)
        #expect(defaults.limits.blockWriteBurst == 50)
        #expect(defaults.limits.maxFilesPerUpload == 100)
        let tuned = try ChatServerCommand.parse(["--block-write-rate", "0.5", "--max-files-per-upload", "3"])
            .serverConfiguration(environment: ["CHAT_BLOCK_WRITE_BURST": "7"])
        #expect(tuned.limits.blockWriteRate == 0.5)
        #expect(tuned.limits.blockWriteBurst == 7)
        #expect(tuned.limits.maxFilesPerUpload == 3)
        let nonsense = [
            ("--block-write-rate", "0"), ("--block-write-rate", "nan"), ("--block-write-burst", "0"),
            ("--max-files-per-upload", "0"),
        ]
        for (flag, value) in nonsense {
            #expect(throws: (any Error).self, "\(flag) \(value)") {
                try ChatServerCommand.parse([flag, value]).serverConfiguration(environment: [:])
            }
        }
    }
}
