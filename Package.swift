// swift-tools-version:6.2
import Foundation
import PackageDescription

// Same block for every target, tests and examples included.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),  // SE-0335
    .enableUpcomingFeature("InternalImportsByDefault"),  // SE-0409
    .enableUpcomingFeature("MemberImportVisibility"),  // SE-0444
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),  // SE-0461: async funcs run on the caller's actor
    .enableUpcomingFeature("InferIsolatedConformances"),  // SE-0470
]

var products: [Product] = [
    .library(name: "ChatProtocol", targets: ["ChatProtocol"]),
    .library(name: "ChatClientSDK", targets: ["ChatClientSDK"]),
    .library(name: "ChatReferenceServer", targets: ["ChatReferenceServer"]),
    .executable(name: "chat-server", targets: ["ChatServerMain"]),
    .library(name: "ChatConformance", targets: ["ChatConformance"]),
    .executable(name: "chat-conformance", targets: ["ChatConformanceMain"]),
]

var targets: [Target] = [
    // Wire types, versioning and the hand-written JSON and protobuf codecs. Foundation only.
    .target(
        name: "ChatProtocol",
        swiftSettings: swiftSettings
    ),
    // The websocket client of the SDK and the conformance suite: an upgrade step that keeps frames arriving with the
    // 101 answer, reports refusals with status and body, and tells the negotiated subprotocol; then either
    // swift-websocket's frame handling (the conformance suite) or a conversation on the event loop (the SDK). Not a
    // product.
    .target(
        name: "ChatWebSocket",
        dependencies: [
            .product(name: "WSCore", package: "swift-websocket"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    .target(
        name: "ChatClientSDK",
        dependencies: [
            "ChatProtocol",
            "ChatWebSocket",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    // glibc's mallinfo2 and malloc_trim (not in Swift's Glibc module) for the server's MemoryReclaimer and metrics.
    .target(name: "CGlibcMalloc"),
    .target(
        name: "ChatReferenceServer",
        dependencies: [
            "ChatProtocol",
            "CGlibcMalloc",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            // Websockets are our own channel handlers on NIO's frame codec (Routes/WebSocketConnection.swift), behind
            // our own upgrade channel (Routes/ChatServerChannel.swift) on Hummingbird's HTTP/1 pipeline.
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "ChatServerMain",
        dependencies: ["ChatReferenceServer"],
        path: "Sources/chat-server",
        swiftSettings: swiftSettings
    ),
    // Protocol conformance suite: drives any server over raw HTTP and websockets (never the SDK or the server).
    .target(
        name: "ChatConformance",
        dependencies: [
            "ChatWebSocket",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "ChatConformanceMain",
        dependencies: [
            "ChatConformance",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Sources/chat-conformance",
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ChatConformanceTests",
        dependencies: ["ChatConformance", "ChatReferenceServer"],
        exclude: ["run-against-server.sh"],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ChatWebSocketTests",
        dependencies: [
            "ChatWebSocket",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ChatProtocolTests",
        dependencies: ["ChatProtocol"],
        resources: [.copy("Fixtures")],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ChatClientSDKTests",
        dependencies: ["ChatClientSDK"],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "EndToEndTests",
        dependencies: [
            "ChatClientSDK",
            "ChatReferenceServer",
            "ChatWebSocket",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "ChatReferenceServerTests",
        dependencies: [
            "ChatReferenceServer",
            "ChatWebSocket",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            // A second connection to a test server's database (MessageFlusherTests holds its write lock).
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ],
        exclude: ["Autobahn"],
        swiftSettings: swiftSettings
    ),
    // Examples (issue 8): runnable programs built by `swift build`; each has a README.md in its folder.
    .target(
        name: "ExampleSupport",
        dependencies: [
            "ChatClientSDK",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        path: "Examples/ExampleSupport",
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "EchoBot",
        dependencies: [
            "ChatClientSDK",
            "ExampleSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/EchoBot",
        exclude: ["README.md"],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "ElizaBot",
        dependencies: [
            "ChatClientSDK",
            "ExampleSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/ElizaBot",
        exclude: ["README.md"],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "TerminalChat",
        dependencies: [
            "ChatClientSDK",
            "ExampleSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/TerminalChat",
        exclude: ["README.md"],
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "BotFleet",
        dependencies: [
            "ChatClientSDK",
            "ExampleSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ],
        path: "Examples/BotFleet",
        exclude: ["README.md"],
        swiftSettings: swiftSettings
    ),
    // The scripted client that Examples/ci-check.sh runs against EchoBot.
    .executableTarget(
        name: "EchoCheck",
        dependencies: [
            "ChatClientSDK",
            "ExampleSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        path: "Examples/EchoCheck",
        exclude: ["README.md"],
        swiftSettings: swiftSettings
    ),
]

// Protocol-only mode: CHAT_PROTOCOL_ONLY=1 keeps just ChatProtocol and its tests, with no dependencies, so codec
// work builds in seconds on a fresh machine. (The libFuzzer targets in Fuzz/ are built by Fuzz/run.sh with swiftc.)
let protocolOnly = ProcessInfo.processInfo.environment["CHAT_PROTOCOL_ONLY"] != nil
if protocolOnly {
    let kept: Set<String> = ["ChatProtocol", "ChatProtocolTests"]
    targets = targets.filter { kept.contains($0.name) }
    products = products.filter { $0.name == "ChatProtocol" }
}

let package = Package(
    name: "random-chat",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: products,
    dependencies: protocolOnly
        ? []
        : [
            .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
            .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
            .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
            .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
            .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
            .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
            .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
            .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
            .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
            .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
            // HMAC-SHA256 for presigned upload URLs and SHA-256 for secrets; already in the graph through jwt-kit.
            .package(url: "https://github.com/apple/swift-crypto", "4.1.0"..<"6.0.0"),
            // ChatWebSocket builds its pipeline on NIO (its own frame codec, NIO's frame type) and NIOSSL (for wss://)
            // directly; both are already in the graph through swift-websocket.
            .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
            .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
            // The server's upgrade channel converts between NIO's HTTP/1 parts and HTTPTypes, as Hummingbird does;
            // both packages are already in the graph through Hummingbird.
            .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
            .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
            // BotFleet's latency distribution (p50 … p99.9, max) without hand-rolled percentile code.
            .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
