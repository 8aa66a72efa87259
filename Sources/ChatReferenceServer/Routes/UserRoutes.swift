import AsyncHTTPClient
import ChatProtocol
import Foundation
import Hummingbird
import NIOHTTP1

/// `/api/user`: guest sign-up, look-ups, logout and the OAuth2 login (upstream §3.2); ours under `/api/v2/user`:
/// account deletion and block lists.
struct UserRoutes {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        let group = router.group("api/user")
        group.post { request, context in try await self.signUp(request, context) }
        group.get { request, _ in try await self.lookUp(request) }
        group.get("me") { request, _ in try await self.me(request) }
        group.post("logout") { request, _ in try await self.logout(request) }
        group.get("oauth2/google/login") { _, _ in self.oauthLogin() }
        group.get("oauth2/google/callback") { request, _ in try await self.oauthCallback(request) }
        router.delete("api/v2/user/me") { request, _ in try await self.deleteAccount(request) }
        let blocks = router.group("api/v2/user/blocks")
        blocks.get { request, _ in try await self.blockList(request) }
        blocks.put("{uid}") { request, context in try await self.block(request, context) }
        blocks.delete("{uid}") { request, context in try await self.unblock(request, context) }
    }

    /// `DELETE /api/v2/user/me` (cookie) → 204 with the cookie cleared: ends the account's channels and deletes it
    /// with its sessions and block list (PROTOCOL.md §4.1.8, ``ServerState/deleteAccount(_:)``). A session whose user
    /// is already gone still gets the clean-up and the 204.
    private func deleteAccount(_ request: Request) async throws -> Response {
        let user = try await self.state.sessionUser(request)
        try await self.state.deleteAccount(user)
        return Response(status: .noContent, headers: [.setCookie: self.state.sessionCookie("", maxAge: 0)])
    }

    /// `GET /api/v2/user/blocks` (cookie): `{"user_ids":[…]}`, the earliest blocked first (PROTOCOL.md §4.1.7).
    private func blockList(_ request: Request) async throws -> Response {
        let user = try await self.state.existingSessionUser(request)
        return .json(V1.UserIDList(userIDs: try await self.state.blockLists.blocked(by: user)).jsonBytes())
    }

    /// `PUT /api/v2/user/blocks/{uid}` (cookie) → 204: the matcher never pairs the two users again.
    private func block(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let user = try await self.state.existingSessionUser(request)
        let blocked = try Self.blockedUser(context)
        try self.state.blockWriteLimiter.acquireOrThrow(user)
        try await self.state.blockLists.block(blocked, by: user)
        return Response(status: .noContent)
    }

    /// `DELETE /api/v2/user/blocks/{uid}` (cookie) → 204, listed or not; a waiting user may then pair at once.
    private func unblock(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let user = try await self.state.existingSessionUser(request)
        let blocked = try Self.blockedUser(context)
        try self.state.blockWriteLimiter.acquireOrThrow(user)
        if try await self.state.blockLists.unblock(blocked, by: user) {
            await self.state.matchmaker.blockListShrank(of: user)
        }
        return Response(status: .noContent)
    }

    /// The `{uid}` of a block route: a decimal user id (RC-GEN-ID-3), else 400 `invalid_parameter`.
    private static func blockedUser(_ context: ChatRequestContext) throws -> UserID {
        guard let uid = context.parameters.get("uid").flatMap(UserID.init(decimal:)) else {
            throw ChatHTTPError(.invalidParameter)
        }
        return uid
    }

    /// `POST /api/user {"name":…}` → 201 + `sid` cookie. Content-Type is not checked (the browser sends text/plain).
    private func signUp(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        // Over 4096 bytes is a 400 like any other bad body (docs/PROTOCOL.md §4.1.1), not Hummingbird's bare 413.
        guard let body = try? await request.body.collect(upTo: 4096),
            let create = try? V1.CreateUserRequest(jsonBytes: Array(buffer: body)), !create.name.isEmpty,
            create.name.count <= 64
        else { throw ChatHTTPError(.invalidParameter) }
        let user = try await self.state.storage.createUser(
            name: create.name,
            picture: "",
            id: UserID(self.state.ids.next())
        )
        let sid = try await self.state.newSession(for: user.id)
        return .json(user.wire.jsonBytes(), status: .created, headers: [.setCookie: self.state.sessionCookie(sid)])
    }

    /// `GET /api/user?uid=` (cookie).
    private func lookUp(_ request: Request) async throws -> Response {
        _ = try await self.state.sessionUser(request)
        guard let uid = request.query("uid").flatMap(UserID.init(decimal:)) else {
            throw ChatHTTPError(.invalidParameter)
        }
        guard let user = try await self.state.storage.user(uid) else { throw ChatHTTPError(.userNotFound) }
        return .json(user.wire.jsonBytes())
    }

    /// `GET /api/user/me` (cookie); refreshes the cookie's `Max-Age` so an active user never expires (D23).
    private func me(_ request: Request) async throws -> Response {
        let uid = try await self.state.sessionUser(request)
        guard let user = try await self.state.storage.user(uid), let sid = request.cookie("sid") else {
            throw ChatHTTPError(.userNotFound)
        }
        return .json(user.wire.jsonBytes(), headers: [.setCookie: self.state.sessionCookie(sid)])
    }

    /// `POST /api/user/logout` (ours; upstream has none, D26): deletes the session server-side, clears the cookie,
    /// 204. Idempotent: without a live session it still answers 204.
    private func logout(_ request: Request) async throws -> Response {
        if let sid = request.cookie("sid") {
            defer { self.state.sessions.remove(sid) }  // after the delete: a lookup racing with it cannot re-cache it
            try await self.state.storage.deleteSession(sid)
        }
        return Response(status: .noContent, headers: [.setCookie: self.state.sessionCookie("", maxAge: 0)])
    }

    /// `GET /api/user/oauth2/google/login` → 307 to the provider with a `state` cookie.
    private func oauthLogin() -> Response {
        let oauth = self.state.configuration.oauth
        var generator = SystemRandomNumberGenerator()
        let stateValue = Data((0..<16).map { _ in UInt8.random(in: 0 ... .max, using: &generator) })
            .base64URLEncodedString(padded: false)
        var components = URLComponents(string: oauth.authorizationURL)
        components?.queryItems = [
            URLQueryItem(name: "client_id", value: oauth.clientID),
            URLQueryItem(name: "redirect_uri", value: oauth.redirectURL),
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "scope", value: oauth.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: stateValue),
        ]
        var cookie = "oauthstate=\(stateValue); Path=/; Max-Age=600; HttpOnly; SameSite=Lax"
        if self.state.configuration.secureCookies { cookie += "; Secure" }
        return Response(
            status: .temporaryRedirect,
            headers: [.location: components?.string ?? oauth.authorizationURL, .setCookie: cookie]
        )
    }

    /// `GET /api/user/oauth2/google/callback?state=&code=` → 307 to `/`, with a `sid` cookie on success.
    private func oauthCallback(_ request: Request) async throws -> Response {
        let clearState = "oauthstate=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        var fail = Response(status: .temporaryRedirect, headers: [.location: "/"])
        fail.headers.append(.init(name: .setCookie, value: clearState))
        guard let expected = request.cookie("oauthstate"), let given = request.query("state"),
            constantTimeEqual(expected, given), let code = request.query("code"),
            let profile = try? await self.fetchProfile(code: code)
        else { return fail }
        let user = try await self.state.storage.oauthUser(
            email: profile.email,
            name: profile.name,
            picture: profile.picture,
            id: UserID(self.state.ids.next())
        )
        let sid = try await self.state.newSession(for: user.id)
        var response = Response(status: .temporaryRedirect, headers: [.location: "/"])
        response.headers.append(.init(name: .setCookie, value: self.state.sessionCookie(sid)))
        response.headers.append(.init(name: .setCookie, value: clearState))
        return response
    }

    private struct Profile {
        var email: String
        var name: String
        var picture: String
    }

    /// Exchanges the code and reads the userinfo endpoint; any non-2xx answer or an empty e-mail fails (D24).
    private func fetchProfile(code: String) async throws -> Profile {
        let oauth = self.state.configuration.oauth
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "grant_type", value: "authorization_code"),
            URLQueryItem(name: "code", value: code),
            URLQueryItem(name: "redirect_uri", value: oauth.redirectURL),
            URLQueryItem(name: "client_id", value: oauth.clientID),
            URLQueryItem(name: "client_secret", value: oauth.clientSecret),
        ]
        var exchange = HTTPClientRequest(url: oauth.tokenURL)
        exchange.method = .POST
        exchange.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        exchange.headers.add(name: "Accept", value: "application/json")
        exchange.body = .bytes(ByteBuffer(string: form.percentEncodedQuery ?? ""))
        let tokenJSON = try await Self.fetchJSON(exchange)
        guard let accessToken = tokenJSON["access_token"] as? String else { throw ChatHTTPError(.unauthorized) }
        var userInfo = HTTPClientRequest(url: oauth.userInfoURL)
        userInfo.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        let info = try await Self.fetchJSON(userInfo)
        guard let email = info["email"] as? String, !email.isEmpty else { throw ChatHTTPError(.unauthorized) }
        return Profile(
            email: email,
            name: info["name"] as? String ?? email,
            picture: info["picture"] as? String ?? ""
        )
    }

    private static func fetchJSON(_ request: HTTPClientRequest) async throws -> [String: Any] {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code),
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        else { throw ChatHTTPError(.unauthorized) }
        return object
    }
}

/// Compares two strings in time independent of where they differ (D25).
func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}
