import Foundation
import Logging

extension ChatClient {
    /// Waits until the server pairs you with a stranger, and returns the match.
    ///
    /// Over v2 the client joins the wait list (`enqueue`), confirms the proposed pairing by itself, and returns when
    /// both sides confirmed; a pairing that falls through because the other person left is handled for you (you keep
    /// your place at the head of the list). Over v1 the server sends the token as soon as it pairs you.
    ///
    /// Cancelling the calling task takes you off the wait list and throws `ChatError.Code.cancelled`: over v2 the
    /// client sends `cancel` and waits briefly (at most ``ChatClient/Configuration/requestTimeout``, 2 s at most) for
    /// its reply before closing the match socket, so the server drops your ticket deliberately; over v1 it closes
    /// the match socket. A match socket that drops before a match is reopened with the ``ReconnectPolicy``.
    /// - Returns: The match: channel, token, your id and the peer's id.
    /// - Throws: `ChatError` with `ChatError.Code.unauthorized` when signed out, `ChatError.Code.matchTimeout` when
    ///   the server's wait timeout passed without a match (v2, close 4408; match again to keep waiting),
    ///   `ChatError.Code.invalidState` when another `match()` of the same user took over the wait (v2),
    ///   `ChatError.Code.cancelled` when the task is cancelled, `ChatError.Code.connectionClosed` when the policy's
    ///   ``ReconnectPolicy/maxAttempts`` ran out.
    public func match() async throws -> ChatMatch {
        try await self.waitForMatch(leaving: nil)
    }

    /// Ends the chat of `match` and joins the wait list again, in one step: nobody can be paired with you in
    /// between (v2 `next`). Returns the new match.
    ///
    /// An open session of `match` ends with ``ChatEvent/left(_:)``, for you and for the other member. Against a v1
    /// server (or with a v1 match) this is a `DELETE` of the channel followed by ``match()``.
    /// - Parameter match: The match to leave.
    /// - Returns: The next match.
    /// - Throws: As ``match()``, plus `ChatError.Code.invalidToken` or `ChatError.Code.unauthorized` when the match's
    ///   token is not yours.
    public func next(after match: ChatMatch) async throws -> ChatMatch {
        try await self.waitForMatch(leaving: match)
    }

    private func waitForMatch(leaving previous: ChatMatch?) async throws -> ChatMatch {
        try await mappingErrors("waiting for a match") {
            try self.checkUsable()
            // Every attempt signs in with the session the wait began with, so the match is that user's whatever the
            // client signs in or out meanwhile: a socket opened again is refused once that session has ended
            // (signOut(), deleteAccount()), and otherwise waits on as that user.
            let (cookie, known) = try self.sessionSnapshot()
            let me = try await self.userID(of: cookie, known: known)
            var delays = self.configuration.reconnectPolicy.delays()
            var failures = 0
            var leaving = previous
            while true {
                let attempt: MatchAttempt
                if self.prefersV2, leaving.map(Self.isV2Token) ?? true {
                    attempt = try await self.matchAttemptV2(leaving: leaving, me: me, cookie: cookie)
                } else {
                    if let old = leaving {
                        try await self.endChannel(old)
                        leaving = nil
                    }
                    attempt = try await self.matchAttemptV1(cookie: cookie)
                }
                switch attempt {
                case .matched(let match):
                    return match
                case .token(let token, let peer?):
                    return try ChatMatch(token: token, userID: me, peerID: peer)
                case .token(let token, nil):
                    var match = try ChatMatch(token: token, userID: me)
                    if let members = try? await self.send("GET", "/api/chat/users", auth: .bearer(token)),
                        let list = try? V1.UserIDList(jsonBytes: members.body)
                    {
                        match.peerID = list.userIDs.first { $0 != me }
                    }
                    return match
                case .serverSpeaksOnlyV1:
                    guard self.configuration.protocolPreference.contains(.v1) else {
                        throw ChatError(
                            code: .unsupportedVersion,
                            message: "the server speaks only protocol v1 and Configuration.protocolPreference "
                                + "does not list .v1"
                        )
                    }
                    self.learnServerSpeaksOnlyV1()
                    continue
                case .nextAccepted:
                    leaving = nil  // the old channel is over; a reconnect enqueues plainly
                    failures = 0
                    continue
                case .dropped(let dropped):
                    failures += 1
                    if let maxAttempts = self.configuration.reconnectPolicy.maxAttempts, failures > maxAttempts {
                        throw dropped
                    }
                    self.configuration.logger.debug("match socket dropped; retrying", metadata: ["error": "\(dropped)"])
                    var delay = delays.next() ?? .zero
                    if let advice = dropped.retryAfter, advice > delay { delay = advice }
                    try await Task.sleep(for: delay)
                }
            }
        }
    }

