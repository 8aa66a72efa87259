import ChatProtocol

/// Fan-out of chat events to the websockets attached to a channel.
///
/// ``ChannelHub`` is the in-memory implementation for one process; a multi-instance deployment (a later issue)
/// implements the same calls over a broker. Every broadcast reaches every socket of the channel, the sender's
/// included, in the order the calls were made.
protocol ChannelFanOut: Sendable {
    /// Attaches a socket; returns its id, or `nil` when the server is shutting down.
    func join(_ channel: ChannelID, user: UserID, outbox: Outbox) -> Int?
    /// Detaches a socket; returns whether the user still has another socket in the channel.
    func leave(_ channel: ChannelID, connection: Int) -> Bool
    /// The distinct users with at least one socket in the channel.
    func onlineUsers(_ channel: ChannelID) -> [UserID]
    /// Queues a frame on every socket of the channel.
    func broadcast(_ frame: [UInt8], to channel: ChannelID)
    /// Closes every socket of a channel with `code`.
    func closeChannel(_ channel: ChannelID, code: WebSocketCloseCode, reason: String)
    /// Refuses new sockets and closes the attached ones with 1001.
    func shutDown()
    /// The number of attached sockets.
    var connectionCount: Int { get }
}

/// The FIFO wait list of the match websocket (see ``Matchmaker`` for the semantics).
protocol WaitList: Sendable {
    /// Registers a match socket and runs the matching step.
    func connect(_ user: UserID, outbox: Outbox) async -> (connection: Int, arrival: Matchmaker.Arrival)
    /// Removes a match socket; the user leaves the list when it was their last one.
    func disconnect(_ user: UserID, connection: Int) async
    /// Whether the user still has a match socket.
    func isConnected(_ user: UserID) async -> Bool
    /// The number of match sockets the user has open.
    func connectionCount(_ user: UserID) async -> Int
    /// Delivers a match result to every socket of the users, which then close normally.
    func deliver(_ frame: [UInt8], to users: [UserID]) async
    /// Puts a still-connected user back at the head of the list.
    func requeueFirst(_ user: UserID) async
    /// Refuses new sockets and closes the waiting ones with 1001.
    func shutDown() async
    /// The users waiting, oldest first.
    var waitingUsers: [UserID] { get async }
}

extension ChannelHub: ChannelFanOut {}
extension Matchmaker: WaitList {}
