import ChatClientSDK
import Foundation
import Synchronization

/// B7: `--conns K` clients in K/2 channels, each member sends `--before` messages and waits for its peer's; then
/// the tool posts `ready` in `--control`. The script kills the server (SIGKILL) and posts `killed`; every member
/// then sends `--during` more messages (queued by the SDK while the server is down). The script restarts the
/// server and posts `listening` with the wall-clock nanoseconds at which `/health` first answered. Each member is
/// caught up when it holds every message its peer sent; the report gives the time from `listening` to the last
/// reconnect and to the last member caught up, losses and duplicates.
enum RestartBench {
    struct Member: Sendable {
        var reconnectedNanos: Int64?
        var caughtUpNanos: Int64?
        var received = 0
        var duplicates = 0
    }

    /// What the members and the main task share.
    final class Shared: Sendable {
        let ready = Counter()
        let killedAt = Atomic<Int64>(0)
        let members = Locked<[Int: Member]>([:])
    }

    static func run(_ arguments: Arguments) async throws {
        let bots = try arguments.int("conns", 200) / 2 * 2
        let before = try arguments.int("before", 3)
        let during = try arguments.int("during", 1)
        let timeout = try arguments.int("timeout", 60)
        let configuration = try arguments.clientConfiguration()
        let control = ControlDirectory(path: arguments.string("control", "."))
        let limit = Semaphore(try arguments.int("concurrency", 128))
        let shared = Shared()
        let failed = Counter()
        let killed = Gate()
        let stop = Gate()

        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<bots {
                group.addTask {
                    do {
                        try await withClient(configuration) { client in
                            let match = try await limit.withPermit {
                                _ = try await client.signUp(name: "restart-\(index)")
                                return try await client.match()
                            }
                            try await client.withSession(match) { session in
                                try await Self.member(
                                    index: index,
                                    session: session,
                                    match: match,
                                    counts: (before, during),
                                    gates: (killed, stop),
                                    shared: shared
                                )
                            }
                        }
                    } catch {
                        failed.increment()
                        log("bot \(index): \(error)")
                    }
                }
            }
            while shared.ready.value + failed.value < bots {
                try await Task.sleep(for: .milliseconds(20))
            }
            log("\(shared.ready.value) members ready, \(failed.value) failed")
            try control.post("ready", "\(shared.ready.value)")
            shared.killedAt.store(try await control.waitForNanos("killed"), ordering: .relaxed)
            killed.open()
            let listening = try await control.waitForNanos("listening")
            let deadline = ContinuousClock.now + .seconds(timeout)
            while ContinuousClock.now < deadline {
                let done = shared.members.withLock { $0.values.filter { $0.caughtUpNanos != nil }.count }
                if done + failed.value >= bots { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let snapshot = shared.members.withLock { $0 }
            let reconnected = snapshot.values.compactMap(\.reconnectedNanos)
            let caughtUp = snapshot.values.compactMap(\.caughtUpNanos)
            let expected = bots * (before + during)
            let received = snapshot.values.reduce(0) { $0 + $1.received }
            func sinceListening(_ nanos: [Int64]) -> Any {
                guard let last = nanos.max() else { return NSNull() }
                return Double(last - listening) / 1e9
            }
            try printJSON([
                "benchmark": "B7 restart recovery (SIGKILL)",
                "protocol": arguments.string("protocol", "v1"),
                "clients": bots,
                "clients_failed_setup": failed.value,
                "messages_before_kill_per_member": before,
                "messages_during_outage_per_member": during,
                "killed_to_listening_seconds": Double(listening - shared.killedAt.load(ordering: .relaxed)) / 1e9,
                "reconnected": reconnected.count,
                "caught_up": caughtUp.count,
                "listening_to_all_reconnected_seconds": sinceListening(reconnected),
                "listening_to_all_caught_up_seconds": sinceListening(caughtUp),
                "reconnect_after_listening_ms": percentiles(reconnected.map { Double($0 - listening) / 1e6 }),
                "caught_up_after_listening_ms": percentiles(caughtUp.map { Double($0 - listening) / 1e6 }),
                "messages_expected": expected,
                "messages_received_unique": received,
                "messages_lost": expected - received,
                "duplicates": snapshot.values.reduce(0) { $0 + $1.duplicates },
                "reconnect_policy": try arguments.optionalInt("jitter-ms").map {
                    "first retry immediate, then uniform 0…\($0) ms before each retry (J = \($0) ms)"
                } ?? "SDK default: first retry immediate, then full jitter with bounds 0.5 s, 1 s, 2 s, 4 s … 20 s",
            ])
            stop.open()
            exit(0)
        }
    }

    private static func member(
        index: Int,
        session: ChatSession,
        match: ChatMatch,
        counts: (before: Int, during: Int),
        gates: (killed: Gate, stop: Gate),
        shared: Shared
    ) async throws {
        shared.members.withLock { $0[index] = Member() }
        let peerReady = Gate()
        let me = match.userID
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var seen = Set<String>()
                for try await event in session.events {
                    switch event {
                    case .connection(.connected):
                        let at = shared.killedAt.load(ordering: .relaxed)
                        if at != 0 {
                            shared.members.withLock {
                                if $0[index]?.reconnectedNanos == nil { $0[index]?.reconnectedNanos = wallNanos() }
                            }
                        }
                    case .message(let message) where message.senderID != me:
                        guard let text = message.text else { continue }
                        let isNew = seen.insert(text).inserted
                        let count = seen.count
                        shared.members.withLock { state in
                            if isNew { state[index]?.received += 1 } else { state[index]?.duplicates += 1 }
                            if count == counts.before + counts.during, state[index]?.caughtUpNanos == nil {
                                state[index]?.caughtUpNanos = wallNanos()
                            }
                        }
                        if count == counts.before { peerReady.open() }
                    default:
                        continue
                    }
                }
            }
            for sequence in 0..<counts.before {
                try await session.send(text: "b7|\(index)|\(sequence)")
            }
            await peerReady.wait()
            shared.ready.increment()
            await gates.killed.wait()
            for sequence in counts.before..<(counts.before + counts.during) {
                try await session.send(text: "b7|\(index)|\(sequence)")
            }
            await gates.stop.wait()
            group.cancelAll()
        }
    }
}
