import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

/// Tokens are signed without jwt-kit (one byte buffer, the claims' own JSON writer); they must be exactly the
/// HS256 JWTs a hand-made reference signs, and verify as before.
@Suite("Channel token signing")
struct ChannelTokenSigningTests {
    static let secret = "signing-test-secret-0123456789abcdef"

    @Test("a v1 token is exactly HS256 over {\"ChannelID\":n,\"exp\":s} and verifies")
    func v1() async throws {
        let tokens = try await ChannelTokens(secret: Self.secret, lifetime: .seconds(86_400))
        let now = Date(timeIntervalSince1970: 1_900_000_000.75)
        let channel = ChannelID(1_847_563_543_227_432_961)
        let token = tokens.issueV1(for: channel, now: now)
        let expected = Forge.hs256(
            #"{"alg":"HS256","typ":"JWT"}"#,
            #"{"ChannelID":1847563543227432961,"exp":1900086400}"#,
            key: Self.secret
        )
        #expect(token == expected)
        // A fresh instance has not seen the token: jwt-kit and the checks verify it.
        let fresh = try await ChannelTokens(secret: Self.secret, lifetime: .seconds(86_400))
        let verified = try await fresh.verifyClaims(token, now: now)
        #expect(verified == VerifiedToken(channel: channel, subject: nil, expiresAt: 1_900_086_400))
        #expect(try await tokens.verifyClaims(token, now: now) == verified)
        #expect(
            try await tokens.issue(for: channel, expiresAt: Date(timeIntervalSince1970: 1_900_086_400.5)) == expected
        )
    }

    @Test("a v2 token carries all six claims, a 16-hex-digit jti, and verifies", arguments: 0..<20)
    func v2(_ round: Int) async throws {
        let tokens = try await ChannelTokens(secret: Self.secret, lifetime: .seconds(3_600))
        let now = Date(timeIntervalSince1970: 1_900_000_000)
        let channel = ChannelID(UInt64(round) &* 0x9E37_79B9_7F4A_7C15 | 1)
        let (token, expiresAt) = tokens.issueV2(for: channel, user: UserID(99), now: now)
        #expect(expiresAt == 1_900_003_600)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        let payload = try #require(Data(base64URLEncoded: parts[1]))
        let claims = try ChannelTokenClaims(jsonBytes: Array(payload))
        let jti = try #require(claims.tokenID)
        #expect(jti.utf8.count == 16 && jti.utf8.allSatisfy { Array("0123456789abcdef".utf8).contains($0) })
        let expected = Forge.hs256(
            #"{"alg":"HS256","typ":"JWT"}"#,
            #"{"ChannelID":\#(channel),"cid":"\#(channel)","exp":1900003600,"iat":1900000000,"jti":"\#(jti)","sub":"99"}"#,
            key: Self.secret
        )
        #expect(token == expected)
        let fresh = try await ChannelTokens(secret: Self.secret, lifetime: .seconds(3_600))
        let verified = try await fresh.verifyClaims(token, now: now)
        #expect(verified == VerifiedToken(channel: channel, subject: UserID(99), expiresAt: 1_900_003_600))
        #expect(try await tokens.verifyClaims(token, now: now) == verified)
    }

    @Test("a token verified (or minted) before still gets every time-dependent check on each use")
    func provenTokensRecheckTime() async throws {
        let tokens = try await ChannelTokens(secret: Self.secret, lifetime: .seconds(3_600))
        let issued = Date(timeIntervalSince1970: 1_900_000_000)
        for token in [
            tokens.issueV2(for: ChannelID(5), user: UserID(6), now: issued).token,
            Forge.hs256(
                #"{"alg":"HS256","typ":"JWT"}"#,
                #"{"ChannelID":5,"cid":"5","exp":1900003600,"iat":1900000000,"jti":"j","sub":"6"}"#,
                key: Self.secret
            ),
        ] {
            #expect(try await tokens.verifyClaims(token, now: issued).channel == ChannelID(5))
            // iat in the future (beyond 5 s of skew) is invalid, after expiry it is expired, and tampering is invalid.
            await #expect(throws: ChannelTokens.Failure.invalid) {
                try await tokens.verifyClaims(token, now: issued.addingTimeInterval(-6))
            }
            await #expect(throws: ChannelTokens.Failure.expired) {
                try await tokens.verifyClaims(token, now: issued.addingTimeInterval(3_600))
            }
            #expect(
                try await tokens.verifyClaims(token, now: issued.addingTimeInterval(3_600), ignoringExpiry: true)
                    .subject == UserID(6)
            )
            await #expect(throws: ChannelTokens.Failure.invalid) {
                try await tokens.verifyClaims(token + "x", now: issued)
            }
        }
    }
}
