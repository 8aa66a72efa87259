extension ChannelTokenClaims: JSONCodable {
    /// Decodes the claims as golang-jwt v4 does for upstream's claims struct: keys match case-insensitively,
    /// `ChannelID` is an integer fitting `UInt64` (a bare number as upstream writes it, or a quoted decimal),
    /// `exp` and `iat` are integers (a fraction or exponent is rejected, as Go rejects it for `int64`), and
    /// unknown claims are skipped. `sub` and `cid` are quoted strict decimals. `ChannelID` may be absent only
    /// when `cid` is present; when both are present they must agree (otherwise ``WireError/Code/invalidValue``
    /// at the closing brace).
    package init(decodingJSON scanner: inout JSONScanner) throws(WireError) {
        var channelID: UInt64?
        var cid: UInt64?
        var expiresAt: Int64?
        var issuedAt: Int64?
        var subject: UserID?
        var tokenID: String?
        try scanner.beginObject()
        while let key = try scanner.nextKey() {
            switch key {
            case "channelid":
                channelID = try scanner.readOptional { s throws(WireError) in try s.readUInt64QuotedOrBare() }
            case "cid": cid = try scanner.readOptional { s throws(WireError) in try s.readQuotedUInt64() }
            case "exp": expiresAt = try scanner.readOptional { s throws(WireError) in try s.readInt64() }
            case "iat": issuedAt = try scanner.readOptional { s throws(WireError) in try s.readInt64() }
            case "sub":
                subject = try scanner.readOptional { s throws(WireError) in UserID(rawValue: try s.readQuotedUInt64()) }
            case "jti": tokenID = try scanner.readOptional { s throws(WireError) in try s.readString() }
            default: try scanner.skipValue()
            }
        }
        guard let channel = channelID ?? cid else { throw scanner.missingField() }
        if let cid, cid != channel { throw WireError(.invalidValue, at: max(scanner.offset - 1, 0)) }
        self.init(
            channelID: ChannelID(rawValue: channel),
            expiresAt: expiresAt,
            issuedAt: issuedAt,
            subject: subject,
            tokenID: tokenID
        )
    }

    /// Writes the claims in one fixed order, sorted by key bytes as Go sorts map keys:
    /// `{"ChannelID":n,"cid":"…","exp":s,"iat":s,"jti":"…","sub":"…"}`. `ChannelID` is a bare number as
    /// upstream writes it. `cid` is written when any v2 claim (`iat`, `jti`, `sub`) is set; every other claim
    /// only when set. So v1 claims render exactly as upstream's `{"ChannelID":n,"exp":s}`.
    package func encodeJSON(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.writeKey("ChannelID")
        writer.writeUInt64(self.channelID.rawValue)
        if self.issuedAt != nil || self.tokenID != nil || self.subject != nil {
            writer.writeKey("cid")
            writer.writeQuotedUInt64(self.channelID.rawValue)
        }
        if let expiresAt = self.expiresAt {
            writer.writeKey("exp")
            writer.writeInt64(expiresAt)
        }
        if let issuedAt = self.issuedAt {
            writer.writeKey("iat")
            writer.writeInt64(issuedAt)
        }
        if let tokenID = self.tokenID {
            writer.writeKey("jti")
            writer.writeString(tokenID)
        }
        if let subject = self.subject {
            writer.writeKey("sub")
            writer.writeQuotedUInt64(subject.rawValue)
        }
        writer.endObject()
    }
}

extension ChannelTokenClaims {
    /// Reads the claims of a compact JWT **without verifying its signature**: base64url-decodes the middle
    /// segment (unpadded, as JWTs are) and decodes it as JSON.
    ///
    /// The SDK uses this only to learn `exp` and refresh a token in time; never trust claims read this way.
    /// - Parameter unverifiedJWT: The token, `header.payload.signature`.
    /// - Throws: A ``WireError``: ``WireError/Code/malformedJSON`` if the token does not have three segments,
    ///   ``WireError/Code/invalidValue`` at the offending character (an offset into the token) if the payload
    ///   segment is not unpadded base64url, otherwise the JSON error with its offset into the decoded payload.
    public init(unverifiedJWT: String) throws {
        let token = Array(unverifiedJWT.utf8)
        guard let firstDot = token.firstIndex(of: UInt8(ascii: ".")) else {
            throw WireError(.malformedJSON, at: token.count)
        }
        guard let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")) else {
            throw WireError(.malformedJSON, at: token.count)
        }
        if let extra = token[(secondDot + 1)...].firstIndex(of: UInt8(ascii: ".")) {
            throw WireError(.malformedJSON, at: extra)
        }
        let payload = try Base64URL.decode(token[(firstDot + 1)..<secondDot])
        self = try Self.decodeDocument(payload, options: JSONDecodingOptions())
    }
}

/// Unpadded base64url (RFC 4648 §5), as JWT segments use it.
package enum Base64URL {
    /// Decodes unpadded base64url.
    /// - Parameter text: The encoded bytes (a slice; offsets in errors are its indices).
    /// - Returns: The decoded bytes.
    /// - Throws: ``WireError/Code/invalidValue`` at the first byte outside the alphabet (`=` included), or at
    ///   the end for an impossible length (4n + 1) or non-zero trailing bits.
    package static func decode(_ text: ArraySlice<UInt8>) throws(WireError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for index in text.indices {
            let byte = text[index]
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte &- UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte &- UInt8(ascii: "a") &+ 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte &- UInt8(ascii: "0") &+ 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: throw WireError(.invalidValue, at: index)
            }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // 6 leftover bits means a length of 4n + 1; any other leftover bits must be zero (canonical encoding).
        guard bits < 6, accumulator == 0 else { throw WireError(.invalidValue, at: text.endIndex) }
        return output
    }

    /// Encodes bytes as unpadded base64url.
    /// - Parameter bytes: The bytes.
    /// - Returns: The encoded text.
    package static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            output.append(alphabet[Int((chunk >> 6) & 63)])
            output.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let chunk = UInt32(bytes[index]) << 16
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
        } else if rest == 2 {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output.append(alphabet[Int(chunk >> 18)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            output.append(alphabet[Int((chunk >> 6) & 63)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
