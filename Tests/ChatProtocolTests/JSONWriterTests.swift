import ChatProtocol
import Testing

@Suite("JSON writer")
struct JSONWriterTests {
    private func rendered(_ string: String) -> String {
        var writer = JSONWriter()
        writer.writeString(string)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test("control characters are escaped as Go 1.21 does: \\n \\r \\t short, the rest \\u00xx lowercase")
    func controlCharacters() {
        for value in UInt8(0)..<0x20 {
            let expected: String
            switch value {
            case 0x0A: expected = #""\n""#
            case 0x0D: expected = #""\r""#
            case 0x09: expected = #""\t""#
            default:
                let hex = String(value, radix: 16)
                expected = "\"\\u00" + (hex.count == 1 ? "0" + hex : hex) + "\""
            }
            #expect(rendered(String(UnicodeScalar(value))) == expected, "\(value)")
        }
    }

    @Test("HTML-sensitive characters and U+2028/U+2029 are escaped; DEL, '/' and other text are not")
    func htmlAndSeparators() {
        #expect(rendered("<>&") == #""\u003c\u003e\u0026""#)
        #expect(rendered("a\u{2028}b\u{2029}c") == #""a\u2028b\u2029c""#)
        #expect(rendered("\u{2027}\u{202A}\u{20AC}") == "\"\u{2027}\u{202A}\u{20AC}\"")
        #expect(rendered("\u{7F}/é🐱") == "\"\u{7F}/é🐱\"")
        #expect(rendered(#""\"#) == #""\"\\""#)
        #expect(rendered("") == #""""#)
    }

    @Test("integers: extremes, quoted ids, booleans, null")
    func scalars() {
        var writer = JSONWriter()
        writer.beginArray()
        for value: Int64 in [0, 9, 10, -1, .max, .min] {
            writer.beginElement()
            writer.writeInt64(value)
        }
        writer.beginElement()
        writer.writeQuotedUInt64(.max)
        writer.beginElement()
        writer.writeQuotedUInt64(0)
        writer.beginElement()
        writer.writeBool(true)
        writer.beginElement()
        writer.writeBool(false)
        writer.beginElement()
        writer.writeNull()
        writer.endArray()
        #expect(
            String(decoding: writer.bytes, as: UTF8.self)
                == #"[0,9,10,-1,9223372036854775807,-9223372036854775808,"18446744073709551615","0",true,false,null]"#
        )
    }

    @Test("separators: nested empty containers and members")
    func separators() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.writeKey("a")
        writer.beginArray()
        writer.beginElement()
        writer.beginObject()
        writer.endObject()
        writer.beginElement()
        writer.beginArray()
        writer.endArray()
        writer.endArray()
        writer.writeKey("b")
        writer.beginObject()
        writer.endObject()
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a":[{},[]],"b":{}}"#)
    }
}
