import NIOCore
import Synchronization

/// Something with a periodic heartbeat on an event loop: a websocket connection.
protocol HeartbeatTarget: AnyObject {
    /// The heartbeat's deadline came; runs on the wheel's event loop.
    func heartbeatDue()
}

/// The heartbeats of one event loop's connections, in slots of the heartbeat grid
/// (``WebSocketConnection/onGrid(_:slack:)``): the connections due in one slot share one scheduled task, so the event
/// loop keeps one timer per slot instead of one per connection (thousands of idle connections cost a few dozen NIO
/// timers, and the loop wakes once per slot: B8, idle CPU).
///
/// Confined to its event loop: every method must be called on it.
final class HeartbeatWheel: @unchecked Sendable {
    private static let wheels = Mutex<[ObjectIdentifier: HeartbeatWheel]>([:])

    /// The wheel of `eventLoop`, made on first use; it lives as long as the process.
    static func of(_ eventLoop: any EventLoop) -> HeartbeatWheel {
        wheels.withLock { wheels in
            if let wheel = wheels[ObjectIdentifier(eventLoop)] { return wheel }
            let wheel = HeartbeatWheel(eventLoop: eventLoop)
            wheels[ObjectIdentifier(eventLoop)] = wheel
            return wheel
        }
    }

    private let eventLoop: any EventLoop
    private var slots: [UInt64: [ObjectIdentifier: any HeartbeatTarget]] = [:]

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The slots with a scheduled task (each fires once, then is gone).
    var scheduledSlots: Int {
        self.eventLoop.preconditionInEventLoop()
        return self.slots.count
    }

    /// Calls `target.heartbeatDue()` at `deadline` (a point of the grid); returns the slot, for ``remove(_:from:)``.
    func add(_ target: any HeartbeatTarget, at deadline: NIODeadline) -> UInt64 {
        self.eventLoop.preconditionInEventLoop()
        let slot = deadline.uptimeNanoseconds
        if self.slots[slot] == nil {
            self.slots[slot] = [:]
            self.eventLoop.scheduleTask(deadline: deadline) { [self] in self.fire(slot) }
        }
        self.slots[slot]?[ObjectIdentifier(target)] = target
        return slot
    }

    /// Takes `target` out of `slot` (a closed connection, or one that moved to another slot).
    func remove(_ target: any HeartbeatTarget, from slot: UInt64) {
        self.eventLoop.preconditionInEventLoop()
        self.slots[slot]?.removeValue(forKey: ObjectIdentifier(target))
    }

    /// At most this many heartbeats run in one go; the rest of the slot follows ``pause`` later, so the socket
    /// events that arrived meanwhile are handled in between. NIO runs every task due before it polls the sockets
    /// again, so a slot of thousands of connections run at once held the loop for tens of milliseconds: every message
    /// arriving meanwhile waited (B3's tail at 10,000 connections).
    static let batch = 64
    /// The gap between two batches of one slot: the loop polls its sockets in between.
    static let pause = TimeAmount.microseconds(500)

    private func fire(_ slot: UInt64) {
        guard let due = self.slots.removeValue(forKey: slot) else { return }
        self.run(Array(due.values)[...])
    }

    private func run(_ due: ArraySlice<any HeartbeatTarget>) {
        for target in due.prefix(Self.batch) { target.heartbeatDue() }
        let rest = due.dropFirst(Self.batch)
        guard !rest.isEmpty else { return }
        self.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) { self.run(rest) }
    }
}
