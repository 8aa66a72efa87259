import ChatProtocol
import Synchronization

/// A per-channel asynchronous mutex that serialises a channel's commands: storing a message and fanning it out,
/// a resume's replay, and the end of the channel (§5.5 RC-MATCH-RACE-5, §6.9 RC-CHAT-SEQ-2).
///
/// Holding it across the storage call is what makes fan-out follow `seq` order: a message is broadcast before the
/// next one is even stored.
typealias ChannelLocks = KeyedLocks<ChannelID>

/// An asynchronous mutex per key (a channel, a user), held only while in use: a key nobody holds or waits for costs
/// nothing. Waiters are served first come, first served; waiting is not cancellable, because every critical section
/// is short and bounded (one storage call and non-blocking queueing).
final class KeyedLocks<Key: Hashable & Sendable>: Sendable {
    private struct Entry {
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex<[Key: Entry]>([:])

    /// Runs `body` while holding the lock of `key`.
    func withLock<T>(_ key: Key, _ body: () async throws -> T) async rethrows -> T {
        await self.acquire(key)
        defer { self.release(key) }
        return try await body()
    }

    /// Runs `body` while holding the lock of `key` if nobody holds it; returns `nil` without running `body`
    /// otherwise. For callers that must not wait: a message handled on its connection's event loop.
    func withLockIfFree<T>(_ key: Key, _ body: () throws -> T) rethrows -> T? {
        guard self.tryAcquire(key) else { return nil }
        defer { self.release(key) }
        return try body()
    }

    private func tryAcquire(_ key: Key) -> Bool {
        self.state.withLock { state in
            guard state[key] == nil else { return false }
            state[key] = Entry()
            return true
        }
    }

    private func acquire(_ key: Key) async {
        if self.tryAcquire(key) { return }
        await withCheckedContinuation { continuation in
            let handedOver = self.state.withLock { state -> Bool in
                guard state[key] != nil else {
                    state[key] = Entry()  // released meanwhile: take it now
                    return true
                }
                state[key]?.waiters.append(continuation)
                return false
            }
            if handedOver { continuation.resume() }
        }
    }

    private func release(_ key: Key) {
        let next = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var entry = state[key] else { return nil }
            if entry.waiters.isEmpty {
                state[key] = nil
                return nil
            }
            let next = entry.waiters.removeFirst()
            state[key] = entry
            return next
        }
        next?.resume()  // ownership passes to the next waiter
    }
}
