import Testing

@testable import ChatProtocol

/// Varints of two or more bytes are read a word at a time when eight bytes of the region are there, byte by byte
/// otherwise; these compare both with a plain byte-by-byte definition at every length and region end.
@Suite("Varint decoding")
struct VarintTests {
    /// The definition: seven bits per byte, at most ten bytes, the tenth holding bit 63 only.
    private static func reference(_ bytes: [UInt8], at start: Int, end: Int) -> Result<(UInt64, Int), WireError> {
        var value: UInt64 = 0
        for index in 0..<10 {
            guard start + index < end else { return .failure(WireError(.truncated, at: start)) }
            let byte = bytes[start + index]
            if index == 9, byte > 1 { return .failure(WireError(.malformedVarint, at: start)) }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte < 0x80 { return .success((value, start + index + 1)) }
        }
        return .failure(WireError(.malformedVarint, at: start))
    }

    private static func decoded(_ bytes: [UInt8], at start: Int, end: Int) -> Result<(UInt64, Int), WireError> {
        var offset = start
        return Result { () throws(WireError) -> (UInt64, Int) in
            let value = try Varint.decode(bytes, offset: &offset, end: end)
            return (value, offset)
        }
    }

    private static func encoded(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        Varint.encode(value, into: &bytes)
        return bytes
    }

    @Test("every length, canonical and padded, overflowing tenth bytes, with the region ending at every byte")
    func everyLengthAndRegionEnd() {
        var varints: [[UInt8]] = []
        for bits in 0...64 {
            let value: UInt64 = bits == 0 ? 0 : (UInt64.max >> (64 - UInt64(bits))) ^ (bits > 3 ? 0b101 : 0)
            varints.append(Self.encoded(value))
        }
        for length in 2...11 {
            // Padded with continuation bytes of zero bits, ended by 0x00, 0x01 or 0x02.
            for last: UInt8 in [0x00, 0x01, 0x02, 0x7F] {
                varints.append(Array(repeating: 0x80, count: length - 1) + [last])
                varints.append(Array(repeating: 0xFF, count: length - 1) + [last])
            }
        }
        varints.append(Array(repeating: 0xFF, count: 12))
        for varint in varints {
            for prefix in 0...2 {
                let bytes =
                    Array(repeating: 0xAA, count: prefix) + varint + [0x05, 0x80, 0x81, 0x7F, 0x00, 0xFF, 0x01, 0x02]
                for end in prefix...bytes.count {
                    let expected = Self.reference(bytes, at: prefix, end: end)
                    let actual = Self.decoded(bytes, at: prefix, end: end)
                    switch (expected, actual) {
                    case (.success(let expected), .success(let actual)):
                        #expect(expected == actual, "\(varint) end \(end)")
                    case (.failure(let expected), .failure(let actual)):
                        #expect(expected == actual, "\(varint) end \(end)")
                    default:
                        Issue.record("\(varint) end \(end): \(actual), expected \(expected)")
                    }
                }
            }
        }
    }
}
