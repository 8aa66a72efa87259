/// ZigZag encoding of signed integers (`sint32`, `sint64`), which maps small magnitudes of either sign to small
/// varints: 0 → 0, −1 → 1, 1 → 2, −2 → 3, …
package enum ZigZag {
    /// Encodes a 32-bit signed value.
    /// - Parameter value: The value.
    /// - Returns: `(value << 1) ^ (value >> 31)` as an unsigned value.
    @inline(__always)
    package static func encoded(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value << 1) ^ (value >> 31))
    }

    /// Encodes a 64-bit signed value.
    /// - Parameter value: The value.
    /// - Returns: `(value << 1) ^ (value >> 63)` as an unsigned value.
    @inline(__always)
    package static func encoded(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// Decodes a 32-bit value.
    /// - Parameter value: The zigzag-encoded value.
    /// - Returns: The signed value.
    @inline(__always)
    package static func decoded(_ value: UInt32) -> Int32 {
        Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// Decodes a 64-bit value.
    /// - Parameter value: The zigzag-encoded value.
    /// - Returns: The signed value.
    @inline(__always)
    package static func decoded(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }
}
