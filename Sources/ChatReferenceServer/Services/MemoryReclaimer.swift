import CGlibcMalloc
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Gives the kernel back the memory glibc's allocator keeps after it was freed (Linux with glibc only; a no-op
/// elsewhere).
///
/// glibc keeps freed chunks for reuse and returns pages to the kernel only from the top of a heap, so the garbage of
/// sign-ups, matches and websocket handshakes stays resident after it was freed (issue 9, B5: about 9 KB per chat
/// connection). Every ``interval``, off the event loops, the reclaimer reads ``HeapStatistics`` and the resident size
/// and calls `malloc_trim(0)`, which releases every whole free page of every arena, when ``ReclaimPolicy`` says there
/// is enough to gain. It runs until graceful shutdown and never throws.
final class MemoryReclaimer: Service, Sendable {
    /// How often the heap is checked.
    let interval: Duration
    private let policy: Mutex<ReclaimPolicy>
    private let walks: Mutex<HeapWalkSchedule>
    private let metrics: ServerMetrics
    private let logger: Logger

    /// A reclaimer that checks every `interval` and trims when at least `threshold` bytes are to be gained.
    init(interval: Duration, threshold: Int, metrics: ServerMetrics, logger: Logger) {
        self.interval = interval
        self.policy = Mutex(ReclaimPolicy(threshold: threshold))
        self.walks = Mutex(HeapWalkSchedule(threshold: threshold))
        self.metrics = metrics
        self.logger = logger
    }

    func run() async {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                self.reclaim()
            }
        }
    }

    /// One check, and a trim when the policy asks for it; returns the bytes the trim released from the resident
    /// set (`nil` when it did not trim).
    @discardableResult
    func reclaim() -> Int? {
        guard let resident = HeapStatistics.residentBytes(),
            self.walks.withLock({ $0.shouldWalk(resident: resident) }),
            let heap = HeapStatistics.current()
        else { return nil }
        let sample = ReclaimPolicy.Sample(inUse: heap.inUse, free: heap.free, resident: resident)
        guard self.policy.withLock({ $0.shouldTrim(sample) }) else { return nil }
        _ = c_glibc_malloc_trim()
        let after = HeapStatistics.current() ?? heap
        let residentAfter = HeapStatistics.residentBytes() ?? resident
        self.policy.withLock {
            $0.trimmed(.init(inUse: after.inUse, free: after.free, resident: residentAfter))
        }
        let released = max(0, resident - residentAfter)
        self.metrics.mallocTrims.increment()
        self.metrics.mallocTrimReleased.increment(by: Int64(released))
        self.logger.debug(
            "malloc_trim",
            metadata: [
                "malloc.free": "\(heap.free)", "malloc.in_use": "\(heap.inUse)", "process.resident": "\(resident)",
                "malloc.released": "\(released)",
            ]
        )
        return released
    }
}

/// When ``MemoryReclaimer`` reads the heap statistics: `mallinfo2` walks every free chunk of every arena, which takes
/// milliseconds on a fragmented heap — on an idle server with 9,000 connections it was a third of all CPU samples
/// when every check walked, and one walk a minute (≈ 14 ms each) was still ≈ 5 % of that server's idle CPU (B8).
/// While the resident size stays within a quarter of the threshold of the last walk's, only every
/// ``steadyChecksPerWalk``-th check walks (so memory freed without a change of the resident size, such as closed
/// connections, is still found within that many intervals: 5 minutes at the default 10 s).
struct HeapWalkSchedule: Sendable {
    /// Checks per heap walk while the resident size is steady.
    static let steadyChecksPerWalk = 30

    let threshold: Int
    private var lastWalkResident: Int?
    private var checksSinceWalk = 0

    init(threshold: Int) {
        self.threshold = threshold
    }

    /// Whether this check reads the heap statistics; counts the check.
    mutating func shouldWalk(resident: Int) -> Bool {
        self.checksSinceWalk += 1
        if let last = self.lastWalkResident, abs(resident - last) < max(1, self.threshold / 4),
            self.checksSinceWalk < Self.steadyChecksPerWalk
        {
            return false
        }
        self.lastWalkResident = resident
        self.checksSinceWalk = 0
        return true
    }
}

/// When ``MemoryReclaimer`` trims: when the allocator holds at least `threshold` free bytes and, since the last trim,
/// the resident size grew by at least `threshold` more than the live heap did (freed memory became resident again).
///
/// A trim leaves the free bytes free (only their pages go), so "free bytes above the threshold" alone would trim on
/// every check once the heap is fragmented; the growth test trims only when there is something new to release.
struct ReclaimPolicy: Sendable {
    /// What the allocator and the kernel say at one moment, in bytes.
    struct Sample: Sendable, Equatable {
        /// Live heap bytes.
        var inUse: Int
        /// Freed bytes the allocator holds.
        var free: Int
        /// The process's resident memory.
        var resident: Int
    }

    /// The least free memory, and the least growth of resident memory beyond the live heap's, worth a trim.
    let threshold: Int
    private var afterLastTrim: Sample?

    init(threshold: Int) {
        self.threshold = threshold
    }

    /// Whether to trim now.
    func shouldTrim(_ sample: Sample) -> Bool {
        guard sample.free >= self.threshold else { return false }
        guard let last = self.afterLastTrim else { return true }
        return (sample.resident - last.resident) - (sample.inUse - last.inUse) >= self.threshold
    }

    /// Records the state right after a trim, the base of the next growth test.
    mutating func trimmed(_ sample: Sample) {
        self.afterLastTrim = sample
    }
}
