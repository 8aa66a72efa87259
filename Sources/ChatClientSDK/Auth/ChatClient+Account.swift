import ChatProtocol
import Logging

extension ChatClient {
    // MARK: Signing out

    /// Signs out: forgets the session cookie and the current user on this device, then ends the session on the
    /// server (`POST /api/user/logout`), so that the cookie no longer signs anyone in, wherever it was kept. Delete
    /// any copy of ``sessionCookie`` the app saved.
    ///
    /// A guest account (``signUp(name:)``) has no credential but its session: once it is signed out, nobody can sign
    /// in to it again, and the reference server's sweep deletes it when it is in no active chat and over a day old
    /// (unless the server keeps ended chats forever).
    /// To switch between accounts and come back, keep each one's cookie and call ``forgetSession()`` instead.
    ///
    /// The client forgets the session first, whatever happens next: a call made meanwhile already runs signed out,
    /// and the answer to a request sent before cannot sign the client back in. Signed out already, the call does
    /// nothing. The user's other sessions (other devices) stay signed in. Open chat sessions go on, as a match's
    /// token, not the cookie, authorises them. A ``match()`` that is waiting goes on while its socket stays open (the
    /// server keeps it); a socket it opens again uses the session the wait began with, so it fails with
    /// `ChatError.Code.unauthorized` once the server ended that session. Leave or cancel them first if the user
    /// should stop chatting.
    ///
    /// A server without the route (upstream's answers 404 or 405) has nothing to end: the call succeeds, and the
    /// session expires there by itself.
    /// - Throws: `ChatError` when the server may not have ended the session, which may then stay valid there until
    ///   it expires; this device is signed out all the same. To try again, read ``sessionCookie`` before the call and
    ///   call this on a new client configured with it (``Configuration/sessionCookie``).
    ///   - `ChatError.Code.invalidState` when the client was shut down (and had a session, which is forgotten all the
    ///     same);
    ///   - `ChatError.Code.cancelled` when the task is cancelled, `ChatError.Code.timeout` or
    ///     `ChatError.Code.connectionClosed` (the server may have ended the session before the answer was lost), or
    ///     the server's error.
    public func signOut() async throws {
        guard let cookie = self.takeSession() else { return }
        try await mappingErrors("signing out") {
            try self.checkUsable()
            let response = try await self.send(
                "POST",
                "/api/user/logout",
                auth: .session(cookie),
                checked: false
            )
            // Upstream's router answers a route it lacks with 404 (and a method it lacks with 405).
            if response.status == 404 || response.status == 405 { return }
            try Self.check(response)
        }
    }

    // MARK: Account deletion

    /// Deletes the signed-in account on the server, then forgets its session and removes its matches from the session
    /// store.
    ///
    /// The server ends every chat the account is in, then deletes the user with every session of it (on every
    /// device) and its block list: the peer sees you leave (``ChatEvent/left(_:)``), your open sessions end with
    /// `ChatError.Code.channelClosed`, and the chats' messages and files can no longer be read (the reference server
    /// purges them after its retention window, PROTOCOL.md §4.1.8). A match waiting for a peer ends with
    /// `ChatError.Code.unauthorized`. The deletion cannot be undone: signing in with the same OAuth account afterwards
    /// creates a new user.
    ///
    /// With a ``Configuration/store``, every saved match of the account and its transcript are removed from it as well;
    /// a store error is logged and does not fail the call (the account is already gone). The matches are told by the
    /// account's id, which the client first asks the server for when it does not know it yet. Should the app sign in
    /// as someone else while the call runs, that session stays, and so do its matches. When the id cannot be learnt,
    /// every saved match is removed, unless someone else signed in meanwhile: then none is, and a warning is logged.
    ///
    /// App stores require apps that create accounts to offer this; ask the user to confirm first.
    ///
    /// When the call fails with `ChatError.Code.timeout` or `ChatError.Code.connectionClosed`, the server may have
    /// deleted the account before the answer was lost: call it again. A `ChatError.Code.unauthorized` then means
    /// the session is gone, so the account is too (a deletion that fails on the server keeps the session); call
    /// ``forgetSession()`` and empty your store yourself. Do not sign in again to retry: a guest sign-up makes a new account.
    /// - Throws: `ChatError` with:
    ///   - `ChatError.Code.unauthorized` when signed out, the session expired, or the account is already deleted;
    ///   - `ChatError.Code.notFound` when the server cannot delete accounts (a v1-only server);
    ///   - `ChatError.Code.invalidState` when the client was shut down;
    ///   - `ChatError.Code.cancelled` when the task is cancelled, `ChatError.Code.timeout`,
    ///     `ChatError.Code.connectionClosed`, or the server's error (after a 500 the account and its session are
    ///     still there, though chats the server had already ended stay ended and a waiting match was closed: call
    ///     this again). Nothing changed locally then.
    public func deleteAccount() async throws {
        try await mappingErrors("deleting the account") {
            try self.checkUsable()
            let (cookie, known) = try self.sessionSnapshot()
            // The account's id tells its matches in the store. Not learnt (a server without the route answers 404
            // to everything), the DELETE below gives the error that counts.
            var me = known
            if me == nil, self.configuration.store != nil {
                me = try? await self.userID(of: cookie, known: nil)
                try Task.checkCancellation()
            }
            _ = try await self.sendToRouteOfOurs(
                "DELETE",
                "/api/v2/user/me",
                auth: .session(cookie),
                missing: "the server cannot delete accounts"
            )
            // The answer cleared the cookie; a server whose answer does not is forgotten here.
            self.forgetSession(ifStill: cookie)
            guard let store = self.configuration.store else { return }
            // Without the id every match goes, unless someone signed in meanwhile: theirs cannot be told apart.
            if me == nil, self.sessionCookie != nil {
                return self.configuration.logger.warning(
                    "the account was deleted while another one signed in; the session store was not emptied"
                )
            }
            await Self.empty(store, of: me, logger: self.configuration.logger)
        }
    }

    /// Removes every match of `user` (every match when `nil`) saved in `store`, and its transcript; an error is logged
    /// and the next one is tried.
    private static func empty(_ store: any ChatSessionStore, of user: UserID?, logger: Logger) async {
        let matches: [ChatMatch]
        do {
            matches = try await store.matches()
        } catch {
            return logger.warning("reading the session store to empty it failed", metadata: ["error": "\(error)"])
        }
        for match in matches where user == nil || match.userID == user {
            do {
                try await store.removeChannel(match.channelID)
            } catch {
                logger.warning(
                    "removing a channel from the session store failed",
                    metadata: ["chat.channel.id": "\(match.channelID)", "error": "\(error)"]
                )
            }
        }
    }
}
