// The same codec operations as codec-bench, under ordo-one/benchmark (`swift package benchmark` in this folder):
// wall clock, throughput and the interposer-backed malloc count per call, with its percentile tables.
import Benchmark
import CodecSamples

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 100,
        maxDuration: .seconds(1),
        maxIterations: 100_000
    )
    for operation in CodecOperation.allCases {
        Benchmark(operation.rawValue) { benchmark in
            let bench = try CodecBench()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try bench.run(operation, iterations: 1))
            }
        }
    }
}