    private static func isV2Token(_ match: ChatMatch) -> Bool {
        (try? ChannelTokenClaims(unverifiedJWT: match.token))?.subject != nil
    }

    /// Ends a channel over REST (v1 `next`).
    private func endChannel(_ match: ChatMatch) async throws {
        do {
            _ = try await self.send(
                "DELETE",
                "/api/chat/channel",
                query: [("delby", match.userID.description)],
                auth: .bearer(match.token)
            )
        } catch let error as ChatError where error.code == .channelClosed {
            // Already over.
        }
    }

    /// How one match socket ended.
    private enum MatchAttempt {
        case matched(ChatMatch)
        /// A v1 token, and the peer when the server named it (upstream does not).
        case token(String, peer: UserID?)
        case serverSpeaksOnlyV1
        /// The server accepted `next` (the old channel ended) and then the socket dropped.
        case nextAccepted
        case dropped(ChatError)
    }

    /// One v1 match socket: it stays open until the server sends the token.
    private func matchAttemptV1(cookie: String) async throws -> MatchAttempt {
        let options = WebSocketOptions(
            headers: [("Cookie", "sid=\(cookie)")],
            maxMessageSize: 64 * 1024,
            pingInterval: self.configuration.pingInterval
        )
        // Offering nothing, the conversation takes the socket as the v1 match socket and waits for its token.
        let conversation = MatchConversation(leaving: nil, offer: [], acceptsV1: true, farewellTimeout: .zero)
        do {
            let close = try await self.webSocket.converse(
                url: self.webSocketBaseURL + "/api/match",
                options: options,
                logger: self.configuration.logger,
                conversation: conversation
            )
            try Task.checkCancellation()
            if case .v1Token(let result) = conversation.outcome.value {
                return .token(result.accessToken, peer: result.peerID)
            }
            try Self.throwIfTerminal(close)
            return .dropped(
                ChatError(
                    code: .connectionClosed,
                    message: "the match socket closed before a match (close \(close.code.map(String.init) ?? "none"))",
                    closeCode: close.code,
                    retryAfter: ChatSession.retryAfter(in: close.reason)
                )
            )
        } catch let error as WebSocketConnectError {
            return try await self.classify(error, cookie: cookie)
        }
    }

    private static func throwIfTerminal(_ close: WebSocketClose) throws {
        guard let code = close.code else { return }
        let closeCode = WebSocketCloseCode(rawValue: code)
        if closeCode.reconnectAdvice == .never {
            throw ChatError(
                code: closeCode.errorCode,
                message: code == 4408
                    ? "no match was found within the server's wait timeout; match again to keep waiting"
                    : "the server closed the match socket (\(code))",
                closeCode: code
            )
        }
    }

    /// What a failed match socket means; an upgrade refused without a reason is asked about over HTTP with the
    /// match's session `cookie`.
    private func classify(_ error: WebSocketConnectError, cookie: String) async throws -> MatchAttempt {
        try Task.checkCancellation()
        if let refusal = error.chatError {
            if refusal.code == .unsupportedVersion { return .serverSpeaksOnlyV1 }
            if !refusal.isTemporary { throw refusal }
        }
        if error.kind == .upgradeRejected, error.chatError == nil {
            // Learn why (signed out, unknown user) from the same check over HTTP; throws if it is that.
            _ = try await self.send("GET", "/api/user/me", auth: .session(cookie))
        }
        return .dropped(ChatError(code: .connectionClosed, message: "could not open the match socket", cause: error))
    }

