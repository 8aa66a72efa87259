import ChatProtocol
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Prometheus

/// `GET /api/match`: the matching websocket (upstream §3.3, §4.2, §5.1).
struct MatchRoutes {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        router.ws("api/match") { request, _ in
            let user = try await self.state.sessionUser(request)
            guard try await self.state.storage.user(user) != nil else { throw ChatHTTPError(.userNotFound) }
            try request.requireWebSocketUpgrade()
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            // Checked again: the handshake's result is not passed along by the router.
            guard let user = try? await self.state.sessionUser(context.request) else { return }
            try await self.run(
                user: user,
                inbound: inbound,
                outbound: outbound,
                connection: context.requestContext.channel
            )
        }
    }

    private func run(
        user: UserID,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        connection: any Channel
    ) async throws {
        let outbox = Outbox(capacity: 4)
        let (socketID, arrival) = await self.state.matchmaker.connect(user, outbox: outbox)
        self.state.metrics.matchConnections.increment()
        defer { self.state.metrics.matchConnections.decrement() }
        switch arrival {
        case .refused:
            outbox.close(.goingAway, reason: "server shutting down")
        case .waiting:
            break
        case .matched(let peer):
            await self.pair(user, with: peer)
        }
        do {
            try await driveWebSocket(
                inbound: inbound,
                outbound: outbound,
                outbox: outbox,
                channel: connection,
                maxMessageSize: self.state.configuration.limits.maxMatchFrameSize,
                metrics: self.state.metrics,
                onClosing: { await self.state.matchmaker.disconnect(user, connection: socketID) },
                onText: { _ in }  // clients send nothing meaningful; frames only count against the size limit
            )
        } catch {
            await self.state.matchmaker.disconnect(user, connection: socketID)
            throw error
        }
        await self.state.matchmaker.disconnect(user, connection: socketID)
    }

    /// Creates the channel with both members, then sends both users the same token. If the popped peer vanished
    /// meanwhile the channel is dropped and the arriving user waits instead; on failure the peer is put back.
    private func pair(_ user: UserID, with peer: UserID) async {
        let channel = ChannelID(self.state.ids.next())
        do {
            try await self.state.storage.createChannel(channel, members: [peer, user], now: Date())
            let token = try await self.state.tokens.issue(for: channel)
            guard await self.state.matchmaker.isConnected(peer) else {
                try await self.state.storage.deleteChannel(channel, now: Date())
                await self.state.matchmaker.requeueFirst(user)
                return
            }
            await self.state.matchmaker.deliver(V1.MatchResult(accessToken: token).jsonBytes(), to: [user, peer])
            self.state.metrics.matches.increment()
        } catch {
            self.state.logger.error("match failed", metadata: ["error": "\(error)"])
            await self.state.matchmaker.requeueFirst(peer)
            await self.state.matchmaker.requeueFirst(user)
        }
    }
}
