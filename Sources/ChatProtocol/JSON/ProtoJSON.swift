// Helpers for the v2 JSON encoding: proto3 canonical JSON with the original (snake_case) field names.
//
// Writing: fields in field-number order; default values (0, "", false, enum 0, empty repeated) omitted; a set
// message field is written even when empty (`{}`); a set oneof member is written even when it holds a default
// value; 64-bit integers as quoted decimals, 32-bit integers as numbers; enums by value name, unknown numbers as
// numbers.
//
// Reading: unknown keys are skipped; keys match the proto name or its lowerCamelCase JSON name (case-sensitive,
// as protobuf parsers do); `null` means the field's default; 64-bit and 32-bit integers are accepted quoted or
// bare but must be integers in range (no fraction or exponent, no leading zero); enums are accepted by name or
// number, and a name this version does not know leaves the field at its default (as parsers that discard unknown
// fields do), so a newer peer's codes do not make the whole frame undecodable; two members of one oneof are
// `invalidValue`.

extension JSONScanner {
    /// Consumes the next member's key (see ``nextRawKey()``) and returns it as a proto field name: a
    /// lowerCamelCase JSON name (`clientMsgId`) is turned into its snake_case proto name (`client_msg_id`).
    /// - Returns: The field name, or `nil` after the closing brace.
    /// - Throws: A ``WireError`` for malformed input.
    package mutating func nextProtoKey() throws(WireError) -> String? {
        guard let key = try self.nextRawKey() else { return nil }
        guard key.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return key }
        var snake: [UInt8] = []
        snake.reserveCapacity(key.utf8.count + 4)
        for byte in key.utf8 {
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") {
                snake.append(UInt8(ascii: "_"))
                snake.append(byte | 0x20)
            } else {
                snake.append(byte)
            }
        }
        return String(decoding: snake, as: UTF8.self)
    }

    /// Reads a proto `uint64`: a quoted or bare integer; `null` is 0.
    /// - Returns: The value.
    /// - Throws: A ``WireError`` for a malformed, out-of-range or mistyped value.
    package mutating func readProtoUInt64() throws(WireError) -> UInt64 {
        if try self.readNull() { return 0 }
        return try self.readUInt64QuotedOrBare()
    }

    /// Reads a proto `int64`: a quoted or bare integer; `null` is 0.
    /// - Returns: The value.
    /// - Throws: A ``WireError`` for a malformed, out-of-range or mistyped value.
    package mutating func readProtoInt64() throws(WireError) -> Int64 {
        if try self.readNull() { return 0 }
        return try self.readInt64QuotedOrBare()
    }

    /// Reads a proto `uint32`: a bare or quoted integer; `null` is 0.
    /// - Returns: The value.
    /// - Throws: A ``WireError`` for a malformed, out-of-range or mistyped value.
    package mutating func readProtoUInt32() throws(WireError) -> UInt32 {
        if try self.readNull() { return 0 }
        _ = try self.peekKind()
        let start = self.offset
        guard let value = UInt32(exactly: try self.readUInt64QuotedOrBare()) else {
            throw WireError(.invalidNumber, at: start)
        }
        return value
    }

    /// Reads a proto `bool`; `null` is `false`.
    /// - Returns: The value.
    /// - Throws: A ``WireError`` for a malformed or mistyped value.
    package mutating func readProtoBool() throws(WireError) -> Bool {
        if try self.readNull() { return false }
        return try self.readBool()
    }

    /// Reads a proto `string`; `null` is `""`.
    /// - Returns: The value.
    /// - Throws: A ``WireError`` for a malformed or mistyped value.
    package mutating func readProtoString() throws(WireError) -> String {
        if try self.readNull() { return "" }
        return try self.readString()
    }

    /// Reads a proto enum: its value name, or its number (any `Int32`, known or not); `null` is 0.
    /// - Parameter names: The value names, indexed by number.
    /// - Returns: The number, or `nil` for a name this version does not know (the caller keeps the default).
    /// - Throws: A ``WireError`` for a malformed or mistyped value.
    package mutating func readProtoEnum(names: [String]) throws(WireError) -> Int32? {
        switch try self.peekKind() {
        case .null:
            _ = try self.readNull()
            return 0
        case .string:
            let name = try self.readString()
            guard !name.isEmpty, let index = names.firstIndex(of: name) else { return nil }
            return Int32(index)
        default:
            return try self.readInt32()
        }
    }

    /// Reads a proto message field; `null` is absent.
    /// - Returns: The message, or `nil` for `null`.
    /// - Throws: A ``WireError`` for malformed input.
    package mutating func readProtoMessage<T: JSONCodable>(_: T.Type = T.self) throws(WireError) -> T? {
        if try self.readNull() { return nil }
        return try T(decodingJSON: &self)
    }

    /// Reads the value of a oneof member into `slot`: `null` leaves it unset; a second member of the same oneof
    /// is ``WireError/Code/invalidValue`` at the second member's value.
    /// - Parameters:
    ///   - slot: The oneof's storage.
    ///   - make: Decodes the member's value and wraps it in the oneof's case.
    /// - Throws: A ``WireError`` for malformed input or a second member.
    package mutating func readOneof<T>(
        into slot: inout T?,
        _ make: (inout JSONScanner) throws(WireError) -> T
    ) throws(WireError) {
        _ = try self.peekKind()
        let start = self.offset
        if try self.readNull() { return }
        guard slot == nil else { throw WireError(.invalidValue, at: start) }
        slot = try make(&self)
    }

    /// Reads an empty proto message (`{}`; unknown members skipped).
    /// - Throws: A ``WireError`` for malformed input or a value that is not an object.
    package mutating func readEmptyMessage() throws(WireError) {
        try self.beginObject()
        while try self.nextRawKey() != nil {
            try self.skipValue()
        }
    }
}

