import ChatProtocol
import Foundation
import Logging

extension ServerState {
    /// Deletes `user`'s account (`DELETE /api/v2/user/me`, PROTOCOL.md §4.1.8), in an order that leaves it no way
    /// back in:
    /// 1. The user is marked deleted (``BlockLists/accountDeleted(_:)``): no match connection of it registers with
    ///    the matcher any more.
    /// 2. Its match connections close with 4500 and its ticket ends; a proposal it was in is voided for the peer
    ///    (``Matchmaker/removeUser(_:)``). A channel the matcher was creating for it is discarded; one it finished
    ///    creating before has its membership stored already, so step 3 finds it.
    /// 3. The user row, every session of it, its block list and its place on other users' lists go in one
    ///    transaction, then its cached sessions: no request of it authenticates any more.
    /// 4. Every channel it was a member of ends as a `leave` does (``endChannel(_:by:)``): the peer gets LEFT, the
    ///    channel's sockets close (v2: 4501), its tokens stop working. The messages and files of those channels are
    ///    unreachable from then on and purged by the retention sweep. A channel that fails to end here (a storage
    ///    error, logged) is ended by the sweep once its tokens expired.
    ///
    /// Returns whether the user row existed.
    @discardableResult
    func deleteAccount(_ user: UserID) async throws -> Bool {
        await self.blockLists.accountDeleted(user)
        await self.matchmaker.removeUser(user)
        let (existed, channels) = try await self.storage.deleteUser(user)
        self.sessions.removeAll(of: user)
        for channel in channels {
            do {
                try await self.endChannel(channel, by: user)
            } catch {
                self.logger.error(
                    "ending a deleted account's channel failed",
                    metadata: ["channel": "\(channel)", "error": "\(error)"]
                )
            }
        }
        self.logger.info("account deleted", metadata: ["user": "\(user)", "channels.ended": "\(channels.count)"])
        return existed
    }
}
