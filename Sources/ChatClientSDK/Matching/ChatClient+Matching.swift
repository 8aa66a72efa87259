import Logging

extension ChatClient {
    /// Waits until the server pairs you with a stranger, and returns the match.
    ///
    /// Cancelling the calling task closes the match socket, which takes you off the wait list, and throws
    /// `ChatError.Code.cancelled`.
    /// - Returns: The match: channel, token, your id and (when the server lists it) the peer's id.
    /// A match socket that drops before a match is reopened with the ``ReconnectPolicy``.
    /// - Throws: `ChatError` with `ChatError.Code.unauthorized` when signed out, `ChatError.Code.cancelled`
    ///   when the task is cancelled, `ChatError.Code.connectionClosed` when the policy's
    ///   ``ReconnectPolicy/maxAttempts`` ran out.
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
            let token = try await self.waitForMatchToken()
            var match = try ChatMatch(token: token, userID: me)
            if let members = try? await self.send("GET", "/api/chat/users", auth: .bearer(token)),
                let list = try? V1.UserIDList(jsonBytes: members.body)
            {
                match.peerID = list.userIDs.first { $0 != me }
            }
            return match
        }
    }

    /// Holds a match socket open until the token arrives; a dropped socket is reopened with the reconnect policy
    /// (the server keeps no ghost entry for it), so a flaky network does not end the wait.
    private func waitForMatchToken() async throws -> String {
        var delays = self.configuration.reconnectPolicy.delays()
        var failures = 0
        while true {
            let received = LockedBox<String?>(nil)
            let options = WebSocketOptions(
                headers: self.cookieHeader,
                maxMessageSize: 64 * 1024,
                pingInterval: self.configuration.pingInterval
            )
            var dropped: ChatError
            do {
                let close = try await self.webSocket.connect(
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
                try Task.checkCancellation()
                if let token = received.value { return token }
                if let code = close.code, WebSocketCloseCode(rawValue: code).reconnectAdvice == .never {
                    throw ChatError(
                        code: WebSocketCloseCode(rawValue: code).errorCode,
                        message: "the server closed the match socket (\(code))",
                        closeCode: code
                    )
                }
                dropped = ChatError(
                    code: .connectionClosed,
                    message: "the match socket closed before a match (close \(close.code.map(String.init) ?? "none"))",
                    closeCode: close.code
                )
            } catch let error as WebSocketConnectError {
                try Task.checkCancellation()
                if let refusal = error.chatError, !refusal.isTemporary { throw refusal }
                if error.kind == .upgradeRejected, error.chatError == nil {
                    // Learn why (signed out, unknown user) from the same check over HTTP; throws if it is that.
                    _ = try await self.currentUser()
                }
                dropped = ChatError(code: .connectionClosed, message: "could not open the match socket", cause: error)
            }
            failures += 1
            if let maxAttempts = self.configuration.reconnectPolicy.maxAttempts, failures > maxAttempts {
                throw dropped
            }
            self.configuration.logger.debug("match socket dropped; retrying", metadata: ["error": "\(dropped)"])
            try await Task.sleep(for: delays.next() ?? .zero)
        }
    }
}
