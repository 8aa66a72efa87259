import Foundation
import Synchronization

/// Sonyflake-style unique ids: 39 bits of 10 ms ticks since 2014-09-01, 8 bits of sequence, 16 bits of machine id.
///
/// Ids are unique within a process and roughly time ordered; the machine id is random per start, and the clock
/// only moves forward (a tick is borrowed when the sequence overflows), so restarts do not reuse ids.
final class IDGenerator: Sendable {
    private struct State {
        var lastTick: UInt64 = 0
        var sequence: UInt64 = 0
    }

    private static let epoch: TimeInterval = 1_409_529_600  // 2014-09-01T00:00:00Z
    private let machineID: UInt64
    private let state = Mutex(State())

    init(machineID: UInt16 = .random(in: 0 ... .max)) {
        self.machineID = UInt64(machineID)
    }

    /// The next id.
    func next() -> UInt64 {
        let now = UInt64(max(0, (Date().timeIntervalSince1970 - Self.epoch) * 100))
        return self.state.withLock { state in
            if now > state.lastTick {
                state.lastTick = now
                state.sequence = 0
            } else {
                state.sequence += 1
                if state.sequence > 0xFF {
                    state.lastTick += 1
                    state.sequence = 0
                }
            }
            return (state.lastTick & 0x7F_FFFF_FFFF) << 24 | state.sequence << 16 | self.machineID
        }
    }
}
