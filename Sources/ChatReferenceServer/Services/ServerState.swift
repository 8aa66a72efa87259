import ChatProtocol
import Foundation
import Logging
import Prometheus

/// Everything a route needs, built once per server.
final class ServerState: Sendable {
    let configuration: ServerConfiguration
    let storage: any ChatStorage
    let tokens: ChannelTokens
    let ids: IDGenerator
    let hub: any ChannelFanOut
    /// Serialises each channel's stores, fan-outs, replays and its end.
    let channelLocks = ChannelLocks()
    /// Connections that have not sent a byte yet; closed on shutdown (see `SilentConnections`).
    let silentConnections = SilentConnections()
    let matchmaker: Matchmaker
    /// Users' block lists; the matcher reads those of users with an open match connection.
    let blockLists: BlockLists
    /// Sessions verified recently (see ``SessionCache``).
    let sessions: SessionCache
    let limiter: RateLimiter<ChannelID>
    /// Block-list writes (`PUT` and `DELETE /api/v2/user/blocks/{uid}`) per user.
    let blockWriteLimiter: RateLimiter<UserID>
    let objects: ObjectStore
    /// The per-channel upload quota over ``objects``.
    let uploadQuota: UploadQuota
    let metrics: ServerMetrics
    /// Open websockets and running session tasks.
    let webSockets: WebSocketStats
    let logger: Logger

    init(
        configuration: ServerConfiguration,
        storage: any ChatStorage,
        tokens: ChannelTokens,
        objects: ObjectStore,
        logger: Logger
    ) {
        self.configuration = configuration
        let ids = IDGenerator()
        self.ids = ids
        self.hub = ChannelHub(ids: ids)
        self.storage = storage
        self.tokens = tokens
        let metrics = ServerMetrics()
        self.metrics = metrics
        self.webSockets = WebSocketStats(slowConsumerCloses: metrics.slowConsumerCloses)
        let blockLists = BlockLists(storage: storage, limit: configuration.limits.maxBlocksPerUser)
        self.blockLists = blockLists
        self.matchmaker = Matchmaker(
            services: .init(
                newID: { ids.next() },
                createChannel: { users in
                    let channel = ChannelID(ids.next())
                    // Its tokens are issued right after, with the same lifetime (a minute's margin is added when the
                    // retention sweep looks for channels whose tokens all expired).
                    let now = Date()
                    try await storage.createChannel(
                        channel,
                        members: users,
                        now: now,
                        tokensExpireAt: now.addingTimeInterval(configuration.tokenLifetime.timeInterval)
                    )
                    return channel
                },
                discardChannel: { channel in try? await storage.deleteChannel(channel, now: Date()) },
                v1Token: { channel in tokens.issueV1(for: channel) },
                v2Token: { channel, user in tokens.issueV2(for: channel, user: user) },
                onMatched: { metrics.matches.increment() },
                eitherBlocks: { blockLists.eitherBlocks($0, $1) },
                isDeleted: { blockLists.isForgotten($0) },
                waitTimeout: configuration.limits.matchWaitTimeout,
                confirmTimeout: configuration.limits.matchConfirmTimeout
            )
        )
        self.sessions = SessionCache(window: SessionCache.window(idleTimeout: configuration.sessionIdleTimeout))
        self.limiter = RateLimiter(rate: configuration.limits.uploadRate, burst: configuration.limits.uploadBurst)
        self.blockWriteLimiter = RateLimiter(
            rate: configuration.limits.blockWriteRate,
            burst: configuration.limits.blockWriteBurst
        )
        self.objects = objects
        self.uploadQuota = UploadQuota(limit: configuration.limits.maxChannelUploadBytes, objects: objects)
        self.logger = logger
    }

    /// Server time in Unix milliseconds.
    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
