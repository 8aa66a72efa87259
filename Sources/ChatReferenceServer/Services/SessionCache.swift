import ChatProtocol
import Synchronization

/// Sessions verified recently, so that an authenticated request (a match socket above all) does not read the
/// sessions table every time.
///
/// An entry is served for `window` after the session was created or looked up in storage, never longer. The
/// window is the storage's own refresh granularity (`min(60 s, idle timeout / 10)`): storage only proves that
/// `last_used_at` is at most one window old, so a session seen within the window cannot have passed its idle timeout
/// (ten windows); after the window the next request goes to storage again, which refreshes `last_used_at`, so a
/// session in use still never expires. Logout removes the entry, an account deletion every entry of the user
/// (``removeAll(of:)``, after the storage dropped the sessions); a lookup that raced with either cannot put one back
/// (the generation check of ``store(_:user:userExists:generation:now:)``).
final class SessionCache: Sendable {
    /// A cached session.
    struct Entry: Hashable, Sendable {
        var user: UserID
        /// Whether the user row is known to exist. The retention sweep deletes only guests without a session, and an
        /// account deletion drops the user's entries, so a user whose session is cached stays.
        var userExists: Bool
        var validUntil: ContinuousClock.Instant
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every removal; a store that began before it is dropped.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    /// How long an entry is served.
    let window: Duration
    /// At most this many entries; a full cache drops its expired entries, and everything if none expired.
    let maxEntries: Int

    init(window: Duration, maxEntries: Int = 100_000) {
        self.window = window
        self.maxEntries = maxEntries
    }

    /// The window for a session idle timeout: the storage's refresh granularity, `min(60 s, timeout / 10)`.
    static func window(idleTimeout: Duration) -> Duration {
        min(.seconds(60), idleTimeout / 10)
    }

    /// The generation to pass to ``store(_:user:userExists:generation:now:)`` for a lookup starting now.
    var generation: UInt64 { self.state.withLock { $0.generation } }

    /// The cached session, if it is still within its window.
    func entry(_ sid: String, now: ContinuousClock.Instant = .now) -> Entry? {
        self.state.withLock { state in
            guard let entry = state.entries[sid] else { return nil }
            guard now < entry.validUntil else {
                state.entries[sid] = nil
                return nil
            }
            return entry
        }
    }

    /// Caches a session verified at `now`, unless a removal happened since `generation` was read.
    func store(
        _ sid: String,
        user: UserID,
        userExists: Bool,
        generation: UInt64,
        now: ContinuousClock.Instant = .now
    ) {
        guard self.window > .zero else { return }
        self.state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries[sid] == nil, state.entries.count >= self.maxEntries {
                state.entries = state.entries.filter { now < $0.value.validUntil }
                if state.entries.count >= self.maxEntries { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[sid] = Entry(user: user, userExists: userExists, validUntil: now + self.window)
        }
    }

    /// Records that the user of a cached session exists (checked in storage by the caller).
    func markUserExists(_ sid: String, user: UserID) {
        self.state.withLock { state in
            guard state.entries[sid]?.user == user else { return }
            state.entries[sid]?.userExists = true
        }
    }

    /// Forgets a session (logout).
    func remove(_ sid: String) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries[sid] = nil
        }
    }

    /// Forgets every session of `user` (its account was deleted). A scan of the cache: deletions are rare.
    func removeAll(of user: UserID) {
        self.state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.user != user }
        }
    }
}
