// Runs one codec operation N times and prints a checksum: the program `valgrind --tool=callgrind` counts.
// Usage: codec-op <operation> <iterations> [payload]. run.sh and ci-check.sh run it twice per operation (N1 and N2
// iterations) and divide the difference in instructions by N2 − N1, which cancels start-up and one-time work.
import CodecSamples
import Foundation

let arguments = CommandLine.arguments
guard (3...4).contains(arguments.count), let operation = CodecOperation(rawValue: arguments[1]),
    let iterations = Int(arguments[2]),
    let payload = arguments.count == 4 ? Samples.Payload(rawValue: arguments[3]) : .ascii31
else {
    let names = CodecOperation.allCases.map(\.rawValue).joined(separator: " | ")
    let payloads = Samples.Payload.allCases.map(\.rawValue).joined(separator: " | ")
    FileHandle.standardError.write(Data("usage: codec-op <\(names)> <iterations> [\(payloads)]\n".utf8))
    exit(64)
}
do {
    let bench = try CodecBench(payload: payload)
    let checksum = try bench.run(operation, iterations: iterations)
    print("\(operation.rawValue) \(iterations) checksum \(checksum)")
} catch {
    FileHandle.standardError.write(Data("codec-op: \(error)\n".utf8))
    exit(1)
}