    /// One v2 match socket (§5.3–§5.4): `hello`, then `enqueue` (or `next`), confirm the proposal, until `matched`.
    private func matchAttemptV2(leaving: ChatMatch?, me: UserID, cookie: String) async throws -> MatchAttempt {
        let offer = self.v2Offer
        let options = WebSocketOptions(
            headers: [("Cookie", "sid=\(cookie)")],
            subprotocols: offer,
            maxMessageSize: 64 * 1024,
            pingInterval: self.configuration.pingInterval
        )
        let conversation = MatchConversation(
            leaving: leaving?.token,
            offer: offer,
            acceptsV1: self.configuration.protocolPreference.contains(.v1),
            farewellTimeout: min(self.configuration.requestTimeout, .seconds(2))
        )
        let outcome = conversation.outcome
        do {
            let close = try await self.webSocket.converse(
                url: self.webSocketBaseURL + "/api/match",
                options: options,
                logger: self.configuration.logger,
                conversation: conversation
            )
            try Task.checkCancellation()
            switch outcome.value {
            case .matched(let matched):
                return .matched(
                    ChatMatch(
                        channelID: matched.channelID,
                        token: matched.accessToken,
                        userID: me,
                        peerID: matched.peerID,
                        expiresAt: matched.tokenExpiresAt > 0
                            ? Date(timeIntervalSince1970: Double(matched.tokenExpiresAt) / 1000) : nil
                    )
                )
            case .answeredV1:
                return .serverSpeaksOnlyV1
            case .v1Token(let result):
                self.learnServerSpeaksOnlyV1()
                return .token(result.accessToken, peer: result.peerID)
            case .failed(let error):
                throw error
            case .none, .queued:
                try Self.throwIfTerminal(close)
                let dropped = ChatError(
                    code: .connectionClosed,
                    message: "the match socket closed before a match (close \(close.code.map(String.init) ?? "none"))",
                    closeCode: close.code,
                    retryAfter: ChatSession.retryAfter(in: close.reason)
                )
                if case .queued(let viaNext) = outcome.value, viaNext { return .nextAccepted }
                return .dropped(dropped)
            }
        } catch let error as WebSocketConnectError {
            return try await self.classify(error, cookie: cookie)
        }
    }
}

/// Where one v2 match socket got to.
enum MatchSocketOutcome: Sendable {
    case none
    /// The ticket is live; `viaNext` when it was created by `next` (the old channel has ended).
    case queued(viaNext: Bool)
    case matched(V2.Matched)
    /// The server answered without a subprotocol, so it speaks v1 (a v1 attempt offers none; a v1 server may ignore a
    /// v2 offer, like upstream), and the socket closed before a v1 token.
    case answeredV1
    /// The same, and the socket served as the v1 match socket: this is its token.
    case v1Token(V1.MatchResult)
    case failed(ChatError)
}

/// The client side of one match socket. In v2 (§5.4) it checks the negotiated version, answers `hello` with
/// `enqueue` (or `next`), confirms the proposal, and ends at `matched`, a refusal or a `replaced`. When the server
/// answered without a subprotocol (a v1 attempt, which offers none, or a v1 server that ignored the v2 offer) and
/// the client speaks v1, it waits for the v1 token instead.
///
/// `@unchecked Sendable`: the mutable state is touched only by the conversation's calls, which come one at a time
/// (on the connection's event loop with the production transport); the result is read from ``outcome`` after the
/// connection ended.
final class MatchConversation: WebSocketConversation, @unchecked Sendable {
    /// Where the socket got to.
    let outcome = LockedBox<MatchSocketOutcome>(.none)
    private let leaving: String?
    private let offer: [String]
    /// The client's preference lists v1: a `101` without a subprotocol makes this socket a v1 match socket.
    private let acceptsV1: Bool
    private var speaksV1 = false
    /// How long a cancelled `match()` waits for the reply to its `cancel` before closing.
    private let farewellTimeout: Duration
    private var codec: V2FrameCodec?
    private var lastID: UInt32 = 0
    private var ticketCommand: UInt32 = 0

    /// RC-CLIENT-DEAD-1 on the match socket: nothing for the ping interval (25 s until `hello` says) + 10 s means a
    /// dead link, dropped without a close handshake.
    static func silenceTimeout(pingInterval: Duration) -> Duration { pingInterval + .seconds(10) }

    init(leaving: String?, offer: [String], acceptsV1: Bool, farewellTimeout: Duration) {
        self.leaving = leaving
        self.offer = offer
        self.acceptsV1 = acceptsV1
        self.farewellTimeout = farewellTimeout
    }

    private func nextID() -> UInt32 {
        self.lastID &+= 1
        if self.lastID == 0 { self.lastID = 1 }
        return self.lastID
    }

