import ChatProtocol
import Foundation
import Prometheus

extension ServerState {
    /// Ends a channel (v1 `DELETE`, v2 `leave` and `next`, RC-CHAT-DELETE-1, RC-CHAT-LEAVE-1): under the channel's
    /// lock broadcasts LEFT (`leaved`), deletes the channel (revoking every token, §3.6) and closes its sockets —
    /// v1 with 1000, v2 with `error CHANNEL_CLOSED` and 4501. Returns `false` when the channel had already ended (then
    /// nothing is broadcast: only one LEFT per channel).
    @discardableResult
    func endChannel(_ channel: ChannelID, by user: UserID) async throws -> Bool {
        try await self.channelLocks.withLock(channel) {
            guard try await self.storage.channelState(channel) == .active else { return false }
            let left = V2.PresenceEvent(kind: .left, userID: user, time: ServerState.nowMilliseconds())
            self.hub.broadcast(.presence(left), to: channel)
            try await self.storage.deleteChannel(channel, now: Date())
            self.hub.closeChannel(channel, v1Code: .normalClosure, v2Error: .channelClosed)
            return true
        }
    }

    /// Ends a channel that every token of has expired and that nobody is connected to (the retention sweep): under
    /// the channel's lock, without a broadcast (there is nobody to tell). Returns whether it ended it.
    func endAbandonedChannel(_ channel: ChannelID) async throws -> Bool {
        try await self.channelLocks.withLock(channel) {
            guard self.hub.onlineUsers(channel).isEmpty,
                try await self.storage.channelState(channel) == .active
            else { return false }
            try await self.storage.deleteChannel(channel, now: Date())
            return true
        }
    }

    /// Stores a message and fans it out under the channel's lock, so every socket sees messages in `seq` order
    /// (RC-CHAT-SEQ-2, RC-CHAT1-ORDER-1). A duplicate `client_msg_id` is returned without a broadcast. `beforeFanOut`
    /// runs after storing and before the broadcast (the v2 sender queues its `ack` there, RC-CHAT-SEND-3), and
    /// `acknowledgedOn` names the socket it answered (see ``ChannelHub/broadcast(_:to:acknowledgedOn:)``).
    /// - Throws: ``AppendMessageError`` and storage errors.
    func storeAndPublish(
        _ message: StoredMessage,
        in channel: ChannelID,
        acknowledgedOn: Int? = nil,
        beforeFanOut: (AppendResult) -> Void = { _ in }
    ) async throws -> AppendResult {
        try await self.channelLocks.withLock(channel) {
            try self.appendAndFanOut(message, in: channel, acknowledgedOn: acknowledgedOn, beforeFanOut: beforeFanOut)
        }
    }

    /// ``storeAndPublish(_:in:acknowledgedOn:beforeFanOut:)`` without waiting, for a message handled on its connection's event
    /// loop: `nil` (nothing stored, `beforeFanOut` not called) when another command holds the channel's lock. The
    /// append is SQLite's synchronous write (WAL, no fsync per commit), so the caller's thread waits only for it.
    /// - Throws: ``AppendMessageError`` and storage errors.
    func storeAndPublishIfUncontended(
        _ message: StoredMessage,
        in channel: ChannelID,
        acknowledgedOn: Int? = nil,
        beforeFanOut: (AppendResult) -> Void = { _ in }
    ) throws -> AppendResult? {
        try self.channelLocks.withLockIfFree(channel) {
            try self.appendAndFanOut(message, in: channel, acknowledgedOn: acknowledgedOn, beforeFanOut: beforeFanOut)
        }
    }

    /// The body of both: append, `beforeFanOut`, broadcast; the caller holds the channel's lock.
    private func appendAndFanOut(
        _ message: StoredMessage,
        in channel: ChannelID,
        acknowledgedOn: Int?,
        beforeFanOut: (AppendResult) -> Void
    ) throws -> AppendResult {
        let result = try self.storage.appendMessage(
            message,
            channel: channel,
            cap: self.configuration.limits.maxMessagesPerChannel
        )
        beforeFanOut(result)
        if case .stored(let stored) = result {
            self.metrics.messagesStored.increment()
            self.hub.broadcast(.message(stored), to: channel, acknowledgedOn: acknowledgedOn)
        }
        return result
    }

    /// Broadcasts WAITING (the user is the only one online) or JOINED, counted in users (D14, RC-CHAT-HELLO-2).
    func broadcastArrival(of user: UserID, in channel: ChannelID) {
        let online = self.hub.onlineUsers(channel)
        let event = V2.PresenceEvent(
            kind: online.count <= 1 ? .waiting : .joined,
            userID: user,
            time: ServerState.nowMilliseconds()
        )
        self.hub.broadcast(.presence(event), to: channel)
    }

    /// Broadcasts OFFLINE for a user whose last socket ended.
    func broadcastDeparture(of user: UserID, in channel: ChannelID) {
        let event = V2.PresenceEvent(kind: .offline, userID: user, time: ServerState.nowMilliseconds())
        self.hub.broadcast(.presence(event), to: channel)
    }
}
