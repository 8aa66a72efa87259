import ArgumentParser
import ChatClientSDK

/// `--protocol`: which chat protocol the fleet speaks.
enum WireProtocol: String, CaseIterable, Codable, ExpressibleByArgument, Sendable {
    case v1
    case v2
}

/// `--encoding`: how frames are encoded on the wire.
enum WireEncoding: String, CaseIterable, Codable, ExpressibleByArgument, Sendable {
    case json
    case protobuf
}

/// The one place that maps `--protocol` and `--encoding` to a client configuration.
enum WireOptions {
    /// The client configuration for a protocol and encoding.
    /// - Throws: `ValidationError` for a combination this SDK build cannot speak.
    static func clientConfiguration(
        server: String,
        protocol wireProtocol: WireProtocol,
        encoding: WireEncoding
    ) throws -> ChatClient.Configuration {
        var configuration = ChatClient.Configuration(baseURL: server)
        switch (wireProtocol, encoding) {
        case (.v1, .json):
            configuration.protocolPreference = [.v1]
        case (.v1, .protobuf):
            throw ValidationError("protocol v1 has no protobuf encoding (it is JSON only); use --encoding json")
        case (.v2, .json):
            configuration.protocolPreference = [.v2JSON]
        case (.v2, .protobuf):
            configuration.protocolPreference = [.v2Protobuf]
        }
        return configuration
    }
}
