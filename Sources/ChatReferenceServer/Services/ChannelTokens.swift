import ChatProtocol
import Crypto
import Foundation
import JWTKit
import Synchronization

/// What a verified channel token grants.
struct VerifiedToken: Hashable, Sendable {
    var channel: ChannelID
    /// The v2 `sub` claim; `nil` for a v1 token.
    var subject: UserID?
    /// `exp` in Unix seconds.
    var expiresAt: Int64
}

/// Mints and verifies channel tokens: v1 HS256 JWTs with exactly `{"ChannelID":<number>,"exp":<integer seconds>}`,
/// and v2 tokens that add `cid`, `sub`, `iat` and `jti` (PROTOCOL.md §3.3).
///
/// Verification is stricter than upstream (see `docs/COMPATIBILITY.md`, D45): the header must say `HS256` (no other
/// HMAC variant, no `none`), carry no `crit`, and `exp` must be present. A token is *expired* only when the signature
/// and shape are valid and `exp` has passed (upstream's distinction); every other failure is *invalid*.
struct ChannelTokens: Sendable {
    /// Why a token was refused.
    enum Failure: Error, Hashable {
        case invalid
        case expired
    }

    /// The v1 claims as jwt-kit reads them; `exp` is checked by ``ChannelTokens`` itself so that signature
    /// failures and expiry stay distinguishable.
    private struct Claims: JWTPayload {
        var channelID: UInt64
        var exp: ExpirationClaim
        var cid: String?
        var sub: String?
        var iat: Int64?
        var nbf: Int64?
        var jti: String?

        enum CodingKeys: String, CodingKey {
            case channelID = "ChannelID"
            case exp, cid, sub, iat, nbf, jti
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The smallest secret accepted (RFC 8725 §3.5; jwt-kit asserts on shorter HMAC keys).
    static let minimumSecretLength = 32

    private let keys: JWTKeyCollection
    private let lifetime: Duration
    private let key: SymmetricKey
    private let proven = ProvenTokens()

    /// Creates the token service.
    /// - Throws: ``ConfigurationError`` when the secret is shorter than 32 bytes.
    init(secret: String, lifetime: Duration) async throws {
        guard secret.utf8.count >= Self.minimumSecretLength else {
            throw ConfigurationError(
                "the JWT secret is \(secret.utf8.count) bytes long; at least \(Self.minimumSecretLength) are required"
            )
        }
        self.keys = JWTKeyCollection()
        await self.keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.lifetime = lifetime
        self.key = SymmetricKey(data: Array(secret.utf8))
    }

    /// The lifetime of newly minted tokens.
    var tokenLifetime: Duration { self.lifetime }

    /// A v2 token for `user` in `channel` (all six claims of §3.3, sorted keys, a fresh random `jti`), expiring
    /// `lifetime` after `now`. Returns the token and its `exp` in seconds.
    func issueV2(for channel: ChannelID, user: UserID, now: Date = Date()) -> (token: String, expiresAt: Int64) {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let expiresAt = issuedAt + self.lifetime.components.seconds
        // 8 random bytes as 16 lowercase hex digits.
        var random = UInt64.random(in: 0 ... .max)
        var jti = [UInt8]()
        jti.reserveCapacity(16)
        for _ in 0..<8 {
            let byte = Int(truncatingIfNeeded: random & 0xFF)
            random >>= 8
            jti.append(Self.hexDigits[byte >> 4])
            jti.append(Self.hexDigits[byte & 0xF])
        }
        let claims = ChannelTokenClaims(
            channelID: channel,
            expiresAt: expiresAt,
            issuedAt: issuedAt,
            subject: user,
            tokenID: String(decoding: jti, as: UTF8.self)
        )
        return (self.sign(claims), expiresAt)
    }

    /// A v1 token for `channel`, expiring `lifetime` after `now` (whole seconds, as upstream). Synchronous: the
    /// matchmaker signs on its own executor.
    func issueV1(for channel: ChannelID, now: Date = Date()) -> String {
        let expiresAt = (now.timeIntervalSince1970 + Double(self.lifetime.components.seconds)).rounded(.down)
        return self.sign(ChannelTokenClaims(channelID: channel, expiresAt: Int64(expiresAt)))
    }

    /// A token for `channel`, expiring `lifetime` after `now` (whole seconds, as upstream).
    func issue(for channel: ChannelID, now: Date = Date()) async throws -> String {
        self.issueV1(for: channel, now: now)
    }

    /// A token for `channel` with an explicit expiry (tests use past dates).
    func issue(for channel: ChannelID, expiresAt: Date) async throws -> String {
        let rounded = Int64(expiresAt.timeIntervalSince1970.rounded(.down))
        return self.sign(ChannelTokenClaims(channelID: channel, expiresAt: rounded))
    }

