import ChatProtocol

/// B2: bytes on the wire per chat frame, with and without the websocket header.
public struct FrameSizes: Sendable {
    /// One frame's size.
    public struct Entry: Sendable {
        /// What the frame is.
        public var name: String
        /// The message bytes.
        public var payloadBytes: Int
        /// The message bytes plus the server → client (unmasked) websocket header.
        public var wireBytes: Int
    }

    /// The v1 JSON frame, the v2 protobuf frame with a UUID `client_msg_id`, and without one.
    public var entries: [Entry]

    /// Measures the sample frames.
    /// - Parameter payload: The message text to use.
    public init(payload: Samples.Payload = .ascii31) {
        let text = payload.text
        let json = Samples.v1Message(text: text).jsonBytes().count
        let protobuf = Samples.handFrame(text: text).protobufBytes().count
        let protobufNoKey = Samples.handFrame(text: text, withClientMessageID: false).protobufBytes().count
        self.entries = [
            Entry(name: "v1-json", payloadBytes: json, wireBytes: json + Self.headerBytes(json)),
            Entry(name: "v2-protobuf", payloadBytes: protobuf, wireBytes: protobuf + Self.headerBytes(protobuf)),
            Entry(
                name: "v2-protobuf-no-client-msg-id",
                payloadBytes: protobufNoKey,
                wireBytes: protobufNoKey + Self.headerBytes(protobufNoKey)
            ),
        ]
    }

    /// The size of an unmasked websocket frame header (RFC 6455 §5.2) for a payload.
    /// - Parameter payload: The payload length.
    /// - Returns: 2, 4 or 10.
    public static func headerBytes(_ payload: Int) -> Int {
        payload <= 125 ? 2 : payload <= 65_535 ? 4 : 10
    }
}
