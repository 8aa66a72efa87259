import ChatClientSDK
import ExampleSupport
import Foundation
import Histogram
import Synchronization

/// Runs the bots, the schedule and the progress line, and builds the report.
final class Fleet: Sendable {
    struct Plan: Sendable {
        var bots: Int
        var rate: Double
        var duration: Double
        var drain: Double
        var setupTimeout: Double
        var wireProtocol: WireProtocol
        var encoding: WireEncoding
        /// Each bot sends at its own random phase within the interval (`--stagger`).
        var stagger: Bool = false
        var configuration: ChatClient.Configuration

        /// Seconds between two sends of one member (each member sends half the channel's rate).
        var interval: Double { 2 / self.rate }
    }

    /// When sending starts: a monotonic instant to sleep on, and the same moment on the wall clock (ns).
    struct Start: Sendable {
        var instant: ContinuousClock.Instant
        var wallNanos: Int64
    }

    let plan: Plan
    let shutdown: GracefulShutdown
    private let stats = FleetStats()
    private let ready = Atomic<Int>(0)
    /// One-shot flags: sending may begin; the run is over (receivers stop, channels are left).
    private let go = GracefulShutdown()
    private let stop = GracefulShutdown()
    private let start = Mutex<Start?>(nil)

    init(plan: Plan, shutdown: GracefulShutdown) {
        self.plan = plan
        self.shutdown = shutdown
    }

