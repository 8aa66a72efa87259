import ChatProtocol
import Synchronization

/// The per-channel upload quota (``ServerConfiguration/Limits/maxChannelUploadBytes``): what a channel's stored
/// objects plus its uploads in flight may add up to.
///
/// A channel's usage is read from its folder of objects, so it is right after a restart and needs no bookkeeping of
/// its own; uploads in flight hold a reservation (their `Content-Length`, or the signed maximum without one) from
/// before the first byte until the object is in place. A channel's checks take turns, so two uploads cannot both
/// take the last free bytes. An object counts as at least ``minimumCharge`` bytes, so empty or tiny files cannot
/// fill the disk with entries either.
final class UploadQuota: Sendable {
    /// The least an object counts for: one file-system block.
    static let minimumCharge = 4096

    /// The quota in bytes; 0 is none.
    let limit: Int
    private let objects: ObjectStore
    private let turns = ChannelLocks()
    /// Bytes reserved by uploads in flight, per channel; only channels with uploads in flight have an entry.
    private let reserved = Mutex<[ChannelID: Int]>([:])

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
            guard self.fits(Self.charge(bytes), in: channel) else { throw ChatHTTPError(.uploadQuotaExceeded) }
        }
    }

    /// Runs `body`, an upload of at most `bytes` bytes to `channel`, holding a reservation of them; throws 413
    /// `upload_quota_exceeded` without running it when they do not fit.
    func withReservation<T>(of bytes: Int, in channel: ChannelID, _ body: () async throws -> T) async throws -> T {
        guard self.limit > 0 else { return try await body() }
        let charge = Self.charge(bytes)
        try await self.turns.withLock(channel) {
            guard self.fits(charge, in: channel) else { throw ChatHTTPError(.uploadQuotaExceeded) }
            self.reserved.withLock { $0[channel, default: 0] += charge }
        }
        // Released after the object is in place: a check in between counts the upload twice, never not at all.
        defer {
            self.reserved.withLock { reserved in
                let left = (reserved[channel] ?? charge) - charge
                reserved[channel] = left > 0 ? left : nil
            }
        }
        return try await body()
    }

    /// The bytes reserved for `channel` by uploads in flight (tests).
    func reservedBytes(in channel: ChannelID) -> Int { self.reserved.withLock { $0[channel] ?? 0 } }

    private func fits(_ charge: Int, in channel: ChannelID) -> Bool {
        let used = self.objects.usage(of: channel) + self.reserved.withLock { $0[channel] ?? 0 }
        return used + charge <= self.limit
    }
}
