import Foundation
import Histogram
import Synchronization

/// The fleet's counters and latency histogram, shared by every bot.
final class FleetStats: Sendable {
    struct Snapshot: Sendable {
        var sent = 0
        var sendErrors = 0
        var confirmed = 0
        var delivered = 0
        var duplicates = 0
        var outOfOrder = 0
        var foreign = 0
        var reconnects = 0
        var sendersDone = 0
        /// One-way latency in microseconds.
        var latency = Self.microseconds()
        /// How late the bots called `send` after the scheduled time, in microseconds: the fleet's own timer
        /// wake-ups, part of every latency (the schedule is open loop).
        var sendLateness = Self.microseconds()

        static func microseconds() -> Histogram<UInt64> {
            Histogram(
                lowestDiscernibleValue: 1,
                highestTrackableValue: 3_600_000_000,
                numberOfSignificantValueDigits: .three
            )
        }
    }

    private let state = Mutex(Snapshot())

    func update(_ body: (inout Snapshot) -> Void) {
        self.state.withLock { body(&$0) }
    }

    var snapshot: Snapshot { self.state.withLock { $0 } }
}

/// The text of a fleet message: `fleet|<sender>|<sequence>|<scheduled send time, ns since 1970>`.
///
/// The receiver subtracts the embedded time from its own clock: one-way latency, valid because every bot runs on
/// the same machine (the same clock). The time is when the message was *scheduled*, not when it went out, so a
/// sender that falls behind shows up as latency (no coordinated omission).
struct FleetMessage: Hashable, Sendable {
    var sender: Int
    var sequence: Int
    var scheduledNanos: Int64

    var text: String { "fleet|\(self.sender)|\(self.sequence)|\(self.scheduledNanos)" }

    init(sender: Int, sequence: Int, scheduledNanos: Int64) {
        self.sender = sender
        self.sequence = sequence
        self.scheduledNanos = scheduledNanos
    }

    init?(text: String) {
        let parts = text.split(separator: "|")
        guard parts.count == 4, parts[0] == "fleet", let sender = Int(parts[1]), let sequence = Int(parts[2]),
            let nanos = Int64(parts[3])
        else { return nil }
        self.init(sender: sender, sequence: sequence, scheduledNanos: nanos)
    }

    /// Nanoseconds since 1970 on the wall clock.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
