import ChatProtocol
import Foundation
import Synchronization

/// Users' block lists (PROTOCOL.md §4.1.7): stored in ``ChatStorage``, and held in memory for the users with an open
/// match connection, so that the matcher checks a pair without a database read (RC-MATCH-BLOCK-1).
///
/// A match connection ``retain(_:)``s its user's list before it joins the matcher and ``release(_:)``s it after it
/// left; a list is read once however many connections its user has, and not at all for a user who never blocked
/// anyone (``loadBlockers()``), which is almost everyone: opening a match connection then costs no database read.
/// Changes and loads of one user's list take the user's lock, so a change made while the list loads is never lost:
/// the change waits for the load, then updates the list in memory as well as in storage.
final class BlockLists: Sendable {
    private struct Held {
        var blocked: Set<UserID>
        /// Open match connections of the user.
        var holders: Int
    }

    private struct Known {
        /// Every user with a non-empty list (and maybe some whose list emptied), once ``loadBlockers()`` ran; `nil`
        /// before, when every list is read.
        var blockers: Set<UserID>?
        /// Users deleted lately, by the retention sweep or with their account (``markDeleted(_:now:)``), for
        /// ``retain(_:)`` to refuse.
        var forgotten: [UserID: ContinuousClock.Instant] = [:]
        /// When ``forgotten`` last dropped its old entries.
        var pruned = ContinuousClock.now
    }

    /// How long ``retain(_:)`` remembers a deleted user. A match connection opens within seconds of its session
    /// check, and the user's sessions were gone before or with the user (a guest the sweep deletes has none; an account
    /// deletion drops them, cached ones included), so a connection opening later than this never names a deleted
    /// user.
    static let forgottenMemory: Duration = .seconds(600)

    private let storage: any ChatStorage
    /// The most users one list may hold.
    let limit: Int
    private let locks = KeyedLocks<UserID>()
    private let held = Mutex<[UserID: Held]>([:])
    private let known = Mutex(Known())

    init(storage: any ChatStorage, limit: Int) {
        self.storage = storage
        self.limit = limit
    }

    /// Holds `user`'s list in memory until the matching ``release(_:)``, reading it from storage if nobody holds it.
    /// A held user is in use: the retention sweep does not forget it (``unlessHeld(_:_:)``).
    /// - Throws: 401 `unauthorized` when the user no longer exists (the sweep forgot it after the connection's
    ///   session was checked); storage errors. Then nothing is held.
    func retain(_ user: UserID) async throws {
        try await self.locks.withLock(user) {
            let isHeld = self.held.withLock { held -> Bool in
                guard held[user] != nil else { return false }
                held[user]?.holders += 1
                return true
            }
            if isHeld { return }
            let (isForgotten, mayBlock) = self.known.withLock { known in
                (known.forgotten[user] != nil, known.blockers?.contains(user) ?? true)
            }
            guard !isForgotten else { throw ChatHTTPError(.unauthorized) }
            var blocked: [UserID] = []
            if mayBlock {
                guard let stored = try await self.storage.blockedUsersIfUserExists(of: user) else {
                    throw ChatHTTPError(.unauthorized)
                }
                blocked = stored
            }
            self.held.withLock { $0[user] = Held(blocked: Set(blocked), holders: 1) }
        }
    }

    /// Reads which users have blocked anyone, so that ``retain(_:)`` reads only their lists. The server runs it once,
    /// before it serves; until then every list is read.
    func loadBlockers() async throws {
        let blockers = Set(try await self.storage.usersWithBlocks())
        self.known.withLock { $0.blockers = blockers }
    }

    /// Records that the retention sweep deleted `user` (called under the user's lock, in ``unlessHeld(_:_:)``'s body),
    /// so that a match connection of it that opens now is refused.
    func forgotten(_ user: UserID, now: ContinuousClock.Instant = .now) {
        self.markDeleted(user, now: now)
        self.known.withLock { _ = $0.blockers?.remove(user) }
    }