    func opened(_ link: ConversationLink) {
        guard let chosen = WebSocketSubprotocol.accepted(link.subprotocol), chosen.version == .v2,
            let token = chosen.subprotocol, self.offer.contains(token)
        else {
            self.outcome.value = .answeredV1
            if link.subprotocol == nil, self.acceptsV1 {
                // A v1 server that ignores the offer (upstream) has already put the user on its wait list: leaving
                // would make a ghost of them for whoever is paired with them meanwhile (RC-VER-NEG-6). The socket
                // is a v1 match socket; wait for its token.
                self.speaksV1 = true
                return
            }
            link.close(4503, #"{"code":"unsupported_version"}"#)
            return
        }
        self.codec = V2FrameCodec(chosen)
        link.setSilenceTimeout(Self.silenceTimeout(pingInterval: .seconds(25)))
    }

    func received(_ message: WebSocketMessage, _ link: ConversationLink) {
        if self.speaksV1 {
            if case .text(let text) = message, let result = try? V1.MatchResult(jsonBytes: Array(text.utf8)) {
                self.outcome.value = .v1Token(result)
                link.closeWithoutWaiting(1000, nil)  // the token is in hand: no round trip for the server's close
            }
            return
        }
        guard let codec = self.codec else { return }
        let frame: V2.MatchServerFrame
        do {
            frame = try codec.matchFrame(message)
        } catch {
            self.outcome.value = .failed(
                ChatError(code: .protocolViolation, message: "undecodable v2 match frame", cause: error)
            )
            link.close(1002, nil)
            return
        }
        switch frame.body {
        case .hello(let hello):
            if hello.pingIntervalMs > 0 {
                let interval = Duration.milliseconds(Int64(hello.pingIntervalMs))
                link.setSilenceTimeout(Self.silenceTimeout(pingInterval: interval))
            }
            self.requestTicket(link, codec: codec)
        case .queued where frame.id == self.ticketCommand:
            self.outcome.value = .queued(viaNext: self.leaving != nil)
        case .proposed(let proposed):
            let command = V2.MatchClientFrame(
                id: self.nextID(),
                command: .confirm(V2.ConfirmCommand(matchID: proposed.matchID))
            )
            link.send(codec.message(command))
        case .matched(let matched):
            link.setFarewell(nil, .zero) { _ in false }  // the ticket is consumed: nothing to cancel any more
            self.outcome.value = .matched(matched)
            link.closeWithoutWaiting(1000, nil)  // match() returns now, not a round trip later
        case .voided(let voided):
            if voided.requeued { break }  // RC-MATCH-VOID-1: still at the head of the list
            if voided.reason == "replaced" {
                self.outcome.value = .failed(
                    ChatError(
                        code: .invalidState,
                        message: "another match() of the same user (another tab or device) took over the wait"
                    )
                )
                link.close(1000, nil)
                return
            }
            // Our confirmation did not arrive in time (confirm_timeout): the ticket is gone; queue again.
            self.requestTicket(link, codec: codec, plain: true)
        case .error(let error) where frame.id == self.ticketCommand:
            // A refused `enqueue`/`next` (for example another user's token).
            self.outcome.value = .failed(ChatError(v2: error))
            link.close(1000, nil)
        case .error:
            // A refused `confirm` (NOT_FOUND after `voided`) is expected (RC-MATCH-CONFIRM-2); an error push precedes
            // a close whose code says what to do (MATCH_TIMEOUT before 4408).
            break
        case .ping:
            // No pong while the server does not read what we write: pongs would pile up behind it. The next ping
            // after it reads again is answered, and its silence timer only needs one.
            guard link.isWritable() else { break }
            link.send(codec.message(V2.MatchClientFrame(id: 0, command: .pong(V2.Pong()))))
        case .queued, .ok, .pong, nil:
            break
        }
    }

    private func requestTicket(_ link: ConversationLink, codec: V2FrameCodec, plain: Bool = false) {
        self.ticketCommand = self.nextID()
        let command: V2.MatchClientFrame.Command =
            if let leaving = self.leaving, !plain {
                .next(V2.NextCommand(accessToken: leaving))
            } else {
                .enqueue(V2.EnqueueCommand())
            }
        link.send(codec.message(V2.MatchClientFrame(id: self.ticketCommand, command: command)))
        // Cancelling the task from now on sends `cancel` and waits briefly for its `ok`, so the server drops the
        // ticket deliberately (a pending proposal is voided for the peer as `peer_cancelled`, RC-MATCH-CANCEL-1).
        let cancelID = self.nextID()
        let cancel = codec.message(V2.MatchClientFrame(id: cancelID, command: .cancel(V2.CancelCommand())))
        link.setFarewell(cancel, self.farewellTimeout) { message in
            (try? codec.matchFrame(message))?.id == cancelID
        }
    }
}
