public import Foundation

/// The result of ``ChatClient/match()``: a two-person channel and the token that opens it.
///
/// Keep it (for example in a ``ChatSessionStore``) to reopen the session after a restart, until the token
/// expires (``expiresAt``).
public struct ChatMatch: Hashable, Sendable {
    /// The channel both users were paired into.
    public var channelID: ChannelID
    /// The channel access token (a JWT); the SDK reads its expiry but never verifies it.
    public var token: String
    /// You.
    public var userID: UserID
    /// The other member. ``ChatClient/match()`` always knows them from v2's `matched` and from the reference
    /// server's v1 match frame (`peer_id`); against an upstream v1 server it asks `GET /api/chat/users`, and the
    /// value is `nil` only if that request failed (``ChatSession/members()`` asks again).
    public var peerID: UserID?
    /// When the token expires, read from its `exp` claim; `nil` if it has none.
    public var expiresAt: Date?

    /// Creates a match from its parts; ``ChatClient/match()`` is the usual way to get one.
    /// - Parameters:
    ///   - channelID: The channel.
    ///   - token: The channel token.
    ///   - userID: Your user id.
    ///   - peerID: The other member, if known.
    ///   - expiresAt: The token's expiry, if any.
    public init(channelID: ChannelID, token: String, userID: UserID, peerID: UserID? = nil, expiresAt: Date? = nil) {
        self.channelID = channelID
        self.token = token
        self.userID = userID
        self.peerID = peerID
        self.expiresAt = expiresAt
    }

    /// Creates a match from a channel token, reading the channel and expiry from its claims.
    /// - Parameters:
    ///   - token: The channel token received from the match endpoint.
    ///   - userID: Your user id.
    ///   - peerID: The other member, if known.
    /// - Throws: `ChatError` with `ChatError.Code.invalidToken` when the token's claims cannot be read.
    public init(token: String, userID: UserID, peerID: UserID? = nil) throws {
        let claims: ChannelTokenClaims
        do {
            claims = try ChannelTokenClaims(unverifiedJWT: token)
        } catch {
            throw ChatError(code: .invalidToken, message: "the channel token's claims could not be read", cause: error)
        }
        self.init(
            channelID: claims.channelID,
            token: token,
            userID: userID,
            peerID: peerID,
            expiresAt: claims.expiresAt.map { Date(timeIntervalSince1970: Double($0)) }
        )
    }
}
