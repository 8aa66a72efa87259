import ChatProtocol
import Foundation
import Logging
import Prometheus

extension ServerState {
    /// Deletes `user`'s account (`DELETE /api/v2/user/me`, PROTOCOL.md §4.1.8), in an order that leaves it no way
    /// back in and, when a step fails, a session to try again with. Deletions of one user run one at a time
    /// (``BlockLists/deletingAccount(_:_:)``, under the user's block-list lock); a second one after the first finds
    /// nothing left to do.
    /// 1. The user is marked deleted: no match connection of it registers with the matcher any more.
    /// 2. Its match connections close with 4500 and its ticket ends; a proposal it was in is voided for the peer
    ///    (``Matchmaker/removeUser(_:)``). A channel the matcher was still creating for it is discarded; one it had
    ///    created is stored with its members, so step 3 finds it.
    /// 3. Every channel it is a member of ends as a `leave` ends it (``endChannel(_:by:)``): the peer gets LEFT, the
    ///    channel's sockets close (v2: 4501), its tokens stop working.
    /// 4. The user row, every session of it, its block list and its place on other users' lists go in one
    ///    transaction, then its cached sessions: no request of it authenticates any more.
    ///
    /// Until step 4 committed, its session still works: when a step throws, the mark of step 1 is taken back and the
    /// error goes to the client (500), which may try again. What was done stays done: the match connections closed,
    /// the channels already ended.
    func deleteAccount(_ user: UserID) async throws {
        var ended = 0
        var deleted = false
        do {
            try await self.blockLists.deletingAccount(user) {
                await self.matchmaker.removeUser(user)
                for channel in try await self.storage.channels(of: user) {
                    try await self.endChannel(channel, by: user)
                    ended += 1
                }
                deleted = try await self.storage.deleteUser(user)
            }
        } catch {
            self.logger.error("deleting an account failed", metadata: ["chat.user.id": "\(user)", "error": "\(error)"])
            throw error
        }
        self.sessions.removeAll(of: user)
        // A second DELETE of the same user (a double tap), or a session whose user is gone, finds nothing left.
        guard deleted else { return }
        self.metrics.accountsDeleted.increment()
        self.logger.info("account deleted", metadata: ["chat.user.id": "\(user)", "chat.channels.ended": "\(ended)"])
    }
}
