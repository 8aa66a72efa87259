import ChatProtocol
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Ends channels that nobody can reach any more (every token expired, no socket open), and deletes what ended
/// channels leave behind once ``ServerConfiguration/endedChannelRetention`` has passed: first their uploaded files and
/// messages, then — once every token of the channel has expired as well — the channel's own row. Runs every
/// ``ServerConfiguration/retentionSweepInterval`` until graceful shutdown, off the event loops, and never throws: a
/// failed sweep is logged and the next one tries again.
struct ChannelRetention: Service {
    /// Channels read per query of the ones to purge (each is purged in a transaction of its own).
    static let batchSize = 256
    /// Batches per sweep, so one sweep's work is bounded; the rest waits for the next sweep.
    static let maximumBatchesPerSweep = 16

    let state: ServerState

    /// What one sweep ended and deleted.
    struct Sweep: Hashable {
        /// Channels ended because every token of them had expired and nobody was connected.
        var abandoned = 0
        /// Channels whose files and messages were deleted.
        var purged = 0
        /// Channels whose rows were deleted.
        var forgotten = 0
    }

    func run() async throws {
        // A service that returns ends the server's service group: without retention, wait for the shutdown.
        guard self.state.configuration.endedChannelRetention != nil else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.state.configuration.retentionSweepInterval)
                _ = await self.sweep(now: Date())
            }
        }
    }

    /// One sweep as of `now`; does nothing when retention is off.
    @discardableResult
    func sweep(now: Date) async -> Sweep {
        guard let retention = self.state.configuration.endedChannelRetention else { return Sweep() }
        var result = Sweep()
        let cutoff = now.addingTimeInterval(-retention.timeInterval)
        do {
            // Channels nobody can reach any more: every token expired (a minute's margin) and no socket open. A v1
            // socket outlives its token, so such a channel is left until it closes.
            let expired = try await self.state.storage.channelsWithExpiredTokens(
                before: now.addingTimeInterval(-60),
                limit: Self.batchSize * Self.maximumBatchesPerSweep
            )
            for id in expired {
                if try await self.state.endAbandonedChannel(id) { result.abandoned += 1 }
            }
            for _ in 0..<Self.maximumBatchesPerSweep {
                let ids = try await self.state.storage.channelsToPurge(endedBefore: cutoff, limit: Self.batchSize)
                let objects = self.state.objects
                for id in ids {
                    // Deleting thousands of files blocks: on NIO's blocking pool, one channel per job, not on a
                    // Swift task's thread. A folder that cannot be deleted (permissions, a failing disk) would
                    // otherwise stall the sweep for good: its messages are purged anyway and the error is logged.
                    do {
                        try await NIOThreadPool.singleton.runIfActive { try objects.removeObjects(of: id) }
                    } catch {
                        self.state.logger.error(
                            "deleting an ended channel's files failed; they stay on disk",
                            metadata: ["channel": "\(id)", "error": "\(error)"]
                        )
                    }
                    await self.state.uploadQuota.forget(id)
                }
                try await self.state.storage.purgeChannels(ids)
                result.purged += ids.count
                guard ids.count == Self.batchSize else { break }
            }
            // A token issued just before the end is valid for one lifetime after it: the row answers it with
            // `channel_closed` until then.
            let lifetime = max(retention, self.state.configuration.tokenLifetime + .seconds(60))
            result.forgotten = try await self.state.storage.forgetChannels(
                endedBefore: now.addingTimeInterval(-lifetime.timeInterval)
            )
        } catch {
            self.state.logger.error("the retention sweep failed", metadata: ["error": "\(error)"])
        }
        if result != Sweep() {
            self.state.logger.info(
                "retention sweep",
                metadata: [
                    "channels.abandoned": "\(result.abandoned)", "channels.purged": "\(result.purged)",
                    "channels.forgotten": "\(result.forgotten)",
                ]
            )
        }
        return result
    }
}

extension Duration {
    /// The duration in seconds.
    var timeInterval: TimeInterval {
        TimeInterval(self.components.seconds) + TimeInterval(self.components.attoseconds) / 1e18
    }
}
