// swift-tools-version:6.2
// Server-level benchmarks of issue 9 (B5 idle memory, B6 matching, B7 restart recovery): one executable that drives
// a running chat-server through the SDK. A package of its own, next to the codec benchmarks, because it needs the
// root package's full graph (ChatClientSDK), which the codec package avoids with CHAT_PROTOCOL_ONLY=1.
// Run through ../server.sh; it builds this package in release mode.
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
let rootPackage = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = rootPackage.lastPathComponent.lowercased()

let package = Package(
    name: "random-chat-server-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "server-bench",
            dependencies: [.product(name: "ChatClientSDK", package: rootIdentity)],
            swiftSettings: swiftSettings
        )
    ],
    swiftLanguageModes: [.v6]
)
