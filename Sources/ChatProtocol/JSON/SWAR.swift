/// Word-at-a-time byte tests ("SIMD within a register") on eight bytes loaded little-endian, used to skip runs of
/// string bytes that need no escaping or unescaping eight at a time.
///
/// Each test returns a mask with bit 7 of a byte set where that byte matches. A borrow can also set the bit in a
/// byte above a true match, never below one, so "the mask is zero" is exact and the lowest set bit marks the
/// first matching byte exactly.
enum SWAR {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Loads the eight bytes at `base + offset`.
    @inline(__always)
    static func load(_ base: UnsafePointer<UInt8>, at offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }

    /// Bytes equal to `byte`.
    @inline(__always)
    static func equal(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let difference = word ^ (Self.ones &* UInt64(byte))
        return (difference &- Self.ones) & ~difference & Self.highBits
    }

    /// Bytes below `bound` (at most 0x80).
    @inline(__always)
    static func less(_ word: UInt64, than bound: UInt8) -> UInt64 {
        (word &- Self.ones &* UInt64(bound)) & ~word & Self.highBits
    }

    /// Bytes of 0x80 and above.
    @inline(__always)
    static func nonASCII(_ word: UInt64) -> UInt64 {
        word & Self.highBits
    }

    /// The index (0–7) of the first byte flagged in a non-zero mask.
    @inline(__always)
    static func firstFlagged(_ mask: UInt64) -> Int {
        mask.trailingZeroBitCount &>> 3
    }

    /// Whether the `count` bytes at `base` are all ASCII.
    static func isASCII(_ base: UnsafePointer<UInt8>, count: Int) -> Bool {
        var index = 0
        var high: UInt64 = 0
        while index &+ 8 <= count {
            high |= Self.load(base, at: index)
            index &+= 8
        }
        while index < count {
            high |= UInt64(base[index])
            index &+= 1
        }
        return high & Self.highBits == 0
    }

    /// Whether the `count` bytes at `first` and at `second` are the same, compared eight at a time.
    static func sameBytes(_ first: UnsafePointer<UInt8>, _ second: UnsafePointer<UInt8>, count: Int) -> Bool {
        var index = 0
        while index &+ 8 <= count {
            guard Self.load(first, at: index) == Self.load(second, at: index) else { return false }
            index &+= 8
        }
        while index < count {
            guard first[index] == second[index] else { return false }
            index &+= 1
        }
        return true
    }
}
