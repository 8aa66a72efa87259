/// Word-at-a-time byte tests ("SIMD within a register") on eight bytes loaded little-endian, used to skip runs of
/// string bytes that need no escaping or unescaping eight at a time.
///
/// Each test returns a mask with bit 7 of a byte set where that byte matches. A borrow can also set the bit in a
/// byte above a true match, never below one, so "the mask is zero" is exact and the lowest set bit marks the
/// first matching byte exactly.
enum SWAR {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// A word whose eight bytes are all `byte`.
    @inline(__always)
    static func allBytes(_ byte: UInt8) -> UInt64 {
        Self.ones &* UInt64(byte)
    }

    /// Loads the eight bytes at `base + offset`.
    @inline(__always)
    static func load(_ base: UnsafePointer<UInt8>, at offset: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self))
    }

    /// Loads the eight bytes at `base + offset` as far as `end`, the bytes from `end` on read as zeros, without
    /// touching memory at or past `end`: the eight bytes before `end` are loaded and shifted down instead.
    /// - Precondition: `end` ≥ 8 (eight bytes can be read at `end - 8`) and `offset` ≥ 0.
    @inline(__always)
    static func load(_ base: UnsafePointer<UInt8>, at offset: Int, end: Int) -> UInt64 {
        if offset &+ 8 <= end { return Self.load(base, at: offset) }
        let missing = offset &+ 8 &- end  // 1…8 bytes past the end, or more when `offset` is past it
        guard missing < 8 else { return 0 }
        return Self.load(base, at: end &- 8) &>> UInt64(8 &* missing)
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

    /// Bytes that are not ASCII digits. Exact in every byte: each test works on the low seven bits of a byte, where
    /// adding a constant below 0x80 cannot carry into the next byte.
    @inline(__always)
    static func nonDigit(_ word: UInt64) -> UInt64 {
        let low7 = word & ~Self.highBits
        let atLeastZero = low7 &+ Self.ones &* (0x80 - 0x30)  // bit 7 set where the low seven bits are ≥ "0"
        let aboveNine = low7 &+ Self.ones &* (0x80 - 0x3A)  // bit 7 set where they are > "9"
        return (word | ~atLeastZero | aboveNine) & Self.highBits
    }

    /// Bytes that may not appear in a key ``JSONScanner`` keeps inline as its own fold: anything but printable
    /// ASCII (0x20–0x7E), a backslash, a capital letter. Exact in every byte, as ``nonDigit(_:)``. (A quote is
    /// found separately: it ends the key.)
    @inline(__always)
    static func notPlainKeyByte(_ word: UInt64) -> UInt64 {
        let low7 = word & ~Self.highBits
        let printable = low7 &+ Self.ones &* (0x80 - 0x20)  // bit 7 set where ≥ 0x20
        let delete = low7 &+ Self.ones  // bit 7 set where 0x7F
        let atLeastA = low7 &+ Self.ones &* (0x80 - 0x41)  // ≥ "A"
        let aboveZ = low7 &+ Self.ones &* (0x80 - 0x5B)  // > "Z"
        let notBackslash = word ^ (Self.ones &* UInt64(UInt8(ascii: "\\")))
        // Bit 7 set where a byte of `notBackslash` is non-zero, that is where the byte is not a backslash.
        let nonZero = ((notBackslash & ~Self.highBits) &+ ~Self.highBits) | notBackslash
        return (word | ~printable | delete | (atLeastA & ~aboveZ) | ~nonZero) & Self.highBits
    }

    /// The value of eight ASCII digits, the first (most significant) in the lowest byte: Lemire's three
    /// multiplications (simdjson's `parse_eight_digits_unrolled`) in place of eight multiply-adds.
    /// - Parameter digits: The digits' values (the bytes minus `"0"`), each 0–9.
    /// - Returns: Their value, 0–99,999,999.
    @inline(__always)
    static func eightDigitsValue(_ digits: UInt64) -> UInt64 {
        // Pairs: each 16-bit lane holds 10 × its first digit + its second.
        // (Each lane's upper byte, the next pair's digit, is masked off below.)
        let pairs = digits &* 10 &+ (digits &>> 8)
        // Quads, then the whole: 100 × pair + pair, 10,000 × quad + quad, lined up in the upper 32 bits.
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let byPairs: UInt64 = 100 &+ (1_000_000 &<< 32)
        let byQuads: UInt64 = 1 &+ (10_000 &<< 32)
        return ((pairs & mask) &* byPairs &+ ((pairs &>> 16) & mask) &* byQuads) &>> 32
    }

    /// The value of the first `count` (1–8) ASCII digits of `word`, the first in the lowest byte; the bytes after
    /// them may be anything.
    @inline(__always)
    static func leadingDigitsValue(_ word: UInt64, count: Int) -> UInt64 {
        // Subtracting "0" from each byte can borrow only upwards, out of the bytes after the digits; the shift
        // drops those bytes and brings in zero bytes, which read as leading zeros.
        let digits = (word &- Self.ones &* UInt64(UInt8(ascii: "0"))) &<< UInt64(64 &- 8 &* count)
        return Self.eightDigitsValue(digits)
    }

    /// The run of ASCII digits at `base + start`, read a word at a time as far as `end`, and its value when it is
    /// 1 to 19 digits long (below 10^19 < 2^64, so it cannot overflow).
    /// - Precondition: `end` ≥ 8 and `start` ≥ 0, as for ``load(_:at:end:)``.
    /// - Returns: The number of digits (0–24: the run is not followed past 24 bytes) and, for 1–19 digits, their
    ///   value (0 otherwise).
    @inline(__always)
    static func digitRun(_ base: UnsafePointer<UInt8>, at start: Int, end: Int) -> (count: Int, value: UInt64) {
        let zeros = Self.allBytes(UInt8(ascii: "0"))
        // nonDigit is exact in every byte, so the first flagged byte ends the run; bytes past `end` load as zero
        // bytes, which are not digits.
        let first = Self.load(base, at: start, end: end)
        let firstStops = Self.nonDigit(first)
        if firstStops != 0 {
            let count = Self.firstFlagged(firstStops)
            return (count, count == 0 ? 0 : Self.leadingDigitsValue(first, count: count))
        }
        let eight = Self.eightDigitsValue(first &- zeros)
        let second = Self.load(base, at: start &+ 8, end: end)
        let secondStops = Self.nonDigit(second)
        if secondStops != 0 {
            let count = Self.firstFlagged(secondStops)
            guard count > 0 else { return (8, eight) }
            return (8 &+ count, eight &* Self.powerOfTen(count) &+ Self.leadingDigitsValue(second, count: count))
        }
        let sixteen = eight &* 100_000_000 &+ Self.eightDigitsValue(second &- zeros)
        let third = Self.load(base, at: start &+ 16, end: end)
        let thirdStops = Self.nonDigit(third)
        let count = thirdStops != 0 ? Self.firstFlagged(thirdStops) : 8
        guard count > 0 else { return (16, sixteen) }
        guard count <= 3 else { return (16 &+ count, 0) }
        return (16 &+ count, sixteen &* Self.powerOfTen(count) &+ Self.leadingDigitsValue(third, count: count))
    }

    /// 10^`exponent`, for `exponent` 0–8 (a switch the compiler turns into a table lookup).
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        default: 100_000_000
        }
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
