import ChatProtocol
import Logging

extension ChatClient {
    // MARK: Account deletion

    /// Deletes the signed-in account on the server, then signs out and empties the session store.
    ///
    /// The server deletes the user, every session of it (on every device) and its block list, and ends every chat
    /// it is in: the peer sees you leave (``ChatEvent/left(_:)``), your open sessions end with
    /// `ChatError.Code.channelClosed`, and the chats' messages and files can no longer be read (PROTOCOL.md §4.1.8).
    /// A match waiting for a peer ends with `ChatError.Code.unauthorized`. The deletion cannot be undone: signing in
    /// with the same OAuth account afterwards creates a new user.
    ///
    /// With a ``Configuration/store``, every saved match and transcript is removed from it as well; a store error
    /// is logged and does not fail the call (the account is already gone).
    ///
    /// App stores require apps that create accounts to offer this; ask the user to confirm first.
    /// - Throws: `ChatError` with:
    ///   - `ChatError.Code.unauthorized` when signed out, or the session expired (sign in again, then delete);
    ///   - `ChatError.Code.notFound` when the server cannot delete accounts (a v1-only server);
    ///   - `ChatError.Code.cancelled` when the task is cancelled, or the server's error. Nothing changed locally
    ///     then.
    public func deleteAccount() async throws {
        try await mappingErrors("deleting the account") {
            try self.checkUsable()
            let path = "/api/v2/user/me"
            let response = try await self.send("DELETE", path, auth: .cookie, checked: false)
            if response.status == 404 {
                throw ChatError(code: .notFound, message: "the server cannot delete accounts (DELETE \(path): 404)")
            }
            try Self.check(response)
            self.logout()
            guard let store = self.configuration.store else { return }
            do {
                for match in try await store.matches() { try await store.removeChannel(match.channelID) }
            } catch {
                self.configuration.logger.warning(
                    "emptying the session store after deleting the account failed",
                    metadata: ["error": "\(error)"]
                )
            }
        }
    }
}
