/// Appends compact JSON to a byte buffer, rendering exactly as Go's `encoding/json` (Go 1.21) does.
///
/// - Compact: no whitespace, no trailing newline.
/// - Strings: `"` and `\` as `\"` and `\\`; newline, carriage return and tab as `\n`, `\r`, `\t`; every other
///   control character (including backspace and form feed, which Go 1.21 does not shorten) as `\u00XX` with
///   lowercase hex; `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
///   DEL (0x7F) and all other non-ASCII text are written as raw UTF-8.
/// - 64-bit ids are written as quoted decimal strings (``writeQuotedUInt64(_:)``), never through `Double`.
///
/// Separators are managed for the caller: ``writeKey(_:)`` and ``beginElement()`` insert a comma unless the
/// buffer ends with the opening bracket of the current container, so members are written in order with no
/// bookkeeping.
package struct JSONWriter {
    /// The bytes written so far.
    package private(set) var bytes: [UInt8]

    /// Creates an empty writer.
    /// - Parameter capacity: The number of bytes to reserve up front.
    package init(capacity: Int = 128) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// Writes `{`.
    package mutating func beginObject() { self.bytes.append(UInt8(ascii: "{")) }

    /// Writes `}`.
    package mutating func endObject() { self.bytes.append(UInt8(ascii: "}")) }

    /// Writes `[`.
    package mutating func beginArray() { self.bytes.append(UInt8(ascii: "[")) }

    /// Writes `]`.
    package mutating func endArray() { self.bytes.append(UInt8(ascii: "]")) }

    /// Writes the comma that separates this array element from the previous one, if there is one.
    package mutating func beginElement() { self.separate() }

    /// Writes a separating comma if needed, then `"key":`.
    /// - Parameter key: The member name: plain ASCII that needs no escaping.
    package mutating func writeKey(_ key: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
    }

    /// Writes a string value with Go-compatible escaping.
    /// - Parameter string: The text.
    package mutating func writeString(_ string: String) {
        self.writeEscaped(string.utf8)
    }

    /// Writes an unsigned integer as a quoted decimal string, the wire form of every 64-bit id: `"17"`.
    /// - Parameter value: The integer.
    package mutating func writeQuotedUInt64(_ value: UInt64) {
        self.bytes.append(UInt8(ascii: "\""))
        self.writeUInt64(value)
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an unsigned integer as a bare JSON number: `17`.
    /// - Parameter value: The integer.
    package mutating func writeUInt64(_ value: UInt64) {
        var digitCount = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digitCount += 1
        }
        let start = self.bytes.count
        self.bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digitCount))
        rest = value
        var index = start + digitCount
        repeat {
            index -= 1
            self.bytes[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while rest > 0
    }

    /// Writes a signed integer as a bare JSON number: `-17`.
    /// - Parameter value: The integer.
    package mutating func writeInt64(_ value: Int64) {
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
        }
        self.writeUInt64(value.magnitude)
    }

    /// Writes a signed integer as a quoted decimal string: `"-17"`.
    /// - Parameter value: The integer.
    package mutating func writeQuotedInt64(_ value: Int64) {
        self.bytes.append(UInt8(ascii: "\""))
        self.writeInt64(value)
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `true` or `false`.
    /// - Parameter value: The boolean.
    package mutating func writeBool(_ value: Bool) {
        if value {
            self.bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            self.bytes.append(contentsOf: [
                UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e"),
            ])
        }
    }

    /// Writes `null`.
    package mutating func writeNull() {
        self.bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    private mutating func separate() {
        guard let last = self.bytes.last, last != UInt8(ascii: "{"), last != UInt8(ascii: "[") else { return }
        self.bytes.append(UInt8(ascii: ","))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeEscaped(_ utf8: String.UTF8View) {
        self.bytes.append(UInt8(ascii: "\""))
        var runStart = utf8.startIndex
        var index = utf8.startIndex
        let end = utf8.endIndex
        while index < end {
            let byte = utf8[index]
            var letter: UInt8 = 0  // the short escape letter, or 0 for the \u form
            var unit: UInt16 = 0  // the code unit of the \u form
            var next = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                letter = byte
            case UInt8(ascii: "\n"):
                letter = UInt8(ascii: "n")
            case UInt8(ascii: "\r"):
                letter = UInt8(ascii: "r")
            case UInt8(ascii: "\t"):
                letter = UInt8(ascii: "t")
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                unit = UInt16(byte)
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9; the string is valid UTF-8, so two bytes follow.
                let second = utf8[next]
                let thirdIndex = utf8.index(after: next)
                let third = utf8[thirdIndex]
                guard second == 0x80, third & 0xFE == 0xA8 else {
                    index = next
                    continue
                }
                unit = 0x2028 | UInt16(third & 1)
                next = utf8.index(after: thirdIndex)
            default:
                index = next
                continue
            }
            if runStart < index {
                self.bytes.append(contentsOf: utf8[runStart..<index])
            }
            self.bytes.append(UInt8(ascii: "\\"))
            if letter != 0 {
                self.bytes.append(letter)
            } else {
                self.bytes.append(UInt8(ascii: "u"))
                self.bytes.append(Self.hexDigits[Int(unit >> 12)])
                self.bytes.append(Self.hexDigits[Int((unit >> 8) & 0xF)])
                self.bytes.append(Self.hexDigits[Int((unit >> 4) & 0xF)])
                self.bytes.append(Self.hexDigits[Int(unit & 0xF)])
            }
            index = next
            runStart = next
        }
        if runStart < end {
            self.bytes.append(contentsOf: utf8[runStart..<end])
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
