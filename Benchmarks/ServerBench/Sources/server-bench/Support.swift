import ChatClientSDK
import Foundation
import Synchronization

/// `--name value` arguments after the subcommand.
struct Arguments {
    let values: [String: String]

    init(_ arguments: ArraySlice<String>) throws {
        var values: [String: String] = [:]
        var iterator = arguments.makeIterator()
        while let name = iterator.next() {
            guard name.hasPrefix("--"), let value = iterator.next() else {
                throw BenchError("expected --name value, got \(name)")
            }
            values[String(name.dropFirst(2))] = value
        }
        self.values = values
    }

    func string(_ name: String, _ fallback: String) -> String { self.values[name] ?? fallback }

    func optionalInt(_ name: String) throws -> Int? {
        guard self.values[name] != nil else { return nil }
        return try self.int(name, 0)
    }

    func int(_ name: String, _ fallback: Int) throws -> Int {
        guard let text = self.values[name] else { return fallback }
        guard let value = Int(text) else { throw BenchError("--\(name) wants an integer, got \(text)") }
        return value
    }

    /// The client configuration for `--server` and `--protocol v1|v2` (v2 speaks protobuf).
    func clientConfiguration() throws -> ChatClient.Configuration {
        var configuration = ChatClient.Configuration(baseURL: self.string("server", "http://127.0.0.1:8080"))
        switch self.string("protocol", "v1") {
        case "v1": configuration.protocolPreference = [.v1]
        case "v2": configuration.protocolPreference = [.v2Protobuf]
        case let other: throw BenchError("--protocol is v1 or v2, not \(other)")
        }
        // `--jitter-ms J`: every retry after the first (immediate) one waits a uniform random 0…J ms, so the
        // jitter window of B7 is exactly J. Without it the SDK's default exponential policy applies.
        if let jitter = try self.optionalInt("jitter-ms") {
            configuration.reconnectPolicy = ReconnectPolicy(
                initialDelay: .milliseconds(jitter),
                maxDelay: .milliseconds(jitter)
            )
        }
        return configuration
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A one-shot flag tasks can wait on.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = self.state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = self.state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// Limits how many tasks are inside a section at once.
final class Semaphore: Sendable {
    private let state: Mutex<(permits: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(_ permits: Int) { self.state = Mutex((permits, [])) }

    func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = self.state.withLock { state in
                if state.permits > 0 {
                    state.permits -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        defer {
            let next = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.permits += 1
                    return nil
                }
                return state.waiters.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}

/// Wall clock in nanoseconds since 1970 (comparable with `date +%s%N` in the driving script).
func wallNanos() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Percentiles of a sample (nearest rank), in the sample's unit.
func percentiles(_ values: [Double]) -> [String: Double] {
    guard !values.isEmpty else { return [:] }
    let sorted = values.sorted()
    func rank(_ p: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))]
    }
    return ["p50": rank(50), "p90": rank(90), "p99": rank(99), "max": sorted[sorted.count - 1]]
}

/// Control files shared with the driving script: the tool creates `name` and waits for the script's files.
struct ControlDirectory {
    let path: String

    func post(_ name: String, _ contents: String = "") throws {
        try contents.write(toFile: "\(self.path)/\(name)", atomically: true, encoding: .utf8)
    }

    /// Waits for `name` to hold a wall-clock timestamp in nanoseconds (written by `date +%s%N`).
    func waitForNanos(_ name: String) async throws -> Int64 {
        while true {
            let text = try await self.wait(for: name).trimmingCharacters(in: .whitespacesAndNewlines)
            if let value = Int64(text), value > 0 { return value }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func wait(for name: String) async throws -> String {
        let file = "\(self.path)/\(name)"
        while !FileManager.default.fileExists(atPath: file) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
    }
}

/// Prints a JSON object with sorted keys on standard output.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func log(_ line: String) {
    FileHandle.standardError.write(Data("[server-bench \(Date())] \(line)\n".utf8))
}

/// Runs `body` with a client that runs for as long as `body` does.
func withClient<T: Sendable>(
    _ configuration: ChatClient.Configuration,
    _ body: @Sendable (ChatClient) async throws -> T
) async throws -> T {
    try await withChatClient(configuration: configuration) { client in try await body(client) }
}

/// A counter tasks share.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { self.count.add(1, ordering: .relaxed) }

    var value: Int { self.count.load(ordering: .relaxed) }
}

/// A value tasks share behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { self.mutex = Mutex(value) }

    func withLock<T: Sendable>(_ body: (inout sending Value) throws -> sending T) rethrows -> T {
        try self.mutex.withLock(body)
    }
}

/// CPU seconds (user + system) of a process: `/proc/<pid>/stat` fields 14 and 15; `nil` pid means this process.
func cpuSeconds(pid: Int?) -> Double? {
    guard let pid else {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Server and own CPU over a phase.
struct CPUMeter {
    let serverPID: Int?
    private let server0: Double?
    private let self0: Double?

    init(serverPID: Int?) {
        self.serverPID = serverPID
        self.server0 = serverPID.flatMap { cpuSeconds(pid: $0) }
        self.self0 = cpuSeconds(pid: nil)
    }

    /// `server_cpu_seconds` (when `--server-pid` was given) and `client_cpu_seconds` since `init`.
    func report() -> [String: Double] {
        var result: [String: Double] = [:]
        if let before = self.server0, let after = self.serverPID.flatMap({ cpuSeconds(pid: $0) }) {
            result["server_cpu_seconds"] = after - before
        }
        if let before = self.self0, let after = cpuSeconds(pid: nil) { result["client_cpu_seconds"] = after - before }
        return result
    }
}