    /// Enters `user` in ``Known/forgotten``, for ``retain(_:)`` to refuse. Entries older than ``forgottenMemory`` are
    /// dropped, at most once a minute (a sweep forgets up to a thousand guests, one call each).
    private func markDeleted(_ user: UserID, now: ContinuousClock.Instant) {
        self.known.withLock { known in
            if now - known.pruned >= .seconds(60) {
                known.forgotten = known.forgotten.filter { now - $0.value < Self.forgottenMemory }
                known.pruned = now
            }
            known.forgotten[user] = now
        }
    }

    /// Runs an account deletion (``ServerState/deleteAccount(_:)``) under `user`'s lock: one at a time per user, and
    /// a ``retain(_:)`` already reading the list finishes first. Marks the user deleted before `body`, so that every
    /// later ``retain(_:)`` is refused, and forgets that it has a list once `body` returned. When `body` throws, takes
    /// the mark back if the user still exists (it keeps its account, its list and may match again), and rethrows.
    func deletingAccount(_ user: UserID, _ body: () async throws -> Void) async throws {
        try await self.locks.withLock(user) {
            self.markDeleted(user, now: .now)
            do {
                try await body()
            } catch {
                if (try? await self.storage.user(user)) != nil {
                    self.known.withLock { _ = $0.forgotten.removeValue(forKey: user) }
                }
                throw error
            }
            self.known.withLock { _ = $0.blockers?.remove(user) }
        }
    }

    /// Whether `user` was deleted within ``forgottenMemory`` (by the sweep or with its account).
    func isForgotten(_ user: UserID) -> Bool { self.known.withLock { $0.forgotten[user] != nil } }

    /// Runs `body` under `user`'s lock unless `user`'s list is held (the user has an open match connection); returns
    /// what it returned, or `nil` without running it. A ``retain(_:)`` waits for it, and reads storage after it.
    func unlessHeld<T>(_ user: UserID, _ body: () async throws -> T) async rethrows -> T? {
        try await self.locks.withLock(user) {
            guard !self.isHeld(user) else { return nil }
            return try await body()
        }
    }

    /// Balances one ``retain(_:)``: the last release drops the list from memory.
    func release(_ user: UserID) {
        self.held.withLock { held in
            guard let holders = held[user]?.holders else { return }
            if holders <= 1 {
                held[user] = nil
            } else {
                held[user]?.holders = holders - 1
            }
        }
    }

    /// Whether either user blocked the other. Only the lists held in memory count: the matcher pairs only users
    /// whose match connections hold theirs.
    func eitherBlocks(_ first: UserID, _ second: UserID) -> Bool {
        self.held.withLock { held in
            held[first]?.blocked.contains(second) == true || held[second]?.blocked.contains(first) == true
        }
    }

    /// Whether `user`'s list is held in memory.
    func isHeld(_ user: UserID) -> Bool { self.held.withLock { $0[user] != nil } }

    /// The users `user` blocked, the earliest first.
    func blocked(by user: UserID) async throws -> [UserID] {
        try await self.storage.blockedUsers(of: user)
    }

    /// Adds `blocked` to `user`'s list (PUT).
    /// - Throws: 400 `invalid_parameter` for oneself, 404 `user_not_found` for an unknown user, 409
    ///   `block_limit_reached` when the list is full; storage errors.
    func block(_ blocked: UserID, by user: UserID) async throws {
        guard blocked != user else { throw ChatHTTPError(.invalidParameter) }
        try await self.locks.withLock(user) {
            switch try await self.storage.block(blocked, by: user, limit: self.limit, now: Date()) {
            case .added:
                self.held.withLock { _ = $0[user]?.blocked.insert(blocked) }
                self.known.withLock { _ = $0.blockers?.insert(user) }
            case .alreadyBlocked:
                break
            case .unknownUser:
                throw ChatHTTPError(.userNotFound)
            case .full:
                throw ChatHTTPError(.blockLimitReached)
            }
        }
    }

    /// Removes `blocked` from `user`'s list (DELETE); returns whether it was there.
    @discardableResult
    func unblock(_ blocked: UserID, by user: UserID) async throws -> Bool {
        try await self.locks.withLock(user) {
            let removed = try await self.storage.unblock(blocked, by: user)
            self.held.withLock { _ = $0[user]?.blocked.remove(blocked) }
            return removed
        }
    }
}
