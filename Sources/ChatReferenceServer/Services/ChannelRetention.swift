import ChatProtocol
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Ends channels that nobody can reach any more (every token expired, no socket open), and deletes what ended
/// channels leave behind once ``ServerConfiguration/endedChannelRetention`` has passed: first their uploaded files and
/// messages, then — once every token of the channel has expired as well — the channel's own row. Also deletes
/// expired sessions and, unless the retention is `forever`, guests that nothing can reach any more (no session, no
/// active channel). Runs every ``ServerConfiguration/retentionSweepInterval`` until graceful shutdown, off the event
/// loops, and never throws: a failed sweep is logged and the next one tries again.
struct ChannelRetention: Service {
    /// Channels read per query of the ones to purge (each is purged in a transaction of its own).
    static let batchSize = 256
    /// Batches per sweep, so one sweep's work is bounded; the rest waits for the next sweep.
    static let maximumBatchesPerSweep = 16
    /// Expired sessions deleted per sweep, at most.
    static let sessionsPerSweep = 10_000
    /// Users looked at per sweep for guests to forget: the sweep walks the users table in id order, this many at a
    /// time, and starts over at the end, so one sweep's work is bounded however many users there are.
    static let usersPerSweep = 1_000
    /// A guest is kept at least this long after its creation (its sign-up creates the user, then its session).
    static let guestGrace: TimeInterval = 86_400

    let state: ServerState
    /// Where the next sweep goes on looking for guests to forget.
    private let guestCursor = GuestCursor()

    init(state: ServerState) { self.state = state }

    private final class GuestCursor: Sendable {
        let next = Mutex<UserID?>(nil)
    }

    /// What one sweep ended and deleted.
    struct Sweep: Hashable {
        /// Channels ended because every token of them had expired and nobody was connected.
        var abandoned = 0
        /// Channels whose files and messages were deleted.
        var purged = 0
        /// Channels whose rows were deleted.
        var forgotten = 0
        /// Expired sessions deleted.
        var sessions = 0
        /// Guests deleted.
        var guests = 0
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.state.configuration.retentionSweepInterval)
                _ = await self.sweep(now: Date())
            }
        }
    }

    /// One sweep as of `now`: expired sessions always; ended channels and guests unless retention is `forever`.
    @discardableResult
    func sweep(now: Date) async -> Sweep {
        var result = Sweep()
        do {
            let idle = self.state.configuration.sessionIdleTimeout.timeInterval
            result.sessions = try await self.state.storage.forgetIdleSessions(
                lastUsedBefore: now.addingTimeInterval(-idle),
                limit: Self.sessionsPerSweep
            )
        } catch {
            self.state.logger.error("deleting expired sessions failed", metadata: ["error": "\(error)"])
        }
        guard let retention = self.state.configuration.endedChannelRetention else {
            self.log(result)
            return result
        }
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
            // Guests nothing can reach any more: a guest has no credential but its session, so once that is gone
            // (logged out, or expired above) and it is in no active channel, nobody can act as it again.
            let (forgotten, next) = try await self.state.storage.forgetGuests(
                after: self.guestCursor.next.withLock { $0 },
                scanning: Self.usersPerSweep,
                createdBefore: now.addingTimeInterval(-Self.guestGrace)
            )
            self.guestCursor.next.withLock { $0 = next }
            result.guests = forgotten.count
        } catch {
            self.state.logger.error("the retention sweep failed", metadata: ["error": "\(error)"])
        }
        self.log(result)
        return result
    }

    private func log(_ result: Sweep) {
        guard result != Sweep() else { return }
        self.state.logger.info(
            "retention sweep",
            metadata: [
                "channels.abandoned": "\(result.abandoned)", "channels.purged": "\(result.purged)",
                "channels.forgotten": "\(result.forgotten)", "sessions.expired": "\(result.sessions)",
                "users.forgotten": "\(result.guests)",
            ]
        )
    }
}

extension Duration {
    /// The duration in seconds.
    var timeInterval: TimeInterval {
        TimeInterval(self.components.seconds) + TimeInterval(self.components.attoseconds) / 1e18
    }
}
