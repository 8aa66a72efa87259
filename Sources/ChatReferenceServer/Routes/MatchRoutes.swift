import ChatProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// `GET /api/match`: the matching websocket, v1 (upstream §3.3, §4.2, §5.1) and v2 (PROTOCOL.md §5.3–§5.6).
struct MatchRoutes {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        router.webSocket("api/match") { request, _ in
            let offer = try request.subprotocolOffer(self.state.configuration.protocols)
            let user = try await self.state.existingSessionUser(request)
            try request.requireWebSocketUpgrade()
            var headers = HTTPFields()
            if let chosen = offer.negotiated.subprotocol { headers[.secWebSocketProtocol] = chosen }
            if offer.negotiated.version == .v2 {
                return (headers, V2MatchSocket(state: self.state, user: user, encoding: offer.negotiated.encoding))
            }
            return (headers, MatchSocket(state: self.state, user: user))
        }
    }
}

/// One v1 match connection: waits in the matchmaker's queue until matched; clients send nothing meaningful, their
/// frames only count against the size limit.
private final class MatchSocket: WebSocketSession {
    let state: ServerState
    let user: UserID
    let outbox = Outbox(capacity: 4)
    let limits: WebSocketLimits
    private let socketID = Mutex<Int?>(nil)

    init(state: ServerState, user: UserID) {
        self.state = state
        self.user = user
        let limits = state.configuration.limits
        self.limits = WebSocketLimits(maxMessageSize: limits.maxMatchFrameSize, pingInterval: limits.pingInterval)
    }

    func opened(on connection: WebSocketConnection) async {
        self.state.metrics.matchConnections.increment()
        if let refusal = await self.state.retainBlockList(of: self.user) {
            return self.outbox.close(V2Wire.closeCode(refusal), reason: refusal.mapping.message)
        }
        let socketID = await self.state.matchmaker.connectV1(self.user, outbox: self.outbox)
        guard let socketID else {
            self.state.blockLists.release(self.user)
            // Refused: the user's account was deleted meanwhile, or the server is shutting down.
            if self.state.blockLists.isForgotten(self.user) {
                return self.outbox.close(
                    V2Wire.closeCode(.unauthorized),
                    reason: ChatError.Code.unauthorized.mapping.message
                )
            }
            return self.outbox.close(.goingAway, reason: "server shutting down")
        }
        self.socketID.withLock { $0 = socketID }
    }

    func received(_ message: InboundMessage, on connection: WebSocketConnection) async {}

    func receivedOversize(on connection: WebSocketConnection) async {
        await self.disconnect()
    }

    func closed(on connection: WebSocketConnection) async {
        await self.disconnect()
        self.state.metrics.matchConnections.decrement()
    }

    private func disconnect() async {
        guard let socketID = self.socketID.withLock({ $0.take() }) else { return }
        await self.state.matchmaker.disconnectV1(self.user, connection: socketID)
        self.state.blockLists.release(self.user)
    }
}

/// One v2 match connection: decoding, `next`'s token checks, server pings and the liveness deadline.
private final class V2MatchSocket: WebSocketSession {
    let state: ServerState
    let user: UserID
    let encoding: FrameEncoding
    let outbox: Outbox
    let limits: WebSocketLimits
    private let clock = Mutex((closing: false, socketID: Int?.none))

    init(state: ServerState, user: UserID, encoding: FrameEncoding) {
        self.state = state
        self.user = user
        self.encoding = encoding
        let limits = state.configuration.limits
        self.outbox = Outbox(capacity: limits.maxQueuedFrames)
        self.limits = WebSocketLimits.v2(limits)
    }

    func opened(on connection: WebSocketConnection) async {
        self.push(.hello(self.hello))
        self.state.metrics.matchConnections.increment()
        let matchmaker = self.state.matchmaker
        if let refusal = await self.state.retainBlockList(of: self.user) { return self.closeWithError(refusal) }
        guard let socketID = await matchmaker.connectV2(self.user, outbox: self.outbox, encoding: self.encoding) else {
            self.state.blockLists.release(self.user)
            // Refused: the user's account was deleted meanwhile, or the server is shutting down.
            if self.state.blockLists.isForgotten(self.user) { return self.closeWithError(.unauthorized) }
            return self.closeWithError(.serverShuttingDown, retryAfterMs: 1000)
        }
        self.clock.withLock { $0.socketID = socketID }
    }

    func receivedOversize(on connection: WebSocketConnection) async {
        self.push(.error(V2Wire.error(.messageTooLarge)))
        await self.disconnect()
    }

    func closed(on connection: WebSocketConnection) async {
        await self.disconnect()
        self.state.metrics.matchConnections.decrement()
    }

    private func disconnect() async {
        guard let socketID = self.clock.withLock({ $0.socketID.take() }) else { return }
        await self.state.matchmaker.disconnectV2(socketID)
        self.state.blockLists.release(self.user)
    }

    /// Pings every `ping_interval_ms` (on the event loop).
    func heartbeat(on connection: WebSocketConnection) -> HeartbeatPush? {
        guard !self.clock.withLock({ $0.closing }) else { return nil }
        return Self.pings[self.encoding]
    }

    private static let pings = HeartbeatPush.V2Pair { encoding in
        V2Wire.encode(V2.MatchServerFrame(id: 0, body: .ping(V2.Ping())), encoding)
    }

