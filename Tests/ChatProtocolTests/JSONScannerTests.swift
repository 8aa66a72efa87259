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

    @Test("keys match lowercase names as Go folds them: inline up to 16 bytes, longer or folded keys as strings")
    func keyMatching() throws {
        func matches(_ key: String, _ name: StaticString) throws -> Bool {
            var scanner = try JSONScanner(Array("{\"\(key)\":0}".utf8))
            try scanner.beginObject()
            let scanned = try #require(try scanner.nextKey())
            _ = try scanner.readInt64()
            #expect(try scanner.nextKey() == nil)
            switch scanned {
            case name: return true
            default: return false
            }
        }
        let names: [StaticString] = [
            "a", "user_id", "payload", "abcdefgh", "abcdefghi", "abcdefghijklmnop", "abcdefghijklmnopq",
            "abcdefghijklmnopqrstuvwxyz_0123456789",
        ]
        for name in names {
            let text = name.description
            #expect(try matches(text, name), "\(text)")
            #expect(try matches(text.uppercased(), name), "\(text) in capitals")
            #expect(try !matches(text + "x", name), "\(text) + x")
            #expect(try !matches(String(text.dropLast()), name), "\(text) shortened")
            #expect(try !matches(String(text.dropLast()) + "#", name), "\(text) last byte changed")
        }
        #expect(try matches(#"user\u005fid"#, "user_id"))
        #expect(try matches("\u{212A}ey", "key"))
        #expect(try !matches("", "a"))
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
