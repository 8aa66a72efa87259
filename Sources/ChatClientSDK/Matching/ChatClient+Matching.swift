extension ChatClient {
    /// Waits until the server pairs you with a stranger, and returns the match.
    ///
    /// Cancelling the calling task closes the match socket, which takes you off the wait list, and throws
    /// ``ChatError/Code/cancelled``.
    /// - Returns: The match: channel, token, your id and (when the server lists it) the peer's id.
    /// - Throws: ``ChatError`` with ``ChatError/Code/unauthorized`` when signed out, ``ChatError/Code/cancelled``
    ///   when the task is cancelled, ``ChatError/Code/connectionClosed`` when the connection dropped before a
    ///   match (call `match()` again).
    public func match() async throws -> ChatMatch {
        try await mappingErrors("waiting for a match") {
            try self.checkUsable()
            guard self.sessionCookie != nil else {
                throw ChatError(
                    code: .unauthorized,
                    message: "not signed in; call signUp(name:) first or restore Configuration.sessionCookie"
                )
            }
            let me = try await self.selfID()
            let received = LockedBox<String?>(nil)
            let options = WebSocketOptions(
                headers: self.cookieHeader,
                maxMessageSize: 64 * 1024,
                pingInterval: self.configuration.pingInterval
            )
            let close: WebSocketClose
            do {
                close = try await self.webSocket.connect(
                    url: self.webSocketBaseURL + "/api/match",
                    options: options,
                    logger: self.configuration.logger
                ) { io in
                    while let text = try await io.receive() {
                        if let result = try? V1.MatchResult(jsonBytes: Array(text.utf8)) {
                            received.value = result.accessToken
                            return
                        }
                    }
                }
            } catch let error as WebSocketConnectError {
                try Task.checkCancellation()
                if error.kind == .upgradeRejected {
                    // Learn why (expired session, unknown user) from the same check over HTTP.
                    _ = try await self.currentUser()
                }
                throw ChatError(code: .connectionClosed, message: "could not open the match socket", cause: error)
            }
            try Task.checkCancellation()
            guard let token = received.value else {
                throw ChatError(
                    code: .connectionClosed,
                    message: "the match socket closed before a match (close \(close.code.map(String.init) ?? "none"))"
                )
            }
            var match = try ChatMatch(token: token, userID: me)
            if let members = try? await self.send("GET", "/api/chat/users", auth: .bearer(token)),
                let list = try? V1.UserIDList(jsonBytes: members.body)
            {
                match.peerID = list.userIDs.first { $0 != me }
            }
            return match
        }
    }
}
