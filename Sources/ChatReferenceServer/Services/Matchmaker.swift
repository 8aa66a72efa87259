import ChatProtocol

/// The FIFO wait list of the match websocket, with upstream's semantics and without its ghosts (D4, D17, D46).
///
/// - A user joins the list when their first match socket connects and nobody is waiting; a second socket of a
///   waiting user changes nothing (idempotent re-enqueue).
/// - A user who arrives while someone else waits is paired with the oldest waiter; the server creates the channel
///   and every match socket of both users receives the same token.
/// - A user leaves the list as soon as their last match socket is gone, whatever ended it.
actor Matchmaker {
    /// The outcome of a connect.
    enum Arrival: Sendable {
        case waiting
        case matched(peer: UserID)
        case refused
    }

    private var queue: [UserID] = []
    private var sockets: [UserID: [Int: Outbox]] = [:]
    private var nextID = 0
    private var isShuttingDown = false

    /// The users waiting, oldest first.
    var waitingUsers: [UserID] { self.queue }

    /// Registers a match socket and runs the matching step.
    func connect(_ user: UserID, outbox: Outbox) -> (connection: Int, arrival: Arrival) {
        self.nextID += 1
        guard !self.isShuttingDown else { return (self.nextID, .refused) }
        self.sockets[user, default: [:]][self.nextID] = outbox
        if self.queue.contains(user) { return (self.nextID, .waiting) }
        if !self.queue.isEmpty {
            return (self.nextID, .matched(peer: self.queue.removeFirst()))
        }
        self.queue.append(user)
        return (self.nextID, .waiting)
    }

    /// Removes a match socket; the user leaves the wait list when it was their last one.
    func disconnect(_ user: UserID, connection: Int) {
        self.sockets[user]?[connection] = nil
        if self.sockets[user]?.isEmpty == true {
            self.sockets[user] = nil
            self.queue.removeAll { $0 == user }
        }
    }

    /// The number of match sockets the user has open.
    func connectionCount(_ user: UserID) -> Int { self.sockets[user]?.count ?? 0 }

    /// Whether the user still has a match socket.
    func isConnected(_ user: UserID) -> Bool { self.sockets[user] != nil }

    /// Delivers the match result to every socket of both users, which then close normally (fixes D18).
    func deliver(_ frame: [UInt8], to users: [UserID]) {
        for user in users {
            for outbox in self.sockets[user, default: [:]].values {
                outbox.send(frame)
                outbox.close(.normalClosure, reason: "matched")
            }
        }
    }

    /// Puts a user back at the head of the list after a failed match, if they are still connected (fixes D17).
    func requeueFirst(_ user: UserID) {
        guard self.sockets[user] != nil, !self.queue.contains(user) else { return }
        self.queue.insert(user, at: 0)
    }

    /// Refuses new sockets and closes the waiting ones with 1001.
    func shutDown() {
        self.isShuttingDown = true
        for outbox in self.sockets.values.flatMap(\.values) {
            outbox.close(.goingAway, reason: "server shutting down")
        }
    }
}