    /// Nothing received for interval + 10 s → `error PING_TIMEOUT`, close 4002.
    func livenessExpired(on connection: WebSocketConnection) {
        guard !self.clock.withLock({ $0.closing }) else { return }
        self.closeWithError(.pingTimeout)
    }

    /// RC-MATCH-HELLO-1.
    var hello: V2.Hello {
        let limits = self.state.configuration.limits
        return V2.Hello(
            version: 2,
            server: ServerState.serverName,
            limits: V2.Limits(
                maxFrameBytes: UInt32(clamping: limits.maxV2FrameSize),
                maxBlocksPerUser: UInt32(clamping: limits.maxBlocksPerUser)
            ),
            pingIntervalMs: UInt32(clamping: limits.pingInterval.milliseconds),
            userID: self.user,
            matchWaitTimeoutMs: UInt32(clamping: limits.matchWaitTimeout.milliseconds),
            matchConfirmTimeoutMs: UInt32(clamping: limits.matchConfirmTimeout.milliseconds)
        )
    }

    func push(_ body: V2.MatchServerFrame.Body, id: UInt32 = 0) {
        let bytes = V2Wire.encode(V2.MatchServerFrame(id: id, body: body), self.encoding)
        self.outbox.send(bytes, binary: self.encoding == .protobuf)
    }

    func closeWithError(_ code: ChatError.Code, retryAfterMs: UInt32 = 0, closeCode: WebSocketCloseCode? = nil) {
        self.clock.withLock { $0.closing = true }
        let bytes = V2Wire.encode(
            V2.MatchServerFrame(id: 0, body: .error(V2Wire.error(code, retryAfterMs: retryAfterMs))),
            self.encoding
        )
        self.outbox.send(bytes, binary: self.encoding == .protobuf, counted: false)
        self.outbox.close(
            closeCode ?? V2Wire.closeCode(code),
            reason: V2Wire.closeReason(code, retryAfterMs: retryAfterMs)
        )
    }

    func received(_ message: InboundMessage, on connection: WebSocketConnection) async {
        guard let socketID = self.clock.withLock({ $0.socketID }) else { return }
        let frame: V2.MatchClientFrame
        do {
            switch (message, self.encoding) {
            case (.text(let bytes), .json): frame = try V2.MatchClientFrame(jsonBytes: bytes)
            case (.binary(let bytes), .protobuf): frame = try V2.MatchClientFrame(protobufBytes: bytes)
            default: return self.closeWithError(.protocolViolation, closeCode: .unsupportedData)
            }
        } catch {
            return self.closeWithError(.protocolViolation)
        }
        guard !self.clock.withLock({ $0.closing }) else { return }
        let matchmaker = self.state.matchmaker
        let id = frame.id
        switch frame.command {
        case nil:
            if id != 0 { self.push(.error(V2Wire.error(.invalidParameter)), id: id) }
        case .ping:
            self.push(.pong(V2.Pong()), id: id)
        case .pong:
            break
        case .enqueue:
            await matchmaker.enqueue(socket: socketID, id: id)
        case .cancel:
            await matchmaker.cancel(socket: socketID, id: id)
        case .confirm(let command):
            await matchmaker.confirm(socket: socketID, id: id, matchID: command.matchID)
        case .next(let command):
            await self.next(command, id: id, socketID: socketID)
        }
    }

    /// RC-MATCH-NEXT-1: the token must verify and name this user (expiry and revocation ignored); then the channel
    /// ends as with `leave` and the user is enqueued.
    private func next(_ command: V2.NextCommand, id: UInt32, socketID: Int) async {
        let matchmaker = self.state.matchmaker
        guard !command.accessToken.isEmpty else {
            return await matchmaker.reply(.error(V2Wire.error(.invalidParameter)), to: socketID, id: id)
        }
        let verified: VerifiedToken
        do {
            verified = try await self.state.tokens.verifyClaims(command.accessToken, ignoringExpiry: true)
        } catch {
            return await matchmaker.reply(.error(V2Wire.error(.invalidToken)), to: socketID, id: id)
        }
        guard verified.subject == self.user else {
            return await matchmaker.reply(.error(V2Wire.error(.unauthorized)), to: socketID, id: id)
        }
        do {
            try await self.state.endChannel(verified.channel, by: self.user)
        } catch {
            self.state.logger.error("ending a channel for next failed", metadata: ["error": "\(error)"])
            return await matchmaker.reply(.error(V2Wire.error(.serverError)), to: socketID, id: id)
        }
        await matchmaker.enqueue(socket: socketID, id: id)
    }
}

extension ServerState {
    /// Holds `user`'s block list while a match connection of it is open (the matcher reads it from memory,
    /// ``BlockLists/retain(_:)``); returns the error to close the connection with when that fails: `unauthorized` for
    /// a user the retention sweep deleted, `server_error` (logged) for a storage failure.
    func retainBlockList(of user: UserID) async -> ChatError.Code? {
        do {
            try await self.blockLists.retain(user)
            return nil
        } catch let refusal as ChatHTTPError {
            return refusal.error.code
        } catch {
            self.logger.error("reading a block list failed", metadata: ["error": "\(error)"])
            return .serverError
        }
    }
}
