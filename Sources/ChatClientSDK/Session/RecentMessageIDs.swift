/// The ids of the messages a session delivered most recently, for de-duplication: at most ``capacity``, the
/// oldest forgotten first.
///
/// Duplicates come close to the original: a live frame delivered twice; after a reconnect, the history that overlaps
/// what was delivered before the drop (v1 back-filling stops at the first history page that holds a remembered id,
/// and the messages on that page below it are the ones delivered last; a page holds at most 5,000); a replay after
/// an epoch change. So the most recent ids are the ones that matter, and a session that runs for days against a
/// server that keeps every message (upstream keeps them all) does not grow with the whole transcript. Forgetting
/// follows delivery order and never compares ids, so a server whose ids are not time-ordered is de-duplicated just
/// as well.
struct RecentMessageIDs: Sendable {
    /// The default bound: twice the reference server's default cap of messages per channel (5,000), so against it
    /// a session forgets nothing it could be sent again.
    static let defaultCapacity = 10_000

    /// How many ids are remembered at most.
    let capacity: Int
    private var members: Set<MessageID> = []
    /// The remembered ids in the order they were inserted: a ring once full, `next` its oldest slot.
    private var order: [MessageID] = []
    private var next = 0

    /// Remembers `ids`, oldest first (only the last ``capacity`` stay).
    init(_ ids: some Sequence<MessageID> = [], capacity: Int = Self.defaultCapacity) {
        precondition(capacity > 0, "a RecentMessageIDs capacity must be positive")
        self.capacity = capacity
        for id in ids { self.insert(id) }
    }

    /// How many ids are remembered.
    var count: Int { self.members.count }

    /// Whether `id` is remembered.
    func contains(_ id: MessageID) -> Bool { self.members.contains(id) }

    /// Remembers `id`, forgetting the oldest id when full. Returns `false` when it was remembered already (then
    /// nothing changes: a duplicate does not make its id any more recent).
    @discardableResult
    mutating func insert(_ id: MessageID) -> Bool {
        guard self.members.insert(id).inserted else { return false }
        if self.order.count < self.capacity {
            self.order.append(id)
        } else {
            self.members.remove(self.order[self.next])
            self.order[self.next] = id
            self.next = (self.next + 1) % self.capacity
        }
        return true
    }
}
