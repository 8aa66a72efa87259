/// Base-128 varints: seven bits per byte, least significant group first, high bit set on every byte but the
/// last. A 64-bit value takes 1 to 10 bytes.
package enum Varint {
    /// The most bytes a varint may take.
    package static let maxSize = 10

    /// The number of bytes `value` takes as a varint, without branches (the formula of protobuf C++ and
    /// swift-protobuf: `(⌊log2(value | 1)⌋ · 9 + 73) / 64`).
    /// - Parameter value: The value.
    /// - Returns: A size in `1...10`.
    @inline(__always)
    package static func encodedSize(of value: UInt64) -> Int {
        let log2 = 63 &- (value | 1).leadingZeroBitCount
        return (log2 &* 9 &+ 73) / 64
    }

    /// Appends `value` as a varint.
    /// - Parameters:
    ///   - value: The value.
    ///   - bytes: The buffer to append to.
    @inline(__always)
    package static func encode(_ value: UInt64, into bytes: inout [UInt8]) {
        var value = value
        while value > 0x7F {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Reads a varint from `bytes[offset..<end]` and advances `offset` past it.
    /// - Parameters:
    ///   - bytes: The input.
    ///   - offset: Where the varint starts; on success, just past it.
    ///   - end: The end of the readable region (at most `bytes.count`).
    /// - Returns: The value.
    /// - Throws: `.truncated` (at the varint's start) when the input ends inside it; `.malformedVarint` (at its
    ///   start) when it runs past 10 bytes or its tenth byte carries more than the 64th bit.
    @inline(__always)
    package static func decode(_ bytes: [UInt8], offset: inout Int, end: Int) throws(WireError) -> UInt64 {
        guard offset < end else { throw WireError(.truncated, at: offset) }
        let first = bytes[offset]
        if first < 0x80 {
            offset += 1
            return UInt64(first)
        }
        return try self.decodeMultiByte(bytes, offset: &offset, end: end)
    }

    private static func decodeMultiByte(_ bytes: [UInt8], offset: inout Int, end: Int) throws(WireError) -> UInt64 {
        let start = offset
        var index = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < end else { throw WireError(.truncated, at: start) }
            let byte = bytes[index]
            index += 1
            // The tenth byte holds bit 63 only; anything more (including a continuation bit) overflows.
            if shift == 63, byte > 1 { throw WireError(.malformedVarint, at: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                offset = index
                return result
            }
            shift += 7
        }
    }
}
