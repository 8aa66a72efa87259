import ChatProtocol
import Foundation
import JWTKit

/// Mints and verifies v1 channel tokens: HS256 JWTs with exactly `{"ChannelID":<number>,"exp":<integer seconds>}`.
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

        enum CodingKeys: String, CodingKey {
            case channelID = "ChannelID"
            case exp
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The smallest secret accepted (RFC 8725 §3.5; jwt-kit asserts on shorter HMAC keys).
    static let minimumSecretLength = 32

    private let keys: JWTKeyCollection
    private let lifetime: Duration

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
    }

    /// A token for `channel`, expiring `lifetime` after `now` (whole seconds, as upstream).
    func issue(for channel: ChannelID, now: Date = Date()) async throws -> String {
        let expiry = (now.timeIntervalSince1970 + Double(self.lifetime.components.seconds)).rounded(.down)
        return try await self.issue(for: channel, expiresAt: Date(timeIntervalSince1970: expiry))
    }

    /// A token for `channel` with an explicit expiry (tests use past dates).
    func issue(for channel: ChannelID, expiresAt: Date) async throws -> String {
        let rounded = Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down))
        return try await self.keys.sign(Claims(channelID: channel.rawValue, exp: ExpirationClaim(value: rounded)))
    }

    /// The channel a token grants.
    /// - Throws: ``Failure``.
    func verify(_ token: String, now: Date = Date()) async throws(Failure) -> ChannelID {
        guard token.utf8.count <= 4096, Self.headerIsAcceptable(token) else { throw .invalid }
        let claims: Claims
        do {
            claims = try await self.keys.verify(token, as: Claims.self)
        } catch {
            throw .invalid
        }
        guard now < claims.exp.value else { throw .expired }
        return ChannelID(claims.channelID)
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
