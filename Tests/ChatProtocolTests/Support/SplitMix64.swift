/// A small, seeded, deterministic PRNG (SplitMix64) for property tests: the same seed gives the same cases on
/// every platform, so a failure names a reproducible seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SplitMix64 {
    /// An id biased towards the extremes and the 2^53 boundary.
    mutating func id() -> UInt64 {
        let edges: [UInt64] = [0, 1, 9, 10, 99, 100, 1 << 53, (1 << 53) + 1, .max - 1, .max, 1_847_563_419_017_314_305]
        return Bool.random(using: &self) ? edges.randomElement(using: &self) ?? 0 : self.next() >> (self.next() % 64)
    }

    /// A signed integer biased towards the extremes.
    mutating func int64() -> Int64 {
        let edges: [Int64] = [.min, .min + 1, -1, 0, 1, .max, 1_700_000_000_123]
        return Bool.random(using: &self) ? edges.randomElement(using: &self) ?? 0 : Int64(bitPattern: self.next())
    }

    /// A scalar from a pool that stresses escaping: controls, quotes, backslashes, HTML characters, the JS line
    /// separators, DEL, BMP and astral text, U+FFFD and U+FEFF.
    mutating func scalar() -> Unicode.Scalar {
        let specials: [Unicode.Scalar] = [
            "\"", "\\", "/", "<", ">", "&", "\u{2028}", "\u{2029}", "\u{7F}", "\u{FFFD}", "\u{FEFF}", "\u{E9}",
            "\u{4E16}", "\u{1F431}", "\u{1F600}", "\u{10FFFF}", "\u{E000}", "\u{2027}", "\u{202A}", "\u{0}",
        ]
        switch self.next() % 6 {
        case 0: return Unicode.Scalar(UInt8(self.next() % 0x20))
        case 1: return specials.randomElement(using: &self) ?? "a"
        case 2, 3: return Unicode.Scalar(UInt8(0x20 + self.next() % 0x5F))
        default:
            while true {
                let value = UInt32(self.next() % 0x11_0000)
                if let scalar = Unicode.Scalar(value) { return scalar }
            }
        }
    }

    /// A string of up to `maxLength` scalars from ``scalar()``.
    mutating func string(maxLength: Int = 24) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int(self.next() % UInt64(maxLength + 1)) {
            scalars.append(self.scalar())
        }
        return String(scalars)
    }

    mutating func bool() -> Bool { Bool.random(using: &self) }
}
