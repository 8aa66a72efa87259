/// A version of the chat protocol.
///
/// - v1 is the Go system's protocol: JSON text frames, no websocket subprotocol.
/// - v2 adds command ids and replies, acknowledged idempotent sends, resume by sequence number, in-band token
///   refresh and typed errors, in a protobuf or a JSON encoding chosen by websocket subprotocol.
public struct ProtocolVersion: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The version number.
    public var rawValue: UInt32

    /// Wraps a version number.
    /// - Parameter rawValue: The version number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The upstream-compatible protocol.
    public static let v1 = Self(rawValue: 1)
    /// The acknowledged, resumable protocol of `docs/PROTOCOL.md`.
    public static let v2 = Self(rawValue: 2)

    /// `v1` or `v2`.
    public var description: String { "v\(self.rawValue)" }

    /// Orders versions numerically.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How frames of a connection are encoded.
public enum FrameEncoding: String, Hashable, Sendable {
    /// UTF-8 JSON in websocket text frames.
    case json
    /// Protobuf in websocket binary frames.
    case protobuf
}

/// The outcome of websocket subprotocol negotiation: a version and the encoding of its frames.
public struct NegotiatedProtocol: Hashable, Sendable, CustomStringConvertible {
    /// The protocol version.
    public var version: ProtocolVersion
    /// The frame encoding.
    public var encoding: FrameEncoding

    /// Creates a negotiated protocol.
    /// - Parameters:
    ///   - version: The protocol version.
    ///   - encoding: The frame encoding.
    public init(version: ProtocolVersion, encoding: FrameEncoding) {
        self.version = version
        self.encoding = encoding
    }

    /// v1: JSON text frames, no subprotocol.
    public static let v1 = Self(version: .v1, encoding: .json)
    /// v2 with protobuf binary frames (subprotocol `rc.v2.proto`).
    public static let v2Protobuf = Self(version: .v2, encoding: .protobuf)
    /// v2 with JSON text frames (subprotocol `rc.v2.json`).
    public static let v2JSON = Self(version: .v2, encoding: .json)

    /// The `Sec-WebSocket-Protocol` token for this protocol, or `nil` for v1, which uses none.
    public var subprotocol: String? {
        switch (self.version, self.encoding) {
        case (.v2, .protobuf): WebSocketSubprotocol.v2Protobuf
        case (.v2, .json): WebSocketSubprotocol.v2JSON
        default: nil
        }
    }

    /// `v1`, `v2+protobuf` or `v2+json`.
    public var description: String { self.version == .v1 ? "v1" : "\(self.version)+\(self.encoding.rawValue)" }
}

/// The websocket subprotocol tokens of the chat protocol.
public enum WebSocketSubprotocol {
    /// v2 with protobuf binary frames.
    public static let v2Protobuf = "rc.v2.proto"
    /// v2 with JSON text frames.
    public static let v2JSON = "rc.v2.json"

    /// Chooses the protocol for a websocket upgrade request.
    ///
    /// The client lists the subprotocols it accepts in preference order; the server takes the first one it
    /// supports. A client that offers no subprotocol speaks v1. A client that offers only tokens the server does
    /// not know gets `nil`: the server must refuse the upgrade (HTTP 400, code `unsupported_version`) rather than
    /// guess, because a v2-only client would misread v1 frames.
    /// - Parameters:
    ///   - offered: The tokens of the request's `Sec-WebSocket-Protocol` headers, in order.
    ///   - supported: What the server speaks, in no particular order.
    /// - Returns: The protocol to speak, or `nil` when there is none in common.
    public static func negotiate(
        offered: [String],
        supported: Set<NegotiatedProtocol> = [.v1, .v2Protobuf, .v2JSON]
    ) -> NegotiatedProtocol? {
        let tokens = offered.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
        guard !tokens.isEmpty else { return supported.contains(.v1) ? .v1 : nil }
        for token in tokens {
            if let match = supported.first(where: { $0.subprotocol == token }) { return match }
        }
        return nil
    }

    /// Parses the header value a server answered with.
    /// - Parameter subprotocol: The response's `Sec-WebSocket-Protocol`, or `nil` when absent.
    /// - Returns: The protocol the server chose, or `nil` for an unknown token.
    public static func accepted(_ subprotocol: String?) -> NegotiatedProtocol? {
        guard let subprotocol = subprotocol?.trimmingSpaces(), !subprotocol.isEmpty else { return .v1 }
        switch subprotocol {
        case v2Protobuf: return .v2Protobuf
        case v2JSON: return .v2JSON
        default: return nil
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return String(view)
    }
}
