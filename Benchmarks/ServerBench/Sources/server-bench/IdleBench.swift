import ChatClientSDK
import Foundation
import Synchronization

/// B5: `--conns K` authenticated chat connections held idle. Signs up and matches K guests (K/2 channels; the match
/// sockets close once matched), posts `matched` in `--control` and waits for the script's `go` (it reads the
/// server's memory then); opens K chat sessions, posts `connected` (the count) when every session reports
/// `connected`, and holds them until the script posts `done`.
enum IdleBench {
    static func run(_ arguments: Arguments) async throws {
        let bots = try arguments.int("conns", 1000) / 2 * 2
        let configuration = try {
            var configuration = try arguments.clientConfiguration()
            configuration.pingInterval = nil  // idle: only the server's pings
            return configuration
        }()
        let control = ControlDirectory(path: arguments.string("control", "."))
        let limit = Semaphore(try arguments.int("concurrency", 128))
        let matched = Counter()
        let connected = Counter()
        let failed = Counter()
        let go = Gate()
        let setupStart = ContinuousClock.now

        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<bots {
                group.addTask {
                    do {
                        try await withClient(configuration) { client in
                            let match = try await limit.withPermit {
                                _ = try await client.signUp(name: "idle-\(index)")
                                return try await client.match()
                            }
                            matched.increment()
                            await go.wait()
                            try await client.withSession(match) { session in
                                var counted = false
                                let release = Gate()
                                try await limit.withPermit {
                                    for try await event in session.events {
                                        if case .connection(.connected) = event {
                                            counted = true
                                            connected.increment()
                                            break
                                        }
                                    }
                                }
                                if !counted { failed.increment() }
                                await release.wait()  // held until the process exits
                            }
                        }
                    } catch {
                        failed.increment()
                        log("bot \(index): \(error)")
                    }
                }
            }
            while matched.value + failed.value < bots {
                try await Task.sleep(for: .milliseconds(20))
            }
            log("\(bots) guests matched in \(seconds(ContinuousClock.now - setupStart)) s")
            try control.post("matched", "\(matched.value)")
            _ = try await control.wait(for: "go")
            let connectStart = ContinuousClock.now
            go.open()
            while connected.value + failed.value < bots {
                try await Task.sleep(for: .milliseconds(20))
            }
            let connectSeconds = seconds(ContinuousClock.now - connectStart)
            log("\(connected.value) sessions connected in \(connectSeconds) s")
            try control.post(
                "connected",
                "{\"connected\": \(connected.value), \"failed\": \(failed.value), "
                    + "\"connect_seconds\": \(connectSeconds)}"
            )
            _ = try await control.wait(for: "done")
            exit(0)
        }
    }
}
