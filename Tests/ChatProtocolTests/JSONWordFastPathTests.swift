import ChatProtocol
import Testing

/// The scanner reads keys, quoted ids and integers a word (eight bytes) at a time, loading the last word of the
/// input shifted rather than past its end, and V1.Message tries Go's member order with literal key checks before
/// its general loop. These put every length, every distance to the end of input and every kind of stop byte
/// through those paths and compare them with the plain definitions.
@Suite("JSON: word-at-a-time keys and numbers, Go-order fast path")
struct JSONWordFastPathTests {
    /// Digits for runs of 1 to 25, and the padding after the value that moves it towards the end of input.
    private static let digits = "1234567890123456789012345"
    private static let paddings = (0...24).map { String(repeating: " ", count: $0) }

    private static func readQuoted(_ text: String) -> Result<UInt64, WireError> {
        Result { () throws(WireError) -> UInt64 in
            var scanner = try JSONScanner(Array(text.utf8))
            return try scanner.readQuotedUInt64()
        }
    }

    private static func readInt(_ text: String) -> Result<Int64, WireError> {
        Result { () throws(WireError) -> Int64 in
            var scanner = try JSONScanner(Array(text.utf8))
            return try scanner.readInt64()
        }
    }

    @Test("quoted ids of 0 to 25 digits, leading zeros and stray bytes, at every distance to the end of input")
    func quotedIDs() {
        var bodies: [String] = ["0", "00", "01", "-1", "+1", "1a", "12 3", "é"]
        for length in 1...25 {
            let run = String(Self.digits.prefix(length))
            bodies += [run, "0" + run, run + "x", run + "\\u0031", String(repeating: "9", count: length)]
        }
        for body in bodies {
            // The slow path decodes escapes before holding the text to the rule.
            let expected = UInt64(strictDecimalForTest: body.replacing("\\u0031", with: "1"))
            for padding in Self.paddings {
                let result = Self.readQuoted("\"" + body + "\"" + padding)
                switch (result, expected) {
                case (.success(let value), .some(let expected)):
                    #expect(value == expected, "\(body)")
                case (.failure(let error), .none):
                    #expect(error == WireError(.invalidNumber, at: 0), "\(body)")
                default:
                    Issue.record(
                        "\(body) + \(padding.count) spaces: \(result), expected \(String(describing: expected))"
                    )
                }
            }
        }
    }

