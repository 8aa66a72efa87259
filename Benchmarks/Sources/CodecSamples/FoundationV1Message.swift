/// The v1 chat frame as an application would model it for Foundation's `JSONEncoder` and `JSONDecoder`: the same
/// members in upstream's order, 64-bit ids as quoted decimal strings (parsed back into `UInt64`), so both sides of the
/// comparison produce and accept the same bytes and the same values.
public struct FoundationV1Message: Codable, Hashable, Sendable {
    /// The message id.
    public var messageID: UInt64
    /// The event number.
    public var event: Int64
    /// The author's id.
    public var userID: UInt64
    /// The text.
    public var payload: String
    /// Whether the message was seen.
    public var seen: Bool
    /// Server time, Unix milliseconds.
    public var time: Int64

    private enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case event
        case userID = "user_id"
        case payload
        case seen
        case time
    }

    /// Creates a frame; each argument sets the property of the same name.
    public init(messageID: UInt64, event: Int64, userID: UInt64, payload: String, seen: Bool, time: Int64) {
        self.messageID = messageID
        self.event = event
        self.userID = userID
        self.payload = payload
        self.seen = seen
        self.time = time
    }

    /// Decodes the frame, parsing the quoted ids.
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError` for a missing member, a wrong type, or an id that is not a decimal `UInt64`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.messageID = try Self.decodeID(container, .messageID)
        self.event = try container.decode(Int64.self, forKey: .event)
        self.userID = try Self.decodeID(container, .userID)
        self.payload = try container.decode(String.self, forKey: .payload)
        self.seen = try container.decode(Bool.self, forKey: .seen)
        self.time = try container.decode(Int64.self, forKey: .time)
    }

    /// Encodes the frame with quoted ids.
    /// - Parameter encoder: The encoder.
    /// - Throws: Whatever the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(self.messageID), forKey: .messageID)
        try container.encode(self.event, forKey: .event)
        try container.encode(String(self.userID), forKey: .userID)
        try container.encode(self.payload, forKey: .payload)
        try container.encode(self.seen, forKey: .seen)
        try container.encode(self.time, forKey: .time)
    }

    private static func decodeID(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> UInt64 {
        let string = try container.decode(String.self, forKey: key)
        guard let value = UInt64(string) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a UInt64")
        }
        return value
    }
}
