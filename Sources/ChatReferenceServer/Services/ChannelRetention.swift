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
    /// Expired sessions deleted per transaction, so the database's writer (which the matcher's channel creation
    /// waits for) is never held long.
    static let sessionBatchSize = 1_000
    /// Batches of expired sessions per sweep, at most.
    static let sessionBatchesPerSweep = 10
    /// A guest is kept at least this long after its creation (its sign-up creates the user, then its session).
    static let guestGrace: TimeInterval = 86_400

    let state: ServerState
    /// Users looked at per sweep for guests to forget (default 1,000): the sweep walks the users table in id order,
    /// this many at a time, and starts over at the end, so one sweep's work is bounded however many users there are.
    /// Where it stopped is stored, so a restart goes on from there.
    let usersPerSweep: Int
    /// Where the next sweep goes on looking for guests to forget, once read from storage.
    private let guestCursor = GuestCursor()

    init(state: ServerState, usersPerSweep: Int = 1_000) {
        self.state = state
        self.usersPerSweep = usersPerSweep
    }

    private final class GuestCursor: Sendable {
        /// `nil` until read from storage; then the position (`nil` inside: the start).
        let next = Mutex<UserID??>(nil)
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
            for _ in 0..<Self.sessionBatchesPerSweep {
                let deleted = try await self.state.storage.forgetIdleSessions(
                    lastUsedBefore: now.addingTimeInterval(-idle),
                    limit: Self.sessionBatchSize
                )
                result.sessions += deleted
                guard deleted == Self.sessionBatchSize else { break }
            }
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
        } catch {
            self.state.logger.error("the retention sweep failed", metadata: ["error": "\(error)"])
        }
        do {
            result.guests = try await self.forgetGuests(createdBefore: now.addingTimeInterval(-Self.guestGrace))
        } catch {
            self.state.logger.error("forgetting guests failed", metadata: ["error": "\(error)"])
        }
        self.log(result)
        return result
    }

    /// Guests nothing can reach any more. A guest's only credential is its session: once that is gone (logged out, or
    /// expired) and it is in no active channel, nobody can act as it again, except through a match connection opened
    /// before, which holds its block list; such a guest is kept until the connection closes. Each guest is deleted
    /// in a transaction of its own, under its block list's lock, so a match connection opening meanwhile either
    /// keeps it or finds it gone (and is refused). Returns how many were deleted.
    private func forgetGuests(createdBefore cutoff: Date) async throws -> Int {
        let storage = self.state.storage
        let cursor: UserID?
        if let known = self.guestCursor.next.withLock({ $0 }) {
            cursor = known
        } else {
            cursor = try await storage.sweepCursor("guests")
        }
        let (candidates, next) = try await storage.guestCandidates(
            after: cursor,
            scanning: self.usersPerSweep,
            createdBefore: cutoff
        )
        var forgotten = 0
        for user in candidates {
            let blockLists = self.state.blockLists
            let deleted = try await blockLists.unlessHeld(user) {
                let deleted = try await storage.forgetGuest(user, createdBefore: cutoff)
                if deleted { blockLists.forgotten(user) }
                return deleted
            }
            if deleted == true { forgotten += 1 }
        }
        // Stored only when it moved. It stays put only at the start (nil), while every user fits in one sweep: that
        // saves a write transaction (a no-op delete) a sweep.
        if next != cursor {
            try await storage.setSweepCursor("guests", to: next)
        }
        self.guestCursor.next.withLock { $0 = .some(next) }
        return forgotten
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