    @Test("integers of 1 to 25 digits, signed, ended by every kind of byte or by the end of input")
    func integers() {
        for length in 1...25 {
            for body in [String(Self.digits.prefix(length)), String(repeating: "9", count: length)] {
                for sign in ["", "-"] {
                    let expected = Int64(sign + body)
                    for end in ["", ",", "}", "]", " ", "\n", "x"] {
                        for padding in Self.paddings.prefix(12) {
                            let text = sign + body + end + padding
                            let result = Self.readInt(text)
                            if let expected {
                                #expect((try? result.get()) == expected, "\(text)")
                            } else {
                                #expect(
                                    (try? result.get()) == nil,
                                    "\(text): \(result) should overflow"
                                )
                            }
                        }
                    }
                }
            }
        }
        for (text, code) in [
            ("01", WireError.Code.invalidNumber), ("-01", .invalidNumber), ("1.5", .invalidNumber),
            ("1e3", .invalidNumber), ("1E3", .invalidNumber), ("12345678.9", .invalidNumber),
            ("123456789012.", .truncated), ("-", .truncated), ("-x", .invalidNumber),
        ] {
            for padding in ["", ",", "        ,"] {
                let result = Self.readInt(text + padding)
                let code = padding.isEmpty || code != .truncated ? code : .invalidNumber
                #expect(result.failure?.code == code, "\(text + padding): \(result)")
            }
        }
        #expect((try? Self.readInt("-0").get()) == 0)
        #expect((try? Self.readInt("0,").get()) == 0)
    }

    @Test("keys of 0 to 20 bytes match, fold and decode the same at every distance to the end of input")
    func keys() throws {
        let letters = Array("abcdefghijklmnopqrst")
        for length in 0...20 {
            let name = String(letters.prefix(length))
            for position in 0..<max(length, 1) {
                var variants = [(name, true)]
                if length > 0 {
                    var capital = letters.prefix(length).map(String.init)
                    capital[position] = capital[position].uppercased()
                    var escaped = letters.prefix(length).map(String.init)
                    escaped[position] =
                        "\\u00" + String(UInt8(ascii: letters[position].unicodeScalars.first!), radix: 16)
                    var changed = letters.prefix(length).map(String.init)
                    changed[position] = "_"
                    variants += [(capital.joined(), true), (escaped.joined(), true), (changed.joined(), false)]
                }
                for (key, matches) in variants {
                    for padding in Self.paddings {
                        let bytes = Array(("{\"" + key + "\":0" + padding + "}").utf8)
                        var scanner = try JSONScanner(bytes)
                        try scanner.beginObject()
                        let scanned = try #require(try scanner.nextKey())
                        #expect(scanned.description == (matches ? name : key), "\(key)")
                        #expect(try scanner.readInt64() == 0)
                        #expect(try scanner.nextKey() == nil)
                        try scanner.finish()
                    }
                }
            }
        }
        // A document that ends right after a key, or after its colon (the fast paths must not read past it).
        for length in 0...20 {
            let name = String(letters.prefix(length))
            for text in ["{\"a\":0,\"" + name + "\"", "{\"a\":0,\"" + name + "\":"] {
                var scanner = try JSONScanner(Array(text.utf8))
                try scanner.beginObject()
                _ = try scanner.nextKey()
                _ = try scanner.readInt64()
                let error = #expect(throws: WireError.self) {
                    _ = try scanner.nextKey()
                    _ = try scanner.readInt64()
                }
                #expect(error == WireError(.truncated, at: text.utf8.count), "\(text)")
            }
        }
        // Bytes that cannot be part of a plain key, at every position of the first two words.
        for position in 0..<16 {
            for byte: UInt8 in [0x01, 0x1F, 0x7F, 0x80, 0xC3, 0xFF] {
                var key = Array("abcdefghijklmnop".utf8)
                key[position] = byte
                let bytes = Array("{\"".utf8) + key + Array("\":0}                ".utf8)
                var scanner = try JSONScanner(bytes)
                try scanner.beginObject()
                if byte == 0x7F {
                    // DEL may stand raw in a JSON string: a valid key, decoded the slow way.
                    let scanned = try #require(try scanner.nextKey())
                    #expect(scanned.description == String(decoding: key, as: UTF8.self))
                } else {
                    #expect(throws: WireError.self, "byte \(byte) at \(position)") { _ = try scanner.nextKey() }
                }
            }
        }
    }

    /// The same document with a space after its opening brace, which the Go-order fast paths do not take, and the
    /// outcome mapped back to the document's offsets.
    private static func decodedInGeneralLoop<T: JSONCodable>(_: T.Type, _ bytes: [UInt8]) -> Result<T, WireError>? {
        guard bytes.first == UInt8(ascii: "{") else { return nil }
        let spaced = [bytes[0], UInt8(ascii: " ")] + bytes[1...]
        return Result { () throws(WireError) -> T in
            try T.decodeDocument(spaced, options: JSONDecodingOptions())
        }.mapError { WireError($0.code, at: $0.offset >= 1 ? $0.offset - 1 : $0.offset) }
    }

    /// Every byte of `document` replaced by bytes that matter to JSON, deleted, and the document cut at every length.
    private static func mutations(of document: [UInt8]) -> [[UInt8]] {
        let replacements: [UInt8] = Array(#" "\0189aAeE.-,:{}[]n"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xFF]
        var inputs = [document]
        for length in 0..<document.count {
            inputs.append(Array(document[..<length]))
        }
        for index in document.indices {
            for byte in replacements where byte != document[index] {
                var mutated = document
                mutated[index] = byte
                inputs.append(mutated)
            }
            var deleted = document
            deleted.remove(at: index)
            inputs.append(deleted)
        }
        return inputs
    }

    private static func expectFastPathMatchesGeneralLoop<T: JSONCodable & Equatable>(_: T.Type, _ document: String) {
        var fastDecodes = 0
        for input in Self.mutations(of: Array(document.utf8)) {
            guard let general = Self.decodedInGeneralLoop(T.self, input) else { continue }
            let fast = Result { () throws(WireError) -> T in
                try T.decodeDocument(input, options: JSONDecodingOptions())
            }
            #expect(fast == general, "\(String(decoding: input, as: UTF8.self))")
            if case .success = fast { fastDecodes += 1 }
        }
        #expect(fastDecodes > 50)
    }

    @Test("V1.Message: the Go-order fast path decodes or fails exactly as the general loop, byte by byte")
    func messageFastPathMatchesGeneralLoop() {
        Self.expectFastPathMatchesGeneralLoop(
            V1.Message.self,
            #"{"message_id":"1847563543227432961","event":0,"user_id":"1847563419017314305","payload":"hello, how are you doing today?","seen":false,"time":1700000000123}"#
        )
    }

    @Test("V1.InboundFrame: the browser-order fast path decodes or fails exactly as the general loop, byte by byte")
    func inboundFrameFastPathMatchesGeneralLoop() {
        Self.expectFastPathMatchesGeneralLoop(
            V1.InboundFrame.self,
            #"{"event":0,"user_id":"1847563419017314305","payload":"hello, how are you doing today?"}"#
        )
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension UInt64 {
    /// Strict decimal as the scanner defines it for quoted ids: 1 to 20 ASCII digits, no leading zero, no
    /// overflow.
    fileprivate init?(strictDecimalForTest text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            text == "0" || !text.hasPrefix("0")
        else { return nil }
        self.init(text)
    }
}