    func run() async throws -> FleetReport {
        try await withThrowingDiscardingTaskGroup(returning: FleetReport.self) { group in
            for index in 0..<self.plan.bots {
                group.addTask { try await self.runBot(index) }
            }
            defer { self.stop.trigger() }
            // Setup: every bot signed up, matched, connected, and saw its peer online.
            let setupDeadline = ContinuousClock.now + .milliseconds(Int64(self.plan.setupTimeout * 1000))
            while self.ready.load(ordering: .relaxed) < self.plan.bots {
                if group.isCancelled || self.shutdown.isRequested {
                    throw FleetError("interrupted during setup (\(self.readyCount) of \(self.plan.bots) bots ready)")
                }
                if ContinuousClock.now > setupDeadline {
                    throw FleetError(
                        "only \(self.readyCount) of \(self.plan.bots) bots were matched and connected within "
                            + "\(self.plan.setupTimeout) s"
                    )
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let begin = Start(
                instant: ContinuousClock.now + .milliseconds(250),
                wallNanos: FleetMessage.now() + 250_000_000
            )
            self.start.withLock { $0 = begin }
            Console.log(
                "\(self.plan.bots / 2) channels ready; sending \(self.plan.rate) msgs/s per channel for "
                    + "\(self.plan.duration) s"
            )
            self.go.trigger()
            let sendingEnds = begin.instant + .milliseconds(Int64(self.plan.duration * 1000))
            let drainEnds = sendingEnds + .milliseconds(Int64(self.plan.drain * 1000))
            var interrupted = false
            while true {
                let now = ContinuousClock.now
                let snapshot = self.stats.snapshot
                let allSent = snapshot.sendersDone == self.plan.bots
                if allSent && snapshot.delivered >= snapshot.sent { break }
                if now >= drainEnds { break }
                if self.shutdown.isRequested {
                    interrupted = true
                    break
                }
                if group.isCancelled { throw FleetError("a bot failed") }
                self.showProgress(snapshot, elapsed: now - begin.instant)
                try await Task.sleep(for: .milliseconds(250))
            }
            self.showProgress(self.stats.snapshot, elapsed: ContinuousClock.now - begin.instant, final: true)
            self.stop.trigger()
            return FleetReport(plan: self.plan, stats: self.stats.snapshot, interrupted: interrupted)
        }
    }

    private var readyCount: Int { self.ready.load(ordering: .relaxed) }

    private func showProgress(_ snapshot: FleetStats.Snapshot, elapsed: Duration, final: Bool = false) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let p99 = Double(snapshot.latency.valueAtPercentile(99)) / 1000
        let line = String(
            format: "[%5.1f s] sent %d  delivered %d  in flight %d  dup %d  p99 %.2f ms",
            max(0, seconds),
            snapshot.sent,
            snapshot.delivered,
            snapshot.sent - snapshot.delivered,
            snapshot.duplicates,
            p99
        )
        if Console.isErrorTerminal {
            Console.progress("\r\u{1B}[K" + line + (final ? "\n" : ""))
        } else if final || Int(seconds * 4) % 4 == 0 {
            Console.log(line)
        }
    }

    // MARK: One bot

    private func runBot(_ index: Int) async throws {
        do {
            try await self.runBotSession(index)
        } catch {
            if !self.stop.isRequested { Console.log("bot \(index) failed: \(error)") }
            throw error
        }
    }

    private func runBotSession(_ index: Int) async throws {
        try await withChatClient(configuration: self.plan.configuration) { client in
            let me = try await client.signUp(name: "fleet-\(index)")
            let match = try await client.match()
            try await client.withSession(match) { session in
                let peerOnline = GracefulShutdown()  // a one-shot flag
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        _ = try await self.stop.cancellingOnShutdown {
                            try await self.receive(in: session, me: me.id, peerOnline: peerOnline)
                        }
                    }
                    await peerOnline.wait()
                    self.ready.add(1, ordering: .relaxed)
                    await self.go.wait()
                    if let begin = self.start.withLock({ $0 }) {
                        // The two members of a channel take turns: the lower user id sends first.
                        let second = match.peerID.map { me.id > $0 } ?? Bool.random()
                        _ = try await self.stop.cancellingOnShutdown {
                            try await self.send(in: session, index: index, begin: begin, offsetHalf: second)
                        }
                    }
                    self.stats.update { $0.sendersDone += 1 }
                    try await group.waitForAll()
                }
                if let peer = match.peerID, me.id < peer {
                    try? await session.leave()
                }
            }
        }
    }

    /// Sends on the fixed schedule: message k at start + (k + offset) × interval, whatever happened before.
    private func send(in session: ChatSession, index: Int, begin: Start, offsetHalf: Bool) async throws {
        let interval = self.plan.interval
        let phase = self.plan.stagger ? Double.random(in: 0..<1) : (offsetHalf ? 0.5 : 0)
        var sequence = 0
        while true {
            let offset = (Double(sequence) + phase) * interval
            guard offset < self.plan.duration else { return }
            let message = FleetMessage(
                sender: index,
                sequence: sequence,
                scheduledNanos: begin.wallNanos + Int64(offset * 1e9)
            )
            try await Task.sleep(until: begin.instant + .nanoseconds(Int64(offset * 1e9)), clock: .continuous)
            let late = UInt64(max(0, FleetMessage.now() - message.scheduledNanos) / 1000)
            do {
                try await session.send(text: message.text)
                self.stats.update { stats in
                    stats.sent += 1
                    stats.sendLateness.record(max(1, late))
                }
            } catch let error as ChatError where error.code != .cancelled {
                self.stats.update { $0.sendErrors += 1 }
            }
            sequence += 1
        }
    }

    /// Counts what arrives: the peer's messages (latency, duplicates, order), our own echoes, reconnects.
    private func receive(in session: ChatSession, me: UserID, peerOnline: GracefulShutdown) async throws {
        var received = Set<Int>()
        var highest = -1
        for try await event in session.events {
            switch event {
            case .message(let message) where message.senderID != me:
                let arrival = FleetMessage.now()
                guard let text = message.text, let fleet = FleetMessage(text: text) else {
                    self.stats.update { $0.foreign += 1 }
                    continue
                }
                let isNew = received.insert(fleet.sequence).inserted
                let isLate = fleet.sequence < highest
                highest = max(highest, fleet.sequence)
                let micros = UInt64(max(0, arrival - fleet.scheduledNanos) / 1000)
                self.stats.update { stats in
                    if isNew {
                        stats.delivered += 1
                        stats.latency.record(max(1, micros))
                        if isLate { stats.outOfOrder += 1 }
                    } else {
                        stats.duplicates += 1
                    }
                }
            case .message(let message) where message.localID != nil:
                self.stats.update { $0.confirmed += 1 }
            case .joined:
                // Sent when a member connects while the other is online: both are in.
                peerOnline.trigger()
            case .connection(.reconnecting):
                self.stats.update { $0.reconnects += 1 }
            default:
                break
            }
        }
    }
}

struct FleetError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
