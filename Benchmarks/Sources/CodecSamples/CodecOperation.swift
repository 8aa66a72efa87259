/// One measured codec operation on the sample message (``Samples``).
public enum CodecOperation: String, CaseIterable, Sendable {
    /// Hand-written protobuf, v2 frame, appended to a buffer reused across calls (the server's path).
    case protobufHandEncode = "pb-hand-encode"
    /// Hand-written protobuf, v2 frame, into a new array per call (`protobufBytes()`).
    case protobufHandEncodeNewArray = "pb-hand-encode-new-array"
    /// Hand-written protobuf, v2 frame, decoded from bytes (`init(protobufBytes:)`).
    case protobufHandDecode = "pb-hand-decode"
    /// swift-protobuf 1.39.0 generated code, v2 frame, `serializedBytes()` (a new array per call).
    case swiftProtobufEncode = "pb-swift-protobuf-encode"
    /// swift-protobuf 1.39.0 generated code, v2 frame, `init(serializedBytes:)`.
    case swiftProtobufDecode = "pb-swift-protobuf-decode"
    /// Hand-written JSON, v1 chat frame, `jsonBytes()` (a new array per call).
    case jsonHandEncode = "json-hand-encode"
    /// Hand-written JSON, v1 chat frame, `init(jsonBytes:)`.
    case jsonHandDecode = "json-hand-decode"
    /// Foundation `JSONEncoder.encode` (one encoder reused), v1 chat frame as a `Codable` struct.
    case jsonFoundationEncode = "json-foundation-encode"
    /// Foundation `JSONDecoder.decode` (one decoder reused), v1 chat frame as a `Codable` struct.
    case jsonFoundationDecode = "json-foundation-decode"

    /// The operation a B1 ratio divides by this one's cost, or `nil` for a baseline.
    public var baseline: CodecOperation? {
        switch self {
        case .protobufHandEncode, .protobufHandEncodeNewArray: .swiftProtobufEncode
        case .protobufHandDecode: .swiftProtobufDecode
        case .jsonHandEncode: .jsonFoundationEncode
        case .jsonHandDecode: .jsonFoundationDecode
        case .swiftProtobufEncode, .swiftProtobufDecode, .jsonFoundationEncode, .jsonFoundationDecode: nil
        }
    }
}
