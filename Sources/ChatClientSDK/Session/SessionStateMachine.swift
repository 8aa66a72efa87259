/// The connection lifecycle of a session, as a pure value: no I/O, no clocks, no tasks.
///
/// The session's connection loop feeds it what happened (a connection opened, a connection ended and why) and
/// performs the action it returns. Unit tests drive it directly.
struct SessionStateMachine: Sendable {
    enum State: Hashable, Sendable {
        /// Before the first connection attempt.
        case idle
        /// An attempt is in progress; `attempt` is 0 for the first connection, then the retry number.
        case connecting(attempt: Int)
        /// The websocket is open.
        case connected
        /// Waiting before retry `attempt`.
        case waitingToReconnect(attempt: Int)
        /// Terminal.
        case finished
    }

    /// Why a connection (or an attempt) ended.
    enum Ending: Sendable {
        /// The server closed the websocket, with the code of its close frame (`nil`: the link just dropped).
        case closed(code: UInt16?, retryAfter: Duration?)
        /// The upgrade was refused and the follow-up check classified why.
        case rejected(ChatError)
        /// No connection could be made (refused, unreachable, server restarting).
        case unreachable(ChatError)
        /// The channel was ended by a member (the `leaved` action, or our own ``ChatSession/leave()``).
        case channelEnded(ChatError)
        /// The token reached its expiry margin.
        case tokenExpired(ChatError)
        /// The app closed the session (the `withSession` body returned) or the client shut down.
        case closedByApp(ChatError)
        /// The app asked for a fresh connection now (``ChatSession/reconnectNow()``): the network path changed or
        /// the app returned to the foreground.
        case reconnectRequested
    }

    /// What the loop must do next.
    enum Action: Hashable, Sendable {
        /// Report `.reconnecting(attempt:delay:)`, wait `delay`, then connect again.
        case reconnect(after: Duration, attempt: Int)
        /// End the session with this error thrown from the events sequence.
        case fail(ChatError)
        /// End the session normally (events end with `nil`) after reporting `.disconnected(reason)`.
        case finish(ChatError)
    }

    private(set) var state: State = .idle
    /// Failed attempts since the last healthy connection (counting from 1 after ``reconnectRequested()``, whose
    /// attempt is not a failure).
    private(set) var consecutiveFailures = 0
    /// The attempts since the last healthy connection started with ``reconnectRequested()``.
    private var startedByRequest = false
    /// The server's retry advice that came with the end of the last connection (`retry_after_ms`, `Retry-After`),
    /// if any: the least wait before the next attempt, which ``ChatSession/reconnectNow()`` does not cut short.
    /// `nil` after ``reconnectRequested()``, which does not change when the advice ends.
    private(set) var retryAdvice: Duration?
    private let policy: ReconnectPolicy
    private var delays: ReconnectPolicy.Delays
    private let seed: UInt64?

    init(policy: ReconnectPolicy, seed: UInt64? = nil) {
        self.policy = policy
        self.seed = seed
        self.delays = policy.delays(seed: seed)
    }

    /// A connection attempt starts.
    mutating func connecting() {
        switch self.state {
        case .idle: self.state = .connecting(attempt: 0)
        case .waitingToReconnect(let attempt): self.state = .connecting(attempt: attempt)
        case .connecting, .connected, .finished: break
        }
    }

    /// The websocket opened.
    mutating func connected() {
        guard self.state != .finished else { return }
        self.state = .connected
    }

    /// A connection or attempt ended; `uptime` is how long it was open (`nil` if it never opened).
    /// `tokenStillValid` says whether the session holds a token that has not expired (after an in-band refresh):
    /// only then does a 4003 close (token expired) allow a reconnect (RC-CLOSE-2).
    mutating func connectionEnded(_ ending: Ending, uptime: Duration?, tokenStillValid: Bool = false) -> Action {
        if self.state == .finished { return .finish(ChatError(code: .connectionClosed)) }
        if let uptime, uptime >= self.policy.healthyConnectionDuration {
            self.consecutiveFailures = 0
            self.startedByRequest = false
            self.delays = self.policy.delays(seed: self.seed)
        }
        let retryAfter: Duration?
        switch ending {
        case .closed(let code, let advice):
            retryAfter = advice
            if let code {
                let closeCode = WebSocketCloseCode(rawValue: code)
                switch closeCode.reconnectAdvice {
                case .never:
                    return self.finishing(
                        .fail(
                            ChatError(
                                code: closeCode.errorCode,
                                message: "the server closed the chat (\(code))",
                                closeCode: code
                            )
                        )
                    )
                case .afterTokenRefresh:
                    if tokenStillValid { break }
                    return self.finishing(
                        .fail(
                            ChatError(
                                code: .tokenExpired,
                                message: "the channel token expired and no fresher one is held; match again",
                                closeCode: code
                            )
                        )
                    )
                case .withBackoff:
                    break
                }
            }
        case .rejected(let error):
            if !error.isTemporary { return self.finishing(.fail(error)) }
            retryAfter = error.retryAfter
        case .unreachable(let error):
            retryAfter = error.retryAfter
        case .channelEnded(let reason), .closedByApp(let reason):
            return self.finishing(.finish(reason))
        case .tokenExpired(let error):
            return self.finishing(.fail(error))
        case .reconnectRequested:
            return self.reconnectRequested()
        }
        self.consecutiveFailures += 1
        // After reconnectRequested() the count starts at its attempt, which is not a failure.
        let failures = self.consecutiveFailures - (self.startedByRequest ? 1 : 0)
        if let maxAttempts = self.policy.maxAttempts, failures > maxAttempts {
            return self.finishing(
                .fail(
                    ChatError(
                        code: .connectionClosed,
                        message: "gave up after \(maxAttempts) reconnection attempts "
                            + "(ReconnectPolicy.maxAttempts); open a new session to try again"
                    )
                )
            )
        }
        var delay = self.delays.next() ?? .zero
        self.retryAdvice = retryAfter
        if let retryAfter, retryAfter > delay { delay = retryAfter }
        self.state = .waitingToReconnect(attempt: self.consecutiveFailures)
        return .reconnect(after: delay, attempt: self.consecutiveFailures)
    }

    /// The app asked to connect now (``ChatSession/reconnectNow()``), ending the connection or the wait before a
    /// retry: the attempts start over with an immediate one, since what made the earlier ones fail (the network)
    /// has changed. That attempt is number 1 and is not a failure, so ``ReconnectPolicy/maxAttempts`` counts the
    /// failures after it.
    mutating func reconnectRequested() -> Action {
        guard self.state != .finished else { return .finish(ChatError(code: .connectionClosed)) }
        self.delays = self.policy.delays(seed: self.seed)
        let delay = self.delays.next() ?? .zero
        self.consecutiveFailures = 1
        self.startedByRequest = true
        self.retryAdvice = nil
        self.state = .waitingToReconnect(attempt: 1)
        return .reconnect(after: delay, attempt: 1)
    }

    /// The app or the client stopped the session while it was between connections.
    mutating func stopped(_ reason: ChatError) -> Action {
        self.finishing(.finish(reason))
    }

    private mutating func finishing(_ action: Action) -> Action {
        self.state = .finished
        return action
    }
}
