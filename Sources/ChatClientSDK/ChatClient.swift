import Foundation
import Logging
import Synchronization

/// The entry point of the SDK: accounts, matching, and chat sessions against one server.
///
/// A client is cheap, `Sendable`, and meant to live as long as the app. Prefer ``withChatClient(configuration:isolation:_:)``,
/// which runs it and shuts it down for you:
///
/// ```swift
/// try await withChatClient(configuration: .init(baseURL: "http://localhost:8080")) { client in
///     let me = try await client.signUp(name: "alice")
///     let match = try await client.match()
///     try await client.withSession(match) { session in
///         try await session.send(text: "hi, I'm \(me.name)")
///         for try await event in session.events {
///             if case .message(let message) = event { print(message.text ?? "a file") }
///         }
///     }
/// }
/// ```
///
/// The client keeps the session cookie that signs the user in (``sessionCookie``); save it and pass it back in
/// ``Configuration/sessionCookie`` to stay signed in across launches.
public final class ChatClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: Configuration

    let http: any HTTPTransport
    let webSocket: any WebSocketTransport
    private let state: Mutex<State>
    private let shutdown: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
    private let localIDs = Atomic<UInt64>(0)

    private struct State {
        var cookie: String?
        var currentUser: ChatUser?
        var isRunning = false
        var isShutDown = false
        var sessions: [ChannelID: ChatSession] = [:]
        /// Set once a server refused the v2 offer or answered it with v1 (RC-VER-NEG-5/6): later connections of
        /// this client go straight to v1.
        var serverSpeaksOnlyV1 = false
    }

    /// Creates a client. It makes no request until you call one of its methods.
    /// - Parameter configuration: The server and settings.
    public convenience init(configuration: Configuration) {
        self.init(configuration: configuration, http: AsyncHTTPClientTransport(), webSocket: NIOWebSocketTransport())
    }

    init(configuration: Configuration, http: any HTTPTransport, webSocket: any WebSocketTransport) {
        self.configuration = configuration
        self.http = http
        self.webSocket = webSocket
        self.state = Mutex(State(cookie: configuration.sessionCookie))
        self.shutdown = AsyncStream.makeStream()
    }

    // MARK: Lifecycle

    /// Runs the client until ``beginGracefulShutdown()`` is called or the task is cancelled, then closes every open
    /// session. It has the shape of a swift-service-lifecycle `Service`.
    /// - Throws: `ChatError` with `ChatError.Code.invalidState` if the client is already running or was shut down.
    public func run() async throws {
        try self.state.withLock { state in
            if state.isShutDown {
                throw ChatError(
                    code: .invalidState,
                    message: "this ChatClient was shut down; create a new ChatClient to connect again"
                )
            }
            if state.isRunning {
                throw ChatError(
                    code: .invalidState,
                    message: "ChatClient.run() was called twice; run a client once (withChatClient does it for you)"
                )
            }
            state.isRunning = true
        }
        for await _ in self.shutdown.stream {}
        let sessions = self.state.withLock { state in
            state.isShutDown = true
            state.isRunning = false
            return Array(state.sessions.values)
        }
        for session in sessions {
            session.stop(.closedByApp(ChatError(code: .connectionClosed, message: "the client was shut down")))
        }
    }

    /// Connects again now: call it when the network path changed (`NWPathMonitor` reported a new path, a VPN came
    /// up) or the app returned to the foreground.
    ///
    /// Every open session of this client replaces its connection, or ends its reconnect wait, as
    /// ``ChatSession/reconnectNow()`` does, and later HTTP requests of every client in the process open fresh
    /// connections instead of reusing kept-alive ones of the old path, which may be dead without knowing it (a
    /// request written on one would wait out its whole ``Configuration/requestTimeout``). Requests already running
    /// finish where they are. Nothing is lost: sessions resume from their position. A ``match()`` in progress keeps
    /// its socket (a new one could cost its place on the wait list); a dead one is noticed by its pings.
    public func reconnectNow() {
        self.http.retireConnections()
        let sessions = self.state.withLock { Array($0.sessions.values) }
        for session in sessions { session.requestReconnect() }
    }

    /// Asks ``run()`` to return: open sessions close, and later calls fail with `ChatError.Code.invalidState`.
    public func beginGracefulShutdown() {
        self.shutdown.continuation.finish()
    }

    func checkUsable() throws {
        if self.state.withLock({ $0.isShutDown }) {
            throw ChatError(
                code: .invalidState,
                message: "this ChatClient was shut down; create a new ChatClient to connect again"
            )
        }
    }

    func nextLocalID() -> ChatLocalMessageID {
        ChatLocalMessageID(rawValue: self.localIDs.add(1, ordering: .relaxed).newValue)
    }

    // MARK: Protocol negotiation

    /// The v2 subprotocol tokens to offer, in preference order (empty when v2 is not wanted or the server is known
    /// to speak only v1).
    var v2Offer: [String] {
        guard !self.state.withLock({ $0.serverSpeaksOnlyV1 }) else { return [] }
        return self.configuration.protocolPreference.filter { $0.version == .v2 }.compactMap(\.subprotocol)
    }

    /// The most preferred v2 protocol (for size checks before the first connection).
    var preferredV2: NegotiatedProtocol {
        self.configuration.protocolPreference.first { $0.version == .v2 } ?? .v2Protobuf
    }

    /// Whether new connections should try v2 first.
    var prefersV2: Bool { !self.v2Offer.isEmpty }

    /// Remembers that the server speaks only v1.
    func learnServerSpeaksOnlyV1() {
        self.configuration.logger.debug("the server speaks only protocol v1; falling back")
        self.state.withLock { $0.serverSpeaksOnlyV1 = true }
    }

    // MARK: Accounts

    /// The session cookie (`sid`) that signs the user in, or `nil` when signed out. Save it to stay signed in.
    public var sessionCookie: String? { self.state.withLock { $0.cookie } }

    /// Creates a guest account and signs in as it (the client keeps the session cookie).
    /// - Parameter name: The display name; must not be empty.
    /// - Returns: The new user.
    /// - Throws: `ChatError` with `ChatError.Code.invalidParameter` for an empty name, `ChatError.Code.cancelled`
    ///   when the task is cancelled, or the server's error.
    public func signUp(name: String) async throws -> ChatUser {
        try await mappingErrors("signing up") {
            try self.checkUsable()
            guard !name.isEmpty else {
                throw ChatError(code: .invalidParameter, message: "the display name must not be empty")
            }
            let response = try await self.send(
                "POST",
                "/api/user",
                body: V1.CreateUserRequest(name: name).jsonBytes(),
                auth: .none
            )
            let user = ChatUser(try V1.User(jsonBytes: response.body))
            self.remember(user, answering: response, sentWith: nil)
            return user
        }
    }

    /// The signed-in user.
    /// - Returns: The user the session cookie belongs to.
    /// - Throws: `ChatError` with `ChatError.Code.unauthorized` when signed out or the session expired,
    ///   `ChatError.Code.cancelled` when the task is cancelled.
    public func currentUser() async throws -> ChatUser {
        try await mappingErrors("fetching the current user") {
            try self.checkUsable()
            return try await self.user(signedInBy: try self.sessionSnapshot().cookie)
        }
    }

    /// Looks up any user by id.
    /// - Parameter id: The user's id.
    /// - Returns: The user.
    /// - Throws: `ChatError` with `ChatError.Code.userNotFound`, `ChatError.Code.unauthorized` when signed
    ///   out, or `ChatError.Code.cancelled`.
    public func user(_ id: UserID) async throws -> ChatUser {
        try await mappingErrors("looking up a user") {
            try self.checkUsable()
            let response = try await self.send("GET", "/api/user", query: [("uid", id.description)], auth: .cookie)
            return ChatUser(try V1.User(jsonBytes: response.body))
        }
    }

    /// Forgets the session cookie and the current user on this device only: the session stays valid on the server
    /// until it expires, for whoever kept the cookie (``sessionCookie``).
    ///
    /// Use it to switch between accounts whose cookies the app keeps. To sign out, call ``signOut()``, which ends the
    /// session on the server as well.
    public func forgetSession() {
        _ = self.takeSession()
    }

    /// Forgets the session cookie and the current user if the session is still `cookie`.
    func forgetSession(ifStill cookie: String) {
        self.state.withLock { state in
            guard state.cookie == cookie else { return }
            state.cookie = nil
            state.currentUser = nil
        }
    }

    /// Forgets the session cookie and the current user, and returns the cookie it forgot.
    func takeSession() -> String? {
        self.state.withLock { state in
            defer {
                state.cookie = nil
                state.currentUser = nil
            }
            return state.cookie
        }
    }

    /// Forgets the session on this device only; the server keeps it until it expires.
    @available(
        *,
        deprecated,
        renamed: "forgetSession()",
        message: "call signOut() to end the session on the server too"
    )
    public func logout() {
        self.forgetSession()
    }

    /// Stores `user` as the current user when the client's session is the one `response` answered for: the `sid` it
    /// set, or else the session the request was `sent` with. Not after a sign-out, or a sign-up, while it ran.
    private func remember(_ user: ChatUser, answering response: HTTPResponseSpec, sentWith sent: String?) {
        guard let session = Self.sessionCookie(in: response) ?? sent else { return }
        self.state.withLock { if $0.cookie == session { $0.currentUser = user } }
    }

    /// The session an operation begins with and keeps to its end, whatever the client signs in or out meanwhile:
    /// the cookie, and the user's id when the client knows it without asking the server.
    func sessionSnapshot() throws -> (cookie: String, user: UserID?) {
        let snapshot = self.state.withLock { ($0.cookie, $0.currentUser?.id) }
        guard let cookie = snapshot.0 else {
            throw ChatError(
                code: .unauthorized,
                message: "not signed in; call signUp(name:) first or restore Configuration.sessionCookie"
            )
        }
        return (cookie, snapshot.1)
    }

    /// The id of the user session `cookie` signs in, asked of the server when `known` is `nil`.
    func userID(of cookie: String, known: UserID?) async throws -> UserID {
        if let known { return known }
        return try await self.user(signedInBy: cookie).id
    }

    /// The user session `cookie` signs in (`GET /api/user/me`), remembered while it is the client's session.
    private func user(signedInBy cookie: String) async throws -> ChatUser {
        let response = try await self.send("GET", "/api/user/me", auth: .session(cookie))
        let user = ChatUser(try V1.User(jsonBytes: response.body))
        self.remember(user, answering: response, sentWith: cookie)
        return user
    }

    // MARK: Sessions

    /// Opens a chat session for a match, runs `body` with it, and closes it when `body` returns or throws.
    ///
    /// The session connects, reconnects with backoff after network failures, recovers missed messages from
    /// history, and reports everything through ``ChatSession/events``.
    /// - Parameters:
    ///   - match: The match from ``match()`` (or a saved one).
    ///   - isolation: The actor `body` runs on; inferred.
    ///   - body: Your code; the session is valid only inside it.
    /// - Returns: What `body` returns.
    /// - Throws: `ChatError` with `ChatError.Code.invalidState` when a session for this channel is already
    ///   open (a double join) or the client was shut down, `ChatError.Code.tokenExpired` when the match's token
    ///   is already expired, or whatever `body` throws.
    public func withSession<Result>(
        _ match: ChatMatch,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ChatSession) async throws -> Result
    ) async throws -> Result {
        try self.checkUsable()
        let session = ChatSession(client: self, match: match)
        try session.checkTokenNotExpired()
        try self.state.withLock { state in
            if state.sessions[match.channelID] != nil {
                throw ChatError(
                    code: .invalidState,
                    message: "a session for channel \(match.channelID) is already open; use that session (sessions "
                        + "reconnect by themselves) or let its withSession body return first"
                )
            }
            state.sessions[match.channelID] = session
        }
        defer { _ = self.state.withLock { $0.sessions.removeValue(forKey: match.channelID) } }
        if let store = self.configuration.store {
            do {
                let known = try await store.messages(in: match.channelID)
                let position = try await store.position(in: match.channelID)
                let pending = try await store.pendingSends(in: match.channelID)
                session.seed(knownMessages: known, position: position, pendingSends: pending)
                try await store.saveMatch(match)
            } catch {
                throw chatError(error, while: "loading the session store")
            }
        }
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask { await session.runConnectionLoop() }
            do {
                let result = try await body(session)
                session.stop(.closedByApp(ChatError(code: .connectionClosed, message: "the session was closed")))
                try await group.waitForAll()
                return result
            } catch {
                session.stop(.closedByApp(ChatError(code: .connectionClosed, message: "the session was closed")))
                group.cancelAll()
                throw error
            }
        }
    }

    // MARK: HTTP

    enum Auth {
        case none
        case cookie
        case bearer(String)
        /// A session the caller names, which may no longer be the client's (one ``signOut()`` forgot, or the one an
        /// operation began with, ``sessionSnapshot()``). A `Set-Cookie` in the answer counts only while the client
        /// still has that session.
        case session(String)
    }

    var webSocketBaseURL: String {
        let base =
            self.configuration.baseURL.hasSuffix("/")
            ? String(self.configuration.baseURL.dropLast()) : self.configuration.baseURL
        if base.hasPrefix("https://") { return "wss://" + base.dropFirst("https://".count) }
        if base.hasPrefix("http://") { return "ws://" + base.dropFirst("http://".count) }
        return base
    }

    func url(_ path: String, query: [(String, String)] = []) -> String {
        let base =
            self.configuration.baseURL.hasSuffix("/")
            ? String(self.configuration.baseURL.dropLast()) : self.configuration.baseURL
        var url = base + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(percentEncoded($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// Sends a request to the chat server and returns a 2xx response; anything else becomes a `ChatError`.
    func send(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        auth: Auth,
        checked: Bool = true
    ) async throws -> HTTPResponseSpec {
        var request = HTTPRequestSpec(
            method: method,
            url: self.url(path, query: query),
            body: body,
            timeout: self.configuration.requestTimeout
        )
        // The session the request was sent with, for a `Set-Cookie` in its answer (``captureCookie(_:sentWith:)``).
        var sent: String?
        switch auth {
        case .none: break
        case .cookie: sent = try self.sessionSnapshot().cookie
        case .session(let cookie): sent = cookie
        case .bearer(let token): request.headers.append(("Authorization", "Bearer \(token)"))
        }
        if let sent { request.headers.append(("Cookie", "sid=\(sent)")) }
        if body != nil { request.headers.append(("Content-Type", "application/json")) }
        let response = try await self.http.execute(request, maxResponseBytes: 64 * 1024 * 1024)
        // A channel token's answer has nothing to do with the session.
        if case .bearer = auth {} else { self.captureCookie(response, sentWith: sent) }
        if checked { try Self.check(response) }
        return response
    }

    /// Sends a cookie-authenticated request to a route of ours that upstream lacks (`/api/v2/user/…`) and returns a
    /// 2xx response. A 404 without an error body of ours (upstream's router answers `404 page not found` in plain
    /// text), or with `not_found`, means the server has no such route: `ChatError.Code.notFound` with `missing` (what
    /// the server cannot do). Any other failure becomes its `ChatError`.
    func sendToRouteOfOurs(
        _ method: String,
        _ path: String,
        auth: Auth = .cookie,
        missing: String
    ) async throws -> HTTPResponseSpec {
        let response = try await self.send(method, path, auth: auth, checked: false)
        if response.status == 404 {
            let body = try? V1.ErrorBody(jsonBytes: response.body)
            if body == nil || body?.code == ChatError.Code.notFound.wireName {
                throw ChatError(code: .notFound, message: "\(missing) (\(method) \(path): 404)")
            }
        }
        try Self.check(response)
        return response
    }

    static func check(_ response: HTTPResponseSpec) throws {
        guard !(200..<300).contains(response.status) else { return }
        let body = try? V1.ErrorBody(jsonBytes: response.body)
        var retryAfter: Duration?
        if let ms = body?.retryAfterMs {
            retryAfter = .milliseconds(Int64(ms))
        } else if let header = response.header("Retry-After"), let seconds = Int64(header) {
            retryAfter = .seconds(seconds)
        }
        var error = ChatError(httpStatus: response.status, message: body?.msg, retryAfter: retryAfter)
        if let name = body?.code, let code = ChatError.Code(wireName: name) { error.code = code }
        throw error
    }

    /// Takes the `sid` of the last `Set-Cookie` for it in `response`: a new or refreshed session, or (an empty value)
    /// the session ended. The answer to a request sent with a session (`sent`) counts only while the client still
    /// has that session: a sign-out, or a sign-up, while the request ran wins.
    private func captureCookie(_ response: HTTPResponseSpec, sentWith sent: String?) {
        guard let value = Self.sessionCookie(in: response) else { return }
        self.state.withLock { state in
            if let sent, state.cookie != sent { return }
            if state.cookie != value { state.currentUser = nil }  // another session: its user is asked for
            state.cookie = value.isEmpty ? nil : value
        }
    }

    /// The value of the last `sid` cookie `response` sets (`""` when it clears it), or `nil` when it sets none.
    private static func sessionCookie(in response: HTTPResponseSpec) -> String? {
        var value: String?
        for header in response.headers("Set-Cookie") {
            let pair = header.split(separator: ";", maxSplits: 1).first.map(String.init) ?? header
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "sid" else { continue }
            value = String(parts[1])
        }
        return value
    }
}

/// Creates a ``ChatClient``, runs it while `body` runs, and shuts it down when `body` returns or throws.
///
/// ```swift
/// try await withChatClient(configuration: .init(baseURL: "http://localhost:8080")) { client in
///     _ = try await client.signUp(name: "bob")
/// }
/// ```
/// - Parameters:
///   - configuration: The server and settings.
///   - isolation: The actor `body` runs on; inferred.
///   - body: Your code.
/// - Returns: What `body` returns.
/// - Throws: Whatever `body` throws.
public func withChatClient<Result>(
    configuration: ChatClient.Configuration,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (ChatClient) async throws -> Result
) async throws -> Result {
    let client = ChatClient(configuration: configuration)
    return try await withThrowingDiscardingTaskGroup(returning: Result.self) { group in
        group.addTask { try await client.run() }
        defer { client.beginGracefulShutdown() }
        return try await body(client)
    }
}
