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
        if let (value, length) = Self.decodeWordAtATime(bytes, at: offset, end: end) {
            offset &+= length
            return value
        }
        return try self.decodeByteByByte(bytes, offset: &offset, end: end)
    }

    /// The fast path of ``decodeMultiByte(_:offset:end:)`` with eight bytes of the region to read at `offset`: the
    /// varint's end is the first byte without the continuation bit, found in one load; its seven-bit groups are
    /// packed together in three shift-and-mask steps. Varints of nine and ten bytes add their last bytes one by
    /// one.
    /// - Returns: The value and the varint's length, or `nil` for anything it does not settle (the region ends
    ///   within ten bytes, or a tenth byte that overflows), which the byte-by-byte loop then reads and reports.
    @inline(__always)
    private static func decodeWordAtATime(_ bytes: [UInt8], at offset: Int, end: Int) -> (UInt64, Int)? {
        guard offset >= 0, offset &+ 8 <= end, end <= bytes.count else { return nil }
        return bytes.withUnsafeBufferPointer { bytes -> (UInt64, Int)? in
            guard let base = bytes.baseAddress else { return nil }
            let word = UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
            let lastBytes = ~word & 0x8080_8080_8080_8080  // bit 7 set where the continuation bit is clear
            if lastBytes != 0 {
                let length = lastBytes.trailingZeroBitCount &>> 3 &+ 1  // 2…8: the first byte continues
                let kept: UInt64 = length == 8 ? ~0 : (1 &<< UInt64(8 &* length)) &- 1
                return (Self.packGroups(word & kept), length)
            }
            // Eight continuation bytes: 56 bits so far, then byte 9 (bits 56–62) and maybe byte 10 (bit 63).
            guard offset &+ 9 <= end else { return nil }
            let ninth = base[offset &+ 8]
            if ninth < 0x80 { return (Self.packGroups(word) | UInt64(ninth) &<< 56, 9) }
            guard offset &+ 10 <= end else { return nil }
            let tenth = base[offset &+ 9]
            guard tenth <= 1 else { return nil }  // more than bit 63, or an eleventh byte: malformed
            return (Self.packGroups(word) | UInt64(ninth & 0x7F) &<< 56 | UInt64(tenth) &<< 63, 10)
        }
    }

    /// The low seven bits of each of the eight bytes of `word`, first byte lowest, packed into 56 bits.
    @inline(__always)
    private static func packGroups(_ word: UInt64) -> UInt64 {
        var packed = word & 0x7F7F_7F7F_7F7F_7F7F
        packed = (packed & 0x007F_007F_007F_007F) | (packed & 0x7F00_7F00_7F00_7F00) &>> 1  // 14 bits per 16
        packed = (packed & 0x0000_3FFF_0000_3FFF) | (packed & 0x3FFF_0000_3FFF_0000) &>> 2  // 28 bits per 32
        return (packed & 0x0000_0000_0FFF_FFFF) | (packed & 0x0FFF_FFFF_0000_0000) &>> 4
    }

    /// Reads a varint of two or more bytes one byte at a time, with every check.
    private static func decodeByteByByte(_ bytes: [UInt8], offset: inout Int, end: Int) throws(WireError) -> UInt64 {
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