extension JSONWriter {
    /// Writes a proto `uint64` field as a quoted decimal, unless it is 0.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The value.
    package mutating func writeProtoUInt64(_ key: StaticString, _ value: UInt64) {
        guard value != 0 else { return }
        self.writeKey(key)
        self.writeQuotedUInt64(value)
    }

    /// Writes a proto `int64` field as a quoted decimal, unless it is 0.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The value.
    package mutating func writeProtoInt64(_ key: StaticString, _ value: Int64) {
        guard value != 0 else { return }
        self.writeKey(key)
        self.writeQuotedInt64(value)
    }

    /// Writes a proto `uint32` field as a number, unless it is 0.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The value.
    package mutating func writeProtoUInt32(_ key: StaticString, _ value: UInt32) {
        guard value != 0 else { return }
        self.writeKey(key)
        self.writeUInt64(UInt64(value))
    }

    /// Writes a proto `bool` field, unless it is `false`.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The value.
    package mutating func writeProtoBool(_ key: StaticString, _ value: Bool) {
        guard value else { return }
        self.writeKey(key)
        self.writeBool(true)
    }

    /// Writes a proto `string` field, unless it is empty.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The value.
    package mutating func writeProtoString(_ key: StaticString, _ value: String) {
        guard !value.isEmpty else { return }
        self.writeKey(key)
        self.writeString(value)
    }

    /// Writes a proto enum field by value name (by number when `names` has none for it), unless it is 0.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The number.
    ///   - names: The value names, indexed by number.
    package mutating func writeProtoEnum(_ key: StaticString, _ value: Int32, names: [String]) {
        guard value != 0 else { return }
        self.writeKey(key)
        if value > 0, Int(value) < names.count, !names[Int(value)].isEmpty {
            self.writeString(names[Int(value)])
        } else {
            self.writeInt64(Int64(value))
        }
    }

    /// Writes a proto message field, unless it is absent.
    /// - Parameters:
    ///   - key: The field name.
    ///   - value: The message.
    package mutating func writeProtoMessage(_ key: StaticString, _ value: (some JSONCodable)?) {
        guard let value else { return }
        self.writeKey(key)
        value.encodeJSON(to: &self)
    }

    /// Writes `{}`.
    package mutating func writeEmptyObject() {
        self.beginObject()
        self.endObject()
    }
}
