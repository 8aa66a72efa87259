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

    private func acquire(_ channel: ChannelID) async {
        let acquired = self.state.withLock { state in
            if state[channel] == nil {
                state[channel] = Entry()
                return true
            }
            return false
        }
        if acquired { return }
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
