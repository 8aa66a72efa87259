import ChatClientSDK
import Foundation
import Synchronization

/// B6: `--pairs N` pairs matched end to end. Signs up 2N guests first (not timed), then all 2N clients call
/// `match()` at once; the clock runs from that moment to the last `match()` return (both members hold a token).
enum MatchBench {
    static func run(_ arguments: Arguments) async throws {
        let pairs = try arguments.int("pairs", 500)
        let configuration = try arguments.clientConfiguration()
        let signUpLimit = Semaphore(try arguments.int("signup-concurrency", 64))
        let bots = 2 * pairs
        let signedUp = Counter()
        let go = Gate()
        let start = Locked<ContinuousClock.Instant>(.now)
        let results = Locked<[(channel: ChannelID, latency: Duration, done: ContinuousClock.Instant)]>([])
        let failures = Locked<[String]>([])
        let signUpStart = ContinuousClock.now
        let serverPID = try arguments.int("server-pid", 0)
        let meter = Locked<CPUMeter?>(nil)

        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<bots {
                group.addTask {
                    try await withClient(configuration) { client in
                        do {
                            _ = try await signUpLimit.withPermit { try await client.signUp(name: "match-\(index)") }
                        } catch {
                            failures.withLock { $0.append("sign-up: \(error)") }
                            signedUp.increment()
                            return
                        }
                        signedUp.increment()
                        await go.wait()
                        do {
                            let match = try await client.match()
                            let now = ContinuousClock.now
                            let began = start.withLock { $0 }
                            results.withLock { $0.append((match.channelID, now - began, now)) }
                        } catch {
                            failures.withLock { $0.append("match: \(error)") }
                        }
                    }
                }
            }
            while signedUp.value < bots {
                try await Task.sleep(for: .milliseconds(10))
            }
            let signUpSeconds = seconds(ContinuousClock.now - signUpStart)
            log("\(bots) guests signed up in \(signUpSeconds) s; matching \(pairs) pairs")
            meter.withLock { $0 = CPUMeter(serverPID: serverPID > 0 ? serverPID : nil) }
            start.withLock { $0 = ContinuousClock.now }
            go.open()
        }

        let cpu = meter.withLock { $0?.report() ?? [:] }
        let began = start.withLock { $0 }
        let done = results.withLock { $0 }
        let errors = failures.withLock { $0 }
        let last = done.map(\.done).max() ?? began
        let wall = seconds(last - began)
        var perChannel: [ChannelID: Int] = [:]
        for result in done { perChannel[result.channel, default: 0] += 1 }
        let completePairs = perChannel.values.filter { $0 == 2 }.count
        let latencies = percentiles(done.map { seconds($0.latency) * 1000 })
        try printJSON([
            "benchmark": "B6 matching, end to end",
            "protocol": arguments.string("protocol", "v1"),
            "pairs_requested": pairs,
            "pairs_complete": completePairs,
            "channels_with_other_than_two_members": perChannel.values.filter { $0 != 2 }.count,
            "errors": errors.count,
            "first_errors": Array(errors.prefix(5)),
            "wall_seconds": wall,
            "pairs_per_second": wall > 0 ? Double(completePairs) / wall : 0,
            "match_latency_ms": latencies,
            "cpu_seconds_while_matching": cpu,
        ])
    }
}

/// `token`: signs up two guests, matches them and prints one member's channel token (for the upload benchmark).
enum TokenCommand {
    static func run(_ arguments: Arguments) async throws {
        let configuration = try arguments.clientConfiguration()
        let matches = try await withThrowingTaskGroup(of: ChatMatch.self, returning: [ChatMatch].self) { group in
            for index in 0..<2 {
                group.addTask {
                    try await withClient(configuration) { client in
                        _ = try await client.signUp(name: "token-\(index)")
                        return try await client.match()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try printJSON(["channel": "\(matches[0].channelID)", "token": matches[0].token])
    }
}
