import ChatProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of every route, HTTP and websocket alike. It keeps the connection's channel (the refusal
/// middleware finds the connection's ``RefusalRewriter`` there) and, for an accepted websocket upgrade, the session
/// (see ``ChatServerChannel``).
struct ChatRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    let acceptedWebSocket = AcceptedWebSocket()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

extension HTTPField.Name {
    /// `X-Channel-Id`, the forward-auth answer's channel header.
    // swift-format-ignore: NeverForceUnwrap
    static let channelID = Self("X-Channel-Id")!  // a valid token, cannot fail
    /// `X-Content-Type-Options`.
    // swift-format-ignore: NeverForceUnwrap
    static let contentTypeOptions = Self("X-Content-Type-Options")!  // a valid token, cannot fail
}

extension Response {
    /// A JSON response with upstream's content type.
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Request {
    /// A query parameter, or `nil`.
    func query(_ name: String) -> String? { self.uri.queryParameters.get(name) }

    /// A cookie value, URL-unescaped as upstream reads it.
    func cookie(_ name: String) -> String? {
        guard let value = self.cookies[name]?.value else { return nil }
        return value.removingPercentEncoding ?? value
    }

    /// Whether this is a websocket upgrade request; a plain GET on a websocket path gets 400, as upstream's
    /// gorilla answers (without its appended second body, D19).
    func requireWebSocketUpgrade() throws {
        guard self.headers[.upgrade]?.lowercased() == "websocket" else { throw ChatHTTPError(.invalidParameter) }
    }

    /// The subprotocols offered (§2.2): the negotiated version, and the `rc.bearer.<jwt>` credentials (removed before
    /// negotiation, never echoed). Tokens offered but none supported (also: only bearer tokens) → 400
    /// `unsupported_version`. A server configured for v1 only refuses v2 offers the same way, or ignores them when it
    /// imitates upstream (``ServerConfiguration/ProtocolSupport/v1IgnoringSubprotocols``).
    func subprotocolOffer(
        _ support: ServerConfiguration.ProtocolSupport = .v1AndV2
    ) throws -> (negotiated: NegotiatedProtocol, bearerTokens: [String]) {
        if support == .v1IgnoringSubprotocols { return (.v1, []) }
        let tokens = self.headers[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) }
            .filter { !$0.isEmpty }
        let bearer = tokens.filter { $0.hasPrefix("rc.bearer.") }.map { String($0.dropFirst("rc.bearer.".count)) }
        let versions = tokens.filter { !$0.hasPrefix("rc.bearer.") }
        guard !tokens.isEmpty else { return (.v1, []) }
        guard support == .v1AndV2, !versions.isEmpty,
            let negotiated = WebSocketSubprotocol.negotiate(offered: versions),
            negotiated != .v1
        else { throw ChatHTTPError(.unsupportedVersion) }
        return (negotiated, bearer)
    }

    /// The token of an `Authorization: <scheme> <token>` header. Like upstream, exactly two space-separated parts;
    /// unlike upstream, the scheme must be `Bearer` (case-insensitive, D29).
    var bearerToken: String? {
        guard let header = self.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}

extension ServerState {
    /// Session-cookie authentication (`sid`): the user, or a 401.
    func sessionUser(_ request: Request) async throws -> UserID {
        try await self.session(request).entry.user
    }

    /// Session-cookie authentication for a route that also needs the user row to exist: the user, a 401, or a 404
    /// `user not found`. Within the session's cache window neither check reads the database.
    func existingSessionUser(_ request: Request) async throws -> UserID {
        let (sid, entry) = try await self.session(request)
        if !entry.userExists {
            guard try await self.storage.user(entry.user) != nil else { throw ChatHTTPError(.userNotFound) }
            self.sessions.markUserExists(sid, user: entry.user)
        }
        return entry.user
    }

    /// The session of the `sid` cookie: from ``sessions`` within its window, else from storage (and then cached).
    private func session(_ request: Request) async throws -> (sid: String, entry: SessionCache.Entry) {
        guard let sid = request.cookie("sid"), sid.utf8.count <= 256 else { throw ChatHTTPError(.unauthorized) }
        let started = ContinuousClock.now
        if let entry = self.sessions.entry(sid, now: started) { return (sid, entry) }
        let generation = self.sessions.generation
        guard
            let user = try await self.storage.sessionUser(
                sid,
                now: Date(),
                idleTimeout: TimeInterval(self.configuration.sessionIdleTimeout.components.seconds)
            )
        else { throw ChatHTTPError(.unauthorized) }
        self.sessions.store(sid, user: user, userExists: false, generation: generation, now: started)
        return (sid, SessionCache.Entry(user: user, userExists: false, validUntil: started))
    }

    /// The user named by a `sid` cookie when the request carries one, else `nil`.
    func optionalSessionUser(_ request: Request) async throws -> UserID? {
        guard request.cookie("sid") != nil else { return nil }
        return try? await self.sessionUser(request)
    }

    /// Channel-token authentication from the `Authorization` header; the channel must still exist (D10).
    func bearerChannel(_ request: Request) async throws -> ChannelID {
        try await self.channel(forToken: request.bearerToken)
    }

    /// Verifies a channel token: 401 `token expired` for an expired one, 401 `invalid token` for anything else, and
    /// 401 `channel closed` once the channel was deleted.
    func channel(forToken token: String?) async throws -> ChannelID {
        try await self.verifiedToken(token).channel
    }

    /// Verifies a channel token (v1 or v2) as ``channel(forToken:)`` does and returns its claims.
    func verifiedToken(_ token: String?) async throws -> VerifiedToken {
        guard let token else { throw ChatHTTPError(.invalidToken) }
        let verified: VerifiedToken
        do {
            verified = try await self.tokens.verifyClaims(token)
        } catch .expired {
            throw ChatHTTPError(.tokenExpired)
        } catch {
            throw ChatHTTPError(.invalidToken)
        }
        guard try await self.storage.channelState(verified.channel) == .active else {
            throw ChatHTTPError(.channelClosed, status: .unauthorized)
        }
        return verified
    }

    /// The `Set-Cookie` value for a session, as upstream formats it, plus `SameSite=Lax` (D26).
    func sessionCookie(_ sid: String, maxAge: Int? = nil) -> String {
        var cookie = "sid=\(sid); Path=/"
        if let domain = self.configuration.cookieDomain { cookie += "; Domain=\(domain)" }
        cookie += "; Max-Age=\(maxAge ?? self.configuration.cookieMaxAge); HttpOnly"
        if self.configuration.secureCookies { cookie += "; Secure" }
        return cookie + "; SameSite=Lax"
    }

    /// Creates a session for `user` and returns its id (32 random bytes, base64url).
    func newSession(for user: UserID) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0 ... .max, using: &generator) }
        let sid = Data(bytes).base64URLEncodedString(padded: false)
        let generation = self.sessions.generation
        let started = ContinuousClock.now
        try await self.storage.createSession(sid, user: user, now: Date())
        self.sessions.store(sid, user: user, userExists: true, generation: generation, now: started)
        return sid
    }
}
