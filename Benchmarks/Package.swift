// swift-tools-version:6.2
// Benchmarks for issue 9 (B1 codec time, B1a codec allocations, B2 bytes per frame). A package of its own so
// that its dependencies (swift-protobuf, malloc-interposer, ordo-one/benchmark) never enter the root package's
// graph. Run `./run.sh` (all of it, writes ../BENCHMARKS.md) or `./ci-check.sh` (the deterministic gates).
import Foundation
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),  // SE-0335
    .enableUpcomingFeature("InternalImportsByDefault"),  // SE-0409
    .enableUpcomingFeature("MemberImportVisibility"),  // SE-0444
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),  // SE-0461
    .enableUpcomingFeature("InferIsolatedConformances"),  // SE-0470
]

// A path dependency's identity is its folder's name, which differs between worktrees and CI clones.
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = rootPackage.lastPathComponent.lowercased()

let package = Package(
    name: "random-chat-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/ordo-one/malloc-interposer", exact: "1.6.1"),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Code generated once by generate-swift-protobuf.sh from proto/randomchat/v2/*.proto; never edited.
        .target(
            name: "SwiftProtobufGenerated",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // The sample frames and one table of codec operations, shared by the two executables below.
        .target(
            name: "CodecSamples",
            dependencies: [
                "SwiftProtobufGenerated",
                .product(name: "ChatProtocol", package: rootIdentity),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // Wall-clock rounds (B1), malloc counts (B1a, under LD_PRELOAD of the interposer) and frame sizes (B2).
        .executableTarget(
            name: "codec-bench",
            dependencies: [
                "CodecSamples",
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs one codec operation N times: the program callgrind counts instructions of. No interposer linked.
        .executableTarget(
            name: "codec-op",
            dependencies: ["CodecSamples"],
            swiftSettings: swiftSettings
        ),
        // ordo-one/benchmark's view of the same operations: `swift package benchmark` (run.sh runs it too).
        .executableTarget(
            name: "CodecBenchmarks",
            dependencies: ["CodecSamples", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/CodecBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
