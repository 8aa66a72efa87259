/// The identifier of a user account.
///
/// Upstream generates ids with Sonyflake; real values exceed 2^53, so they travel as decimal strings in
/// JSON and are never parsed through `Double`.
public struct UserID: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The id as an unsigned 64-bit integer.
    public var rawValue: UInt64

    /// Creates an id from its integer value.
    /// - Parameter rawValue: The id.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Creates an id from its integer value.
    /// - Parameter rawValue: The id.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses the strict decimal form used on the wire: digits only, no sign, no leading zero, no overflow.
    /// - Parameter decimal: The decimal text.
    public init?(decimal: some StringProtocol) {
        guard let value = UInt64(strictDecimal: decimal) else { return nil }
        self.rawValue = value
    }

    /// The decimal form used on the wire.
    public var description: String { String(self.rawValue) }

    /// Orders ids by their integer value.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The identifier of a two-person chat channel.
public struct ChannelID: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The id as an unsigned 64-bit integer.
    public var rawValue: UInt64

    /// Creates an id from its integer value.
    /// - Parameter rawValue: The id.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Creates an id from its integer value.
    /// - Parameter rawValue: The id.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses the strict decimal form used on the wire: digits only, no sign, no leading zero, no overflow.
    /// - Parameter decimal: The decimal text.
    public init?(decimal: some StringProtocol) {
        guard let value = UInt64(strictDecimal: decimal) else { return nil }
        self.rawValue = value
    }

    /// The decimal form used on the wire.
    public var description: String { String(self.rawValue) }

    /// Orders ids by their integer value.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The identifier of a chat message (and, in v1, of every broadcast event).
public struct MessageID: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The id as an unsigned 64-bit integer.
    public var rawValue: UInt64

    /// Creates an id from its integer value.
    /// - Parameter rawValue: The id.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Creates an id from its integer value.
    /// - Parameter rawValue: The id.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Parses the strict decimal form used on the wire: digits only, no sign, no leading zero, no overflow.
    /// - Parameter decimal: The decimal text.
    public init?(decimal: some StringProtocol) {
        guard let value = UInt64(strictDecimal: decimal) else { return nil }
        self.rawValue = value
    }

    /// The decimal form used on the wire.
    public var description: String { String(self.rawValue) }

    /// Orders ids by their integer value.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension UInt64 {
    /// Parses a strict unsigned decimal: one or more ASCII digits, no sign, no whitespace, no leading zero
    /// (except for `"0"` itself), and no overflow. Never goes through `Double`.
    /// - Parameter text: The decimal text.
    package init?(strictDecimal text: some StringProtocol) {
        var value: UInt64 = 0
        var count = 0
        var first: UInt8 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if count == 0 { first = byte }
            count += 1
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = shifted.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        guard count > 0, !(count > 1 && first == UInt8(ascii: "0")) else { return nil }
        self = value
    }
}
