import ChatProtocol

extension ChatClient {
    // MARK: Block lists

    /// Blocks a user: the server's matcher never pairs you with them again, whoever enqueues first, on v1 and v2
    /// (PROTOCOL.md §4.1.7). Blocking someone already blocked changes nothing.
    ///
    /// A block does not end a chat you are in: call ``ChatSession/leave()`` or ``next(after:)`` for that. It takes
    /// effect for pairings made after it returns.
    /// - Parameter user: The user to block, usually ``ChatMatch/peerID`` of a match.
    /// - Throws: `ChatError` with:
    ///   - `ChatError.Code.invalidParameter` for your own id;
    ///   - `ChatError.Code.userNotFound` for an unknown user (or when your own account is gone);
    ///   - `ChatError.Code.blockLimitReached` when your list is full (the server's limit, 1,000 users on the
    ///     reference server): unblock someone first;
    ///   - `ChatError.Code.notFound` when the server has no block lists (a v1-only server);
    ///   - `ChatError.Code.rateLimited` with `ChatError/retryAfter` when blocking and unblocking faster than the
    ///     server allows (the reference server: 5 per second after a burst of 50); nothing changed;
    ///   - `ChatError.Code.unauthorized` when signed out, or `ChatError.Code.cancelled`.
    public func block(_ user: UserID) async throws {
        try await mappingErrors("blocking a user") {
            try self.checkUsable()
            _ = try await self.blockListRequest("PUT", user)
        }
    }

    /// Removes a user from your block list, so that the matcher may pair you again. Unblocking someone who is not
    /// blocked changes nothing.
    /// - Parameter user: The user to unblock.
    /// - Throws: `ChatError` with `ChatError.Code.notFound` when the server has no block lists,
    ///   `ChatError.Code.rateLimited` (with `ChatError/retryAfter`) as for ``block(_:)``,
    ///   `ChatError.Code.unauthorized` when signed out, `ChatError.Code.userNotFound` when your own account is
    ///   gone, or `ChatError.Code.cancelled`.
    public func unblock(_ user: UserID) async throws {
        try await mappingErrors("unblocking a user") {
            try self.checkUsable()
            _ = try await self.blockListRequest("DELETE", user)
        }
    }

    /// The users you blocked, the earliest blocked first.
    /// - Returns: Their ids.
    /// - Throws: `ChatError` with `ChatError.Code.notFound` when the server has no block lists,
    ///   `ChatError.Code.unauthorized` when signed out, `ChatError.Code.userNotFound` when your own account is
    ///   gone, or `ChatError.Code.cancelled`.
    public func blockedUsers() async throws -> [UserID] {
        try await mappingErrors("reading the block list") {
            try self.checkUsable()
            let response = try await self.blockListRequest("GET", nil)
            return try V1.UserIDList(jsonBytes: response.body).userIDs
        }
    }

    /// A request to `/api/v2/user/blocks[/{uid}]`; a server without them answers 404 (``sendToRouteOfOurs(_:_:missing:)``).
    private func blockListRequest(_ method: String, _ user: UserID?) async throws -> HTTPResponseSpec {
        let path = "/api/v2/user/blocks" + (user.map { "/\($0.description)" } ?? "")
        return try await self.sendToRouteOfOurs(method, path, missing: "the server has no block lists")
    }
}
