import ChatProtocol
import Testing

/// The writer and the scanner skip plain string bytes eight at a time; these put every kind of byte that stops
/// them at every position of the first words, so both the word-at-a-time loop and the byte-by-byte tail see it.
@Suite("JSON strings: word-at-a-time fast paths")
struct JSONStringFastPathTests {
    /// Texts that the writer must escape or look at, with their escaped form.
    private static let stops: [(String, String)] = [
        ("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\r", #"\r"#), ("\t", #"\t"#), ("\u{0}", #"\u0000"#),
        ("\u{1F}", #"\u001f"#), ("<", #"\u003c"#), (">", #"\u003e"#), ("&", #"\u0026"#),
        ("\u{2028}", #"\u2028"#), ("\u{2029}", #"\u2029"#),
        // Not escaped: E2 lead bytes of other characters, DEL, other non-ASCII text.
        ("\u{2027}", "\u{2027}"), ("\u{20AC}", "\u{20AC}"), ("\u{7F}", "\u{7F}"), ("é", "é"), ("🐱", "🐱"),
    ]

    private static func written(_ text: String) -> String {
        var writer = JSONWriter()
        writer.writeString(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func scanned(_ bytes: [UInt8]) throws(WireError) -> String {
        var scanner = try JSONScanner(bytes)
        return try scanner.readString()
    }

    @Test("every escapable text at every position of a 40-byte string is escaped and reads back")
    func escapesAtEveryPosition() throws {
        for (text, escaped) in Self.stops {
            for position in 0...40 {
                for filler in ["a", "ж"] {
                    let prefix = String(repeating: filler, count: position)
                    let suffix = String(repeating: "b", count: 40 - position)
                    let value = prefix + text + suffix + text
                    let expected = "\"" + prefix + escaped + suffix + escaped + "\""
                    #expect(Self.written(value) == expected, "\(position) \(text.unicodeScalars.map(\.value))")
                    #expect(try Self.scanned(Array(expected.utf8)) == value)
                }
            }
        }
    }

    @Test("the writer grows past its initial capacity, and reading bytes between writes keeps both copies intact")
    func growth() {
        var writer = JSONWriter(capacity: 0)
        writer.beginArray()
        var expected = "["
        for round in 0..<300 {
            writer.beginElement()
            writer.writeString("<\(round)>" + String(repeating: "é", count: round))
            expected +=
                (round == 0 ? "" : ",") + "\"\\u003c\(round)\\u003e" + String(repeating: "é", count: round) + "\""
            if round == 150 {
                let snapshot = writer.bytes
                #expect(String(decoding: snapshot, as: UTF8.self) == expected)
            }
        }
        writer.endArray()
        expected += "]"
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
    }

    @Test("invalid UTF-8, a raw control character and the end of input are reported at their offset")
    func errorsAtEveryPosition() {
        let cases: [([UInt8], WireError.Code)] = [
            ([0xFF], .invalidUTF8), ([0xC3, 0x28], .invalidUTF8), ([0xE2, 0x80], .invalidUTF8),
            ([0xED, 0xA0, 0x80], .invalidUTF8), ([0x01], .malformedJSON), ([0x1F], .malformedJSON),
        ]
        for (bad, code) in cases {
            for position in 0...20 {
                for escapedFirst in [false, true] {
                    let head: [UInt8] = escapedFirst ? Array(#"\n"#.utf8) : []
                    let plain = [UInt8](repeating: UInt8(ascii: "x"), count: position)
                    let bytes = [UInt8(ascii: "\"")] + head + plain + bad + Array("yyyyyyyyyyyy\"".utf8)
                    let offset = 1 + head.count + position
                    #expect(throws: WireError(code, at: offset), "\(bad) at \(position)") {
                        try Self.scanned(bytes)
                    }
                }
            }
            // Cut off inside the string: truncated at the input's length.
            let cut = [UInt8(ascii: "\"")] + [UInt8](repeating: UInt8(ascii: "x"), count: 19)
            #expect(throws: WireError(.truncated, at: cut.count)) { try Self.scanned(cut) }
        }
    }
}
