import ChatProtocol
import Foundation
import Logging

/// Everything a route needs, built once per server.
final class ServerState: Sendable {
    let configuration: ServerConfiguration
    let storage: any ChatStorage
    let tokens: ChannelTokens
    let ids = IDGenerator()
    let hub: any ChannelFanOut = ChannelHub()
    let matchmaker: any WaitList = Matchmaker()
    let limiter: RateLimiter
    let objects: ObjectStore
    let metrics = ServerMetrics()
    let logger: Logger

    init(
        configuration: ServerConfiguration,
        storage: any ChatStorage,
        tokens: ChannelTokens,
        objects: ObjectStore,
        logger: Logger
    ) {
        self.configuration = configuration
        self.storage = storage
        self.tokens = tokens
        self.limiter = RateLimiter(rate: configuration.limits.uploadRate, burst: configuration.limits.uploadBurst)
        self.objects = objects
        self.logger = logger
    }

    /// Server time in Unix milliseconds.
    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
