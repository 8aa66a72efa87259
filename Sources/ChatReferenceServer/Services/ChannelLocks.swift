import ChatProtocol
import Synchronization

/// A per-channel asynchronous mutex that serialises a channel's commands: storing a message and fanning it out,
/// a resume's replay, and the end of the channel (§5.5 RC-MATCH-RACE-5, §6.9 RC-CHAT-SEQ-2).
///
/// Holding it across the storage call is what makes fan-out follow `seq` order: a message is broadcast before the
/// next one is even stored. Waiters are served first come, first served; waiting is not cancellable, because every
/// critical section is short and bounded (one storage call and non-blocking queueing).
final class ChannelLocks: Sendable {
    private struct Entry {
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex<[ChannelID: Entry]>([:])

    /// Runs `body` while holding the lock of `channel`.
    func withLock<T>(_ channel: ChannelID, _ body: () async throws -> T) async rethrows -> T {
        await self.acquire(channel)
        defer { self.release(channel) }
        return try await body()
    }

    /// Runs `body` while holding the lock of `channel` if nobody holds it; returns `nil` without running `body`
    /// otherwise. For callers that must not wait: a message handled on its connection's event loop.
    func withLockIfFree<T>(_ channel: ChannelID, _ body: () throws -> T) rethrows -> T? {
        guard self.tryAcquire(channel) else { return nil }
        defer { self.release(channel) }
        return try body()
    }

    private func tryAcquire(_ channel: ChannelID) -> Bool {
        self.state.withLock { state in
            guard state[channel] == nil else { return false }
            state[channel] = Entry()
            return true
        }
    }

    private func acquire(_ channel: ChannelID) async {
        if self.tryAcquire(channel) { return }
        await withCheckedContinuation { continuation in
            let handedOver = self.state.withLock { state -> Bool in
                guard state[channel] != nil else {
                    state[channel] = Entry()  // released meanwhile: take it now
                    return true
                }
                state[channel]?.waiters.append(continuation)
                return false
            }
            if handedOver { continuation.resume() }
        }
    }

    private func release(_ channel: ChannelID) {
        let next = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var entry = state[channel] else { return nil }
            if entry.waiters.isEmpty {
                state[channel] = nil
                return nil
            }
            let next = entry.waiters.removeFirst()
            state[channel] = entry
            return next
        }
        next?.resume()  // ownership passes to the next waiter
    }
}
