import ChatProtocol
import Testing

@Suite("JSON scanner")
struct JSONScannerTests {
    @Test("a 10,000-deep array or object bomb stops at the depth limit, without deep recursion")
    func depthBombs() throws {
        for bomb in [String(repeating: "[", count: 10_000), String(repeating: #"{"a":"#, count: 10_000)] {
            var scanner = try JSONScanner(Array(bomb.utf8))
            let error = #expect(throws: WireError.self) { try scanner.skipValue() }
            #expect(error?.code == .depthLimit)
            #expect(error?.offset == (bomb.hasPrefix("[") ? 32 : 32 * 5))
        }
    }

    @Test("a configured depth limit is honoured exactly")
    func configuredDepth() throws {
        var ok = try JSONScanner(Array("[[[]]]".utf8), options: JSONDecodingOptions(maxDepth: 3))
        try ok.skipValue()
        try ok.finish()
        var deep = try JSONScanner(Array("[[[[]]]]".utf8), options: JSONDecodingOptions(maxDepth: 3))
        let error = #expect(throws: WireError.self) { try deep.skipValue() }
        #expect(error == WireError(.depthLimit, at: 3))
    }

    @Test("integers parse digit by digit at the exact Int64 and UInt64 limits")
    func integerLimits() throws {
        func int64(_ text: String) throws -> Int64 {
            var scanner = try JSONScanner(Array(text.utf8))
            return try scanner.readInt64()
        }
        func uint64(_ text: String) throws -> UInt64 {
            var scanner = try JSONScanner(Array(text.utf8))
            return try scanner.readUInt64QuotedOrBare()
        }
        #expect(try int64("-9223372036854775808") == .min)
        #expect(try int64("9223372036854775807") == .max)
        #expect(try int64("-0") == 0)
        #expect(try uint64("18446744073709551615") == .max)
        #expect(try uint64(#""18446744073709551615""#) == .max)
        #expect(try uint64("9007199254740993") == 9_007_199_254_740_993)  // 2^53 + 1: not representable as a Double
        for bad in ["9223372036854775808", "-9223372036854775809", "1e3", "1.0", "00", "-01", "- 1"] {
            #expect(throws: WireError.self, "\(bad)") { try int64(bad) }
        }
        for bad in ["18446744073709551616", "-1", #""-1""#, #""01""#, #""""#, #""1 ""#, "1E1"] {
            #expect(throws: WireError.self, "\(bad)") { try uint64(bad) }
        }
    }

    @Test("number grammar: valid forms are skipped, invalid ones rejected")
    func numberGrammar() throws {
        for valid in ["0", "-0", "1.5", "-1.5e10", "1E+2", "1e-2", "0.0", "123456789012345678901234567890"] {
            var scanner = try JSONScanner(Array(valid.utf8))
            try scanner.skipValue()
            try scanner.finish()
        }
        for invalid in ["01", "1.", ".5", "1e", "1e+", "-", "+1", "0x10", "1.e5", "Infinity"] {
            var scanner = try JSONScanner(Array(invalid.utf8))
            #expect(throws: WireError.self, "\(invalid)") {
                try scanner.skipValue()
                try scanner.finish()
            }
        }
    }
}
