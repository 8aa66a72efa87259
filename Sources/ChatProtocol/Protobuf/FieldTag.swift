/// A validated protobuf field key: a field number in `1...2^29 − 1` and a wire type we can read.
package struct FieldTag: Hashable, Sendable {
    /// The largest field number protobuf allows.
    package static let maxFieldNumber = (1 << 29) - 1

    /// The field number, never 0.
    package let fieldNumber: Int
    /// How the value is laid out.
    package let wireType: WireType

    /// Creates a tag for encoding.
    ///
    /// - Precondition: `fieldNumber` is in `1...maxFieldNumber` (field numbers come from our own schema code).
    package init(fieldNumber: Int, wireType: WireType) {
        assert(fieldNumber >= 1 && fieldNumber <= Self.maxFieldNumber, "invalid field number \(fieldNumber)")
        self.fieldNumber = fieldNumber
        self.wireType = wireType
    }

    /// Validates a decoded key.
    /// - Parameters:
    ///   - rawValue: The varint read from the wire.
    ///   - offset: Where the key started, for the error.
    /// - Throws: `.invalidTag` for field number 0 or above 2^29 − 1; `.invalidWireType` for wire types 3, 4,
    ///   6 and 7.
    package init(rawValue: UInt64, at offset: Int) throws(WireError) {
        let number = rawValue >> 3
        guard number >= 1, number <= UInt64(Self.maxFieldNumber) else { throw WireError(.invalidTag, at: offset) }
        guard let wireType = WireType(rawValue: UInt8(truncatingIfNeeded: rawValue & 7)) else {
            throw WireError(.invalidWireType, at: offset)
        }
        self.fieldNumber = Int(number)
        self.wireType = wireType
    }

    /// The key as written on the wire: `fieldNumber << 3 | wireType`.
    package var rawValue: UInt64 { UInt64(self.fieldNumber) << 3 | UInt64(self.wireType.rawValue) }
}
