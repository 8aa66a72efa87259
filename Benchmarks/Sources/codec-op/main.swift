// Runs one codec operation N times and prints a checksum: the program `valgrind --tool=callgrind` counts.
// Usage: codec-op <operation> <iterations>. run.sh and ci-check.sh run it twice per operation (N1 and N2
// iterations) and divide the difference in instructions by N2 − N1, which cancels start-up and one-time work.
import CodecSamples
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3, let operation = CodecOperation(rawValue: arguments[1]), let iterations = Int(arguments[2])
else {
    let names = CodecOperation.allCases.map(\.rawValue).joined(separator: " | ")
    FileHandle.standardError.write(Data("usage: codec-op <\(names)> <iterations>\n".utf8))
    exit(64)
}
do {
    let bench = try CodecBench()
    let checksum = try bench.run(operation, iterations: iterations)
    print("\(operation.rawValue) \(iterations) checksum \(checksum)")
} catch {
    FileHandle.standardError.write(Data("codec-op: \(error)\n".utf8))
    exit(1)
}
