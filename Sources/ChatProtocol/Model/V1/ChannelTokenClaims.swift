/// The claims of a channel access token (an HS256 JWT).
///
/// v1 (upstream) tokens carry exactly `{"ChannelID": <number>, "exp": <seconds>}`. v2 tokens add the user
/// (`sub`), the channel as a string (`cid`), the token id (`jti`) and the issue time (`iat`), and keep
/// `ChannelID` so v1 code can still read them. The SDK reads these claims without verifying the signature, only to
/// refresh a token before `exp`; verification is the server's job.
public struct ChannelTokenClaims: Hashable, Sendable {
    /// The channel the token grants (`ChannelID`, a JSON number).
    public var channelID: ChannelID
    /// Expiry, Unix seconds (`exp`); `nil` when absent, which upstream treats as "never expires".
    public var expiresAt: Int64?
    /// Issue time, Unix seconds (`iat`), v2.
    public var issuedAt: Int64?
    /// The user the token was issued to (`sub`, decimal string), v2.
    public var subject: UserID?
    /// The token's unique id (`jti`), v2.
    public var tokenID: String?

    /// Creates claims.
    /// - Parameters:
    ///   - channelID: The channel.
    ///   - expiresAt: Expiry in Unix seconds.
    ///   - issuedAt: Issue time in Unix seconds.
    ///   - subject: The user, for v2 tokens.
    ///   - tokenID: The token id, for v2 tokens.
    public init(
        channelID: ChannelID,
        expiresAt: Int64?,
        issuedAt: Int64? = nil,
        subject: UserID? = nil,
        tokenID: String? = nil
    ) {
        self.channelID = channelID
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.subject = subject
        self.tokenID = tokenID
    }
}
