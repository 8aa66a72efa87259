// B1 wall-clock rounds, B1a malloc counts and B2 frame sizes for the sample chat frame, as one JSON object.
//
//   codec-bench time [rounds] [milliseconds-per-sample] [payload]   interleaved rounds; WITHOUT the interposer
//   codec-bench mallocs [payload]           needs LD_PRELOAD=<build>/libMallocInterposerSwift.so
//   codec-bench sizes [payload]             deterministic byte counts
// payload: 31B-ascii (the default, the one the targets are stated for), 1KB-utf8 or 4000B-ascii.
import CodecSamples
import Foundation
import MallocInterposerSwift

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("codec-bench: \(message)\n".utf8))
    exit(code)
}

func printJSON(_ object: [String: Any]) {
    do {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } catch {
        fail("cannot render the result: \(error)")
    }
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Times every operation in `rounds` interleaved rounds (the order rotates each round), each sample a loop sized to
/// take about `millisecondsPerSample`. Ratios are taken within each round, then the median over rounds.
func timeOperations(_ bench: CodecBench, rounds: Int, millisecondsPerSample: Double) throws -> [String: Any] {
    let clock = ContinuousClock()
    let operations = CodecOperation.allCases
    var iterations: [CodecOperation: Int] = [:]
    for operation in operations {
        var count = 64
        while true {
            let elapsed = nanoseconds(try clock.measure { _ = try bench.run(operation, iterations: count) })
            if elapsed >= millisecondsPerSample * 1e6 / 4 || count >= 1 << 26 {
                iterations[operation] = max(1, Int(Double(count) * millisecondsPerSample * 1e6 / max(elapsed, 1)))
                break
            }
            count *= 4
        }
    }
    var samples: [CodecOperation: [Double]] = [:]
    for round in 0..<rounds {
        for index in operations.indices {
            let operation = operations[(index + round) % operations.count]
            let count = iterations[operation] ?? 1
            let elapsed = nanoseconds(try clock.measure { _ = try bench.run(operation, iterations: count) })
            samples[operation, default: []].append(elapsed / Double(count))
        }
    }
    var perOperation: [String: Any] = [:]
    var ratios: [String: Any] = [:]
    for operation in operations {
        let values = samples[operation] ?? []
        perOperation[operation.rawValue] = [
            "ns_per_op_median": median(values),
            "ns_per_op_min": values.min() ?? 0,
            "ns_per_op_max": values.max() ?? 0,
            "iterations_per_sample": iterations[operation] ?? 0,
        ]
        if let baseline = operation.baseline, let base = samples[baseline] {
            let perRound = zip(base, values).map { $0 / $1 }
            ratios["\(baseline.rawValue)/\(operation.rawValue)"] = [
                "median": median(perRound),
                "min": perRound.min() ?? 0,
                "max": perRound.max() ?? 0,
            ]
        }
    }
    return ["rounds": rounds, "ms_per_sample": millisecondsPerSample, "operations": perOperation, "ratios": ratios]
}

/// Counts mallocs per operation: (count over N2 calls − count over N1 calls) / (N2 − N1), after a warm-up, so
/// one-time work (lazy metadata, caches, the interposer's own bookkeeping) cancels out.
func countMallocs(_ bench: CodecBench, payload: Samples.Payload) throws -> [String: Any] {
    MallocInterposerSwift.initialize()
    func mallocs(_ body: () throws -> Void) rethrows -> (mallocs: Int, frees: Int) {
        MallocInterposerSwift.reset()
        MallocInterposerSwift.hook()
        try body()
        MallocInterposerSwift.unhook()
        let statistics = MallocInterposerSwift.getStatistics()
        return (statistics.mallocCount, statistics.freeCount)
    }
    let probe = mallocs {
        for count in 1...10 { _ = [UInt8](repeating: 1, count: 100 + count).count }
    }
    guard probe.mallocs >= 10 else {
        fail("the malloc interposer is not active (set LD_PRELOAD to libMallocInterposerSwift.so)", code: 2)
    }
    let (first, second) = (1_000, 2_000)
    func perOperation(_ bench: CodecBench, _ operation: CodecOperation) throws -> [String: Any] {
        _ = try bench.run(operation, iterations: 100)
        let low = try mallocs { _ = try bench.run(operation, iterations: first) }
        let high = try mallocs { _ = try bench.run(operation, iterations: second) }
        return [
            "mallocs_per_op": Double(high.mallocs - low.mallocs) / Double(second - first),
            "frees_per_op": Double(high.frees - low.frees) / Double(second - first),
        ]
    }
    var result: [String: Any] = [:]
    for operation in CodecOperation.allCases {
        result[operation.rawValue] = try perOperation(bench, operation)
    }
    // B1a as the peer receives a chat push: since the server sends `client_msg_id` to the author's connections only
    // (PROTOCOL.md RC-CHAT-SEND-3), the peer's frame has one string longer than 15 bytes, the text.
    let peerPush = try perOperation(try CodecBench(payload: payload, withClientMessageID: false), .protobufHandDecode)
    return ["iterations": [first, second], "operations": result, "pb-hand-decode-peer-push": peerPush]
}

func frameSizes(_ payload: Samples.Payload) -> [String: Any] {
    let sizes = FrameSizes(payload: payload)
    var frames: [String: Any] = [:]
    for entry in sizes.entries {
        frames[entry.name] = ["payload_bytes": entry.payloadBytes, "wire_bytes": entry.wireBytes]
    }
    return ["frames": frames]
}

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = "usage: codec-bench time [rounds] [ms-per-sample] [payload] | mallocs [payload] | sizes [payload]"
func payload(at index: Int) -> Samples.Payload {
    guard arguments.count > index else { return .ascii31 }
    guard let payload = Samples.Payload(rawValue: arguments[index]) else { fail(usage, code: 64) }
    return payload
}
do {
    var result: [String: Any]
    switch arguments.first {
    case "time":
        let rounds = arguments.count > 1 ? Int(arguments[1]) ?? 7 : 7
        let milliseconds = arguments.count > 2 ? Double(arguments[2]) ?? 20 : 20
        let bench = try CodecBench(payload: payload(at: 3))
        result = try timeOperations(bench, rounds: rounds, millisecondsPerSample: milliseconds)
        result["payload"] = payload(at: 3).rawValue
    case "mallocs":
        result = try countMallocs(try CodecBench(payload: payload(at: 1)), payload: payload(at: 1))
        result["payload"] = payload(at: 1).rawValue
    case "sizes":
        result = frameSizes(payload(at: 1))
        result["payload"] = payload(at: 1).rawValue
    default:
        fail(usage, code: 64)
    }
    printJSON(result)
} catch {
    fail("\(error)")
}
