import ChatProtocol
import Foundation
import NIOPosix
import Synchronization

/// The per-channel upload quota (``ServerConfiguration/Limits/maxChannelUploadBytes``): what a channel's stored
/// objects plus its uploads in flight may add up to.
///
/// A channel's stored bytes are read from its folder of objects once (on a thread of NIO's blocking pool, not a Swift
/// task's), then kept in memory and updated as objects are put in place or removed; so usage is right after a
/// restart and checking it costs no disk access afterwards. Uploads in flight hold a reservation (their
/// `Content-Length`, or the signed maximum without one) from before their first byte until their objects are in
/// place. A channel's checks, its first read and every object's move into place take turns, so two uploads cannot
/// both take the last room and a read never counts an object twice or misses one. An object counts as at least
/// ``minimumCharge`` bytes, so empty or tiny files cannot fill the disk with entries either.
final class UploadQuota: Sendable {
    /// The least an object counts for: one file-system block.
    static let minimumCharge = 4096
    /// Past this many channels without an upload in flight, their stored sizes are forgotten (read again when
    /// next needed).
    static let maximumIdleChannels = 10_000

    /// The quota in bytes; 0 is none.
    let limit: Int
    private let objects: ObjectStore
    private let turns = ChannelLocks()

    private struct Usage {
        /// The charges of the stored objects; `nil` until the folder was read.
        var stored: Int?
        /// Bytes held by uploads in flight.
        var reserved = 0
    }

    private let channels = Mutex<[ChannelID: Usage]>([:])

    /// What one upload request holds: bytes of the channel's quota not yet taken by its stored objects.
    final class Reservation: Sendable {
        let channel: ChannelID
        fileprivate let held: Mutex<Int>

        fileprivate init(channel: ChannelID, held: Int) {
            self.channel = channel
            self.held = Mutex(held)
        }
    }

    init(limit: Int, objects: ObjectStore) {
        self.limit = max(0, limit)
        self.objects = objects
    }

    /// What an object of `bytes` bytes counts for.
    static func charge(_ bytes: Int) -> Int { max(bytes, Self.minimumCharge) }

    /// Throws 413 `upload_quota_exceeded` unless an object of `bytes` more bytes would fit now (a presign's check;
    /// reserves nothing).
    func check(adding bytes: Int, in channel: ChannelID) async throws {
        guard self.limit > 0 else { return }
        try await self.turns.withLock(channel) {
            guard try await self.room(in: channel) >= Self.charge(bytes) else {
                throw ChatHTTPError(.uploadQuotaExceeded)
            }
        }
    }

    /// Runs `body`, an upload of at most `bytes` bytes to `channel`, holding a reservation of them; throws 413
    /// `upload_quota_exceeded` without running it when they do not fit. `body` puts its objects in place with
    /// ``store(_:size:as:for:)``; what it did not use is released when it returns.
    func withReservation<T>(
        of bytes: Int,
        in channel: ChannelID,
        _ body: (Reservation) async throws -> T
    ) async throws -> T {
        let charge = self.limit > 0 ? Self.charge(bytes) : 0
        let reservation = Reservation(channel: channel, held: charge)
        if self.limit > 0 {
            try await self.turns.withLock(channel) {
                guard try await self.room(in: channel) >= charge else { throw ChatHTTPError(.uploadQuotaExceeded) }
                self.channels.withLock { $0[channel, default: Usage()].reserved += charge }
            }
        }
        defer {
            let left = reservation.held.withLock { held in
                defer { held = 0 }
                return held
            }
            if left > 0 { self.channels.withLock { $0[channel]?.reserved -= left } }
        }
        return try await body(reservation)
    }

    /// Moves a written upload into place as `key` and counts it as stored: its charge comes out of the reservation,
    /// and what exceeds the reservation must fit the quota (413 `upload_quota_exceeded` otherwise; the file is
    /// deleted). An object replaced under the same key stops counting.
    func store(_ temporary: URL, size: Int, as key: String, for reservation: Reservation) async throws {
        guard self.limit > 0 else {
            try self.objects.commit(temporary, as: key)
            return
        }
        let channel = reservation.channel
        try await self.turns.withLock(channel) {
            let charge = Self.charge(size)
            let held = reservation.held.withLock { $0 }
            if charge > held {
                guard try await self.room(in: channel) >= charge - held else {
                    try? FileManager.default.removeItem(at: temporary)
                    throw ChatHTTPError(.uploadQuotaExceeded)
                }
            }
            let replaced = try self.objects.commit(temporary, as: key)
            let used = min(charge, held)
            reservation.held.withLock { $0 -= used }
            self.channels.withLock { channels in
                channels[channel]?.reserved -= used
                if let stored = channels[channel]?.stored {
                    channels[channel]?.stored = stored + charge - (replaced.map(Self.charge) ?? 0)
                }
            }
        }
    }

    /// Deletes stored objects of `channel` (a failed upload's) and stops counting them.
    func remove(_ keys: [String], in channel: ChannelID) async {
        guard self.limit > 0 else {
            self.objects.remove(keys)
            return
        }
        await self.turns.withLock(channel) {
            let freed = keys.compactMap(self.objects.size(of:)).reduce(0) { $0 + Self.charge($1) }
            self.objects.remove(keys)
            self.channels.withLock { channels in
                if let stored = channels[channel]?.stored { channels[channel]?.stored = max(0, stored - freed) }
            }
        }
    }

    /// Forgets what is known of `channel`'s objects (after they were deleted with its folder).
    func forget(_ channel: ChannelID) async {
        await self.turns.withLock(channel) {
            self.channels.withLock { channels in
                if channels[channel]?.reserved ?? 0 > 0 {
                    channels[channel]?.stored = nil
                } else {
                    channels[channel] = nil
                }
            }
        }
    }

    /// The bytes reserved for `channel` by uploads in flight (tests).
    func reservedBytes(in channel: ChannelID) -> Int { self.channels.withLock { $0[channel]?.reserved ?? 0 } }

    /// The stored bytes counted for `channel`, `nil` when its folder was not read (tests).
    func storedBytes(in channel: ChannelID) -> Int? { self.channels.withLock { $0[channel]?.stored } }

    /// The quota left in `channel`: reads the folder on the first call. Call only during the channel's turn.
    private func room(in channel: ChannelID) async throws -> Int {
        let known = self.channels.withLock { channels -> Usage? in
            if channels.count > Self.maximumIdleChannels { channels = channels.filter { $0.value.reserved > 0 } }
            return channels[channel]
        }
        var usage = known ?? Usage()
        if usage.stored == nil {
            let objects = self.objects
            let stored = try await NIOThreadPool.singleton.runIfActive { objects.usage(of: channel) }
            usage = self.channels.withLock { channels in
                channels[channel, default: Usage()].stored = stored
                return channels[channel] ?? Usage()
            }
        }
        return self.limit - (usage.stored ?? 0) - usage.reserved
    }
}