    /// `{"alg":"HS256","typ":"JWT"}` in base64url, and the `.` after it.
    private static let signedHeader = Array("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let base64URLDigits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// An HS256 JWT of `claims` (the claims' own JSON writer, no padding), built in one byte buffer; remembered as
    /// proven, since it passes every time-independent check by construction (the tests verify that afresh).
    private func sign(_ claims: ChannelTokenClaims) -> String {
        let payload = claims.encodeDocument()
        var token = Self.signedHeader
        token.reserveCapacity(Self.signedHeader.count + (payload.count * 4 + 2) / 3 + 1 + 43)
        Self.appendBase64URL(payload, to: &token)
        let mac = HMAC<SHA256>.authenticationCode(for: token, using: self.key)
        token.append(UInt8(ascii: "."))
        Self.appendBase64URL(Array(mac), to: &token)
        let text = String(decoding: token, as: UTF8.self)
        if let expiresAt = claims.expiresAt {
            let proven = ProvenClaims(
                channel: claims.channelID,
                subject: claims.subject,
                expiresAt: Date(timeIntervalSince1970: Double(expiresAt)),
                issuedAt: claims.issuedAt,
                notBefore: nil
            )
            self.proven.store(text, proven)
        }
        return text
    }

    /// Appends unpadded base64url of `bytes`.
    private static func appendBase64URL(_ bytes: [UInt8], to output: inout [UInt8]) {
        let digits = Self.base64URLDigits
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            output.append(digits[chunk >> 18])
            output.append(digits[chunk >> 12 & 0x3F])
            output.append(digits[chunk >> 6 & 0x3F])
            output.append(digits[chunk & 0x3F])
            index += 3
        }
        switch bytes.count - index {
        case 1:
            let chunk = Int(bytes[index]) << 16
            output.append(digits[chunk >> 18])
            output.append(digits[chunk >> 12 & 0x3F])
        case 2:
            let chunk = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8
            output.append(digits[chunk >> 18])
            output.append(digits[chunk >> 12 & 0x3F])
            output.append(digits[chunk >> 6 & 0x3F])
        default:
            break
        }
    }

    /// The channel a token grants.
    /// - Throws: ``Failure``.
    func verify(_ token: String, now: Date = Date()) async throws(Failure) -> ChannelID {
        try await self.verifyClaims(token, now: now).channel
    }

    /// Verifies a v1 or v2 token (§3.4): signature, shape, `cid` = `ChannelID`, a strict decimal `sub`, `iat` and
    /// `nbf` not in the future, then expiry. With `ignoringExpiry` an expired but otherwise valid token passes.
    /// - Throws: ``Failure``.
    func verifyClaims(
        _ token: String,
        now: Date = Date(),
        ignoringExpiry: Bool = false
    ) async throws(Failure)
        -> VerifiedToken
    {
        let proven: ProvenClaims
        if let known = self.proven.claims(of: token) {
            proven = known
        } else {
            guard token.utf8.count <= 4096, Self.headerIsAcceptable(token) else { throw .invalid }
            let claims: Claims
            do {
                claims = try await self.keys.verify(token, as: Claims.self)
            } catch {
                throw .invalid
            }
            if let cid = claims.cid, ChannelID(decimal: cid)?.rawValue != claims.channelID { throw .invalid }
            var subject: UserID?
            if let sub = claims.sub {
                guard let user = UserID(decimal: sub) else { throw .invalid }
                subject = user
            }
            if let jti = claims.jti, jti.isEmpty || jti.utf8.count > 64 { throw .invalid }
            proven = ProvenClaims(
                channel: ChannelID(claims.channelID),
                subject: subject,
                expiresAt: claims.exp.value,
                issuedAt: claims.iat,
                notBefore: claims.nbf
            )
            self.proven.store(token, proven)
        }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        if let iat = proven.issuedAt, iat > nowSeconds + 5 { throw .invalid }  // 5 s of clock skew
        if let nbf = proven.notBefore, nbf > nowSeconds + 5 { throw .invalid }
        guard ignoringExpiry || now < proven.expiresAt else { throw .expired }
        return VerifiedToken(
            channel: proven.channel,
            subject: proven.subject,
            expiresAt: Int64(proven.expiresAt.timeIntervalSince1970.rounded(.down))
        )
    }

    /// What verification proved about a token independently of the time (signature, header, shape, `cid`, `sub`,
    /// `jti`), with the claims the time-dependent checks need; those run on every use.
    private struct ProvenClaims: Sendable {
        var channel: ChannelID
        var subject: UserID?
        var expiresAt: Date
        var issuedAt: Int64?
        var notBefore: Int64?
    }

    /// Tokens minted or verified before, so that one is not parsed and signature-checked again (each member of a
    /// v1 match reads its channel's members with the same token). At most 20,000; a full table starts over.
    private final class ProvenTokens: Sendable {
        private let entries = Mutex<[String: ProvenClaims]>([:])
        private static let maxEntries = 20_000

        func claims(of token: String) -> ProvenClaims? {
            self.entries.withLock { $0[token] }
        }

        func store(_ token: String, _ claims: ProvenClaims) {
            self.entries.withLock { entries in
                if entries.count >= Self.maxEntries { entries.removeAll(keepingCapacity: true) }
                entries[token] = claims
            }
        }
    }

    /// Requires `alg == "HS256"` and no `crit`, before jwt-kit (which takes the algorithm from the key) sees it.
    private static func headerIsAcceptable(_ token: String) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Data(base64URLEncoded: parts[0]),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any]
        else { return false }
        return object["alg"] as? String == "HS256" && object["crit"] == nil
    }
}

/// A configuration value the server cannot start with.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// What is wrong and how to fix it.
    public var description: String

    init(_ description: String) { self.description = description }
}

extension Data {
    /// Decodes unpadded or padded base64url.
    init?(base64URLEncoded text: some StringProtocol) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") || base64.count % 4 == 0 else { return nil }
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }

    /// The base64url text of these bytes, with or without `=` padding.
    func base64URLEncodedString(padded: Bool) -> String {
        var text = self.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        if !padded { text = text.replacingOccurrences(of: "=", with: "") }
        return text
    }
}
