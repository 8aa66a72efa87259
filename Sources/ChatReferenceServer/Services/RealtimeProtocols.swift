import ChatProtocol

/// Fan-out of chat events to the websockets attached to a channel.
///
/// ``ChannelHub`` is the in-memory implementation for one process; a multi-instance deployment (a later issue)
/// implements the same calls over a broker. Every broadcast reaches every socket of the channel, the sender's
/// included, in the order the calls were made.
protocol ChannelFanOut: Sendable {
    /// Attaches a socket; returns its id, or `nil` when the server is shutting down.
    func join(_ channel: ChannelID, user: UserID, kind: ConnectionKind, outbox: Outbox) -> Int?
    /// Detaches a socket; returns whether the user still has another socket in the channel.
    func leave(_ channel: ChannelID, connection: Int) -> Bool
    /// The distinct users with at least one socket in the channel.
    func onlineUsers(_ channel: ChannelID) -> [UserID]
    /// Queues the rendering of an event on every socket of the channel, in one global order; for a v2 message,
    /// `acknowledgedOn` is the socket whose send was just answered with an `ack` (its copy leaves out the
    /// `client_msg_id`, RC-CHAT-SEND-3).
    func broadcast(_ event: ChannelEvent, to channel: ChannelID, acknowledgedOn: Int?)
    /// Closes every socket of a channel: v1 with `v1Code`, v2 with an `error` push and the code's close code.
    func closeChannel(_ channel: ChannelID, v1Code: WebSocketCloseCode, v2Error: ChatError.Code)
    /// Refuses new sockets and closes the attached ones with 1001.
    func shutDown()
    /// The number of attached sockets.
    var connectionCount: Int { get }
}

extension ChannelFanOut {
    /// Queues the rendering of an event on every socket of the channel, in one global order.
    func broadcast(_ event: ChannelEvent, to channel: ChannelID) {
        self.broadcast(event, to: channel, acknowledgedOn: nil)
    }
}

extension ChannelHub: ChannelFanOut {}
