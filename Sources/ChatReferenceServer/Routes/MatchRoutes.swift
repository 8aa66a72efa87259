import ChatProtocol
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Prometheus
import Synchronization

/// `GET /api/match`: the matching websocket, v1 (upstream §3.3, §4.2, §5.1) and v2 (PROTOCOL.md §5.3–§5.6).
struct MatchRoutes {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        router.ws("api/match") { request, _ in
            let offer = try request.subprotocolOffer(self.state.configuration.protocols)
            let user = try await self.state.sessionUser(request)
            guard try await self.state.storage.user(user) != nil else { throw ChatHTTPError(.userNotFound) }
            try request.requireWebSocketUpgrade()
            guard let chosen = offer.negotiated.subprotocol else { return .upgrade([:]) }
            return .upgrade([.secWebSocketProtocol: chosen])
        } onUpgrade: { inbound, outbound, context in
            // Checked again: the handshake's result is not passed along by the router.
            guard let user = try? await self.state.sessionUser(context.request),
                let offer = try? context.request.subprotocolOffer(self.state.configuration.protocols)
            else { return }
            if offer.negotiated.version == .v2 {
                try await self.runV2(
                    user: user,
                    encoding: offer.negotiated.encoding,
                    inbound: inbound,
                    outbound: outbound,
                    connection: context.requestContext.channel
                )
            } else {
                try await self.run(
                    user: user,
                    inbound: inbound,
                    outbound: outbound,
                    connection: context.requestContext.channel
                )
            }
        }
    }

    private func run(
        user: UserID,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        connection: any Channel
    ) async throws {
        let outbox = Outbox(capacity: 4)
        self.state.metrics.matchConnections.increment()
        defer { self.state.metrics.matchConnections.decrement() }
        let socketID = await self.state.matchmaker.connectV1(user, outbox: outbox)
        if socketID == nil { outbox.close(.goingAway, reason: "server shutting down") }
        let disconnect = {
            if let socketID { await self.state.matchmaker.disconnectV1(user, connection: socketID) }
        }
        do {
            try await driveWebSocket(
                inbound: inbound,
                outbound: outbound,
                outbox: outbox,
                channel: connection,
                maxMessageSize: self.state.configuration.limits.maxMatchFrameSize,
                metrics: self.state.metrics,
                onClosing: disconnect,
                onMessage: { _ in }  // clients send nothing meaningful; frames only count against the size limit
            )
        } catch {
            await disconnect()
            throw error
        }
        await disconnect()
    }

    // MARK: v2

    private func runV2(
        user: UserID,
        encoding: FrameEncoding,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        connection: any Channel
    ) async throws {
        let limits = self.state.configuration.limits
        let outbox = Outbox(capacity: limits.maxQueuedFrames)
        let socket = V2MatchSocket(state: self.state, user: user, encoding: encoding, outbox: outbox)
        socket.push(.hello(socket.hello))
        self.state.metrics.matchConnections.increment()
        defer { self.state.metrics.matchConnections.decrement() }
        guard let socketID = await self.state.matchmaker.connectV2(user, outbox: outbox, encoding: encoding) else {
            socket.closeWithError(.serverShuttingDown, retryAfterMs: 1000)
            try await driveWebSocket(
                inbound: inbound,
                outbound: outbound,
                outbox: outbox,
                channel: connection,
                maxMessageSize: limits.maxV2FrameSize,
                metrics: self.state.metrics,
                onMessage: { _ in }
            )
            return
        }
        let disconnect = { await self.state.matchmaker.disconnectV2(socketID) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await socket.runTimers() }
                try await driveWebSocket(
                    inbound: inbound,
                    outbound: outbound,
                    outbox: outbox,
                    channel: connection,
                    maxMessageSize: limits.maxV2FrameSize,
                    metrics: self.state.metrics,
                    oversizeReason: V2Wire.closeReason(.messageTooLarge),
                    onClosing: {
                        socket.push(.error(V2Wire.error(.messageTooLarge)))
                        await disconnect()
                    },
                    onMessage: { message in await socket.receive(message, socketID: socketID) }
                )
                group.cancelAll()
            }
        } catch {
            await disconnect()
            throw error
        }
        await disconnect()
    }
}

/// One v2 match connection: decoding, `next`'s token checks, server pings and the liveness deadline.
private final class V2MatchSocket: Sendable {
    let state: ServerState
    let user: UserID
    let encoding: FrameEncoding
    let outbox: Outbox
    private let clock = Mutex((lastInbound: ContinuousClock.now, lastPing: ContinuousClock.now, closing: false))

    init(state: ServerState, user: UserID, encoding: FrameEncoding, outbox: Outbox) {
        self.state = state
        self.user = user
        self.encoding = encoding
        self.outbox = outbox
    }

    /// RC-MATCH-HELLO-1.
    var hello: V2.Hello {
        let limits = self.state.configuration.limits
        return V2.Hello(
            version: 2,
            server: ServerState.serverName,
            limits: V2.Limits(maxFrameBytes: UInt32(clamping: limits.maxV2FrameSize)),
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

    /// Pings every `ping_interval_ms`; nothing received for interval + 10 s → `error PING_TIMEOUT`, close 4002.
    func runTimers() async throws {
        let interval = self.state.configuration.limits.pingInterval
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(100))
            let now = ContinuousClock.now
            let (ping, dead) = self.clock.withLock { clock -> (Bool, Bool) in
                guard !clock.closing else { return (false, false) }
                if now - clock.lastInbound > interval + .seconds(10) { return (false, true) }
                guard now - clock.lastPing >= interval else { return (false, false) }
                clock.lastPing = now
                return (true, false)
            }
            if dead { self.closeWithError(.pingTimeout) }
            if ping { self.push(.ping(V2.Ping())) }
        }
    }

    func receive(_ message: InboundMessage, socketID: Int) async {
        self.clock.withLock { $0.lastInbound = .now }
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
