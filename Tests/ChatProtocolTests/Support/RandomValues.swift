import ChatProtocol

/// Random protocol values biased towards edge cases: zero, boundaries, non-ASCII text.
struct RandomValues {
    var rng: SplitMix64

    init(seed: UInt64) { self.rng = SplitMix64(seed: seed) }

    mutating func bool() -> Bool { self.rng.next() & 1 == 1 }

    mutating func chance(_ oneIn: UInt64) -> Bool { self.rng.next() % oneIn == 0 }

    mutating func uint64() -> UInt64 {
        switch self.rng.next() % 8 {
        case 0: 0
        case 1: .max
        case 2: UInt64.random(in: 1...127, using: &self.rng)
        case 3: 1 << UInt64.random(in: 0...63, using: &self.rng)
        default: self.rng.next() >> UInt64.random(in: 0...63, using: &self.rng)
        }
    }

    mutating func uint32() -> UInt32 {
        switch self.rng.next() % 6 {
        case 0: 0
        case 1: .max
        default: UInt32(truncatingIfNeeded: self.uint64())
        }
    }

    mutating func int64() -> Int64 {
        switch self.rng.next() % 7 {
        case 0: 0
        case 1: .min
        case 2: .max
        case 3: -1
        default: Int64(bitPattern: self.uint64())
        }
    }

    mutating func int32() -> Int32 { Int32(truncatingIfNeeded: self.int64()) }

    private static let alphabet: [String] = [
        "a", "Z", "0", " ", "-", "\"", "\\", "\n", "\u{0}", "\u{7F}", "é", "ß", "Ж", "世", "界", "日",
        "🚀", "👋🏽", "🇫🇷", "\u{FEFF}", "\u{10FFFF}", "e\u{301}",
    ]

    mutating func string() -> String {
        let count = self.chance(4) ? 0 : Int.random(in: 1...24, using: &self.rng)
        var text = ""
        for _ in 0..<count { text += Self.alphabet.randomElement(using: &self.rng) ?? "a" }
        return text
    }

    mutating func userID() -> UserID { UserID(self.uint64()) }
    mutating func channelID() -> ChannelID { ChannelID(self.uint64()) }
    mutating func messageID() -> MessageID { MessageID(self.uint64()) }

    mutating func error() -> V2.Error {
        V2.Error(
            code: V2.Error.Code(rawValue: self.int32()),
            message: self.string(),
            temporary: self.bool(),
            retryAfterMs: self.uint32()
        )
    }

    mutating func limits() -> V2.Limits {
        V2.Limits(
            maxFrameBytes: self.uint32(),
            maxTextBytes: self.uint32(),
            maxUploadBytes: self.uint64(),
            historyPageDefault: self.uint32(),
            historyPageMax: self.uint32(),
            maxMessagesPerChannel: self.uint32(),
            maxQueuedFrames: self.uint32(),
            maxInflightSends: self.uint32(),
            typingMinIntervalMs: self.uint32(),
            typingTimeoutMs: self.uint32(),
            maxSendsPerSecond: self.uint32(),
            maxChannelUploadBytes: self.uint64(),
            maxFilesPerUpload: self.uint32(),
            maxBlocksPerUser: self.uint32()
        )
    }

    mutating func hello() -> V2.Hello {
        V2.Hello(
            version: self.uint32(),
            server: self.string(),
            limits: self.chance(3) ? nil : self.limits(),
            pingIntervalMs: self.uint32(),
            resumeWindowMs: self.uint32(),
            userID: self.userID(),
            channelID: self.channelID(),
            epoch: self.string(),
            lastSeq: self.uint64(),
            tokenExpiresAt: self.int64(),
            matchWaitTimeoutMs: self.uint32(),
            matchConfirmTimeoutMs: self.uint32()
        )
    }

    mutating func fileRef() -> V2.FileRef {
        V2.FileRef(fileName: self.string(), objectKey: self.string(), size: self.uint64(), contentType: self.string())
    }

    mutating func content() -> V2.ChatMessage.Content? {
        switch self.rng.next() % 3 {
        case 0: nil
        case 1: .text(self.string())
        default: .file(self.fileRef())
        }
    }

    mutating func chatMessage() -> V2.ChatMessage {
        V2.ChatMessage(
            messageID: self.messageID(),
            seq: self.uint64(),
            userID: self.userID(),
            content: self.content(),
            time: self.int64(),
            clientMessageID: self.string(),
            seen: self.bool()
        )
    }

    mutating func chatClientFrame() -> V2.ChatClientFrame {
        let command: V2.ChatClientFrame.Command? =
            switch self.rng.next() % 9 {
            case 0: nil
            case 1: .send(V2.SendCommand(clientMessageID: self.string(), content: self.content()))
            case 2: .resume(V2.ResumeCommand(afterSeq: self.uint64(), epoch: self.string()))
            case 3: .typing(V2.TypingCommand(typing: self.bool()))
            case 4: .seen(V2.SeenCommand(upToSeq: self.uint64()))
            case 5: .leave(V2.LeaveCommand())
            case 6: .refreshToken(V2.RefreshTokenCommand())
            case 7: .pong(V2.Pong())
            default: .ping(V2.Ping())
            }
        return V2.ChatClientFrame(id: self.uint32(), command: command)
    }

    mutating func chatServerFrame() -> V2.ChatServerFrame {
        let body: V2.ChatServerFrame.Body? =
            switch self.rng.next() % 13 {
            case 0: nil
            case 1: .error(self.error())
            case 2: .ok(V2.Ok())
            case 3:
                .ack(
                    V2.Ack(
                        clientMessageID: self.string(),
                        seq: self.uint64(),
                        time: self.int64(),
                        messageID: self.messageID()
                    )
                )
            case 4:
                .resumed(
                    V2.Resumed(
                        resumed: self.bool(),
                        reason: self.string(),
                        epoch: self.string(),
                        lastSeq: self.uint64()
                    )
                )
            case 5: .tokenRefreshed(V2.TokenRefreshed(accessToken: self.string(), expiresAt: self.int64()))
            case 6: .hello(self.hello())
            case 7: .message(self.chatMessage())
            case 8:
                .presence(
                    V2.PresenceEvent(
                        kind: V2.PresenceEvent.Kind(rawValue: self.int32()),
                        userID: self.userID(),
                        time: self.int64()
                    )
                )
            case 9: .typing(V2.TypingEvent(userID: self.userID(), typing: self.bool()))
            case 10: .seen(V2.SeenEvent(userID: self.userID(), upToSeq: self.uint64(), time: self.int64()))
            case 11: .ping(V2.Ping())
            default: .pong(V2.Pong())
            }
        return V2.ChatServerFrame(id: self.uint32(), body: body)
    }

    mutating func matchClientFrame() -> V2.MatchClientFrame {
        let command: V2.MatchClientFrame.Command? =
            switch self.rng.next() % 7 {
            case 0: nil
            case 1: .enqueue(V2.EnqueueCommand())
            case 2: .cancel(V2.CancelCommand())
            case 3: .confirm(V2.ConfirmCommand(matchID: self.uint64()))
            case 4: .next(V2.NextCommand(accessToken: self.string()))
            case 5: .pong(V2.Pong())
            default: .ping(V2.Ping())
            }
        return V2.MatchClientFrame(id: self.uint32(), command: command)
    }

    mutating func matchServerFrame() -> V2.MatchServerFrame {
        let body: V2.MatchServerFrame.Body? =
            switch self.rng.next() % 10 {
            case 0: nil
            case 1: .error(self.error())
            case 2: .ok(V2.Ok())
            case 3: .queued(V2.Queued(ticketID: self.uint64(), waitTimeoutMs: self.uint32()))
            case 4: .hello(self.hello())
            case 5:
                .proposed(
                    V2.MatchProposed(matchID: self.uint64(), peerID: self.userID(), confirmTimeoutMs: self.uint32())
                )
            case 6:
                .matched(
                    V2.Matched(
                        matchID: self.uint64(),
                        channelID: self.channelID(),
                        peerID: self.userID(),
                        accessToken: self.string(),
                        tokenExpiresAt: self.int64()
                    )
                )
            case 7: .voided(V2.MatchVoided(matchID: self.uint64(), reason: self.string(), requeued: self.bool()))
            case 8: .ping(V2.Ping())
            default: .pong(V2.Pong())
            }
        return V2.MatchServerFrame(id: self.uint32(), body: body)
    }

    mutating func historyPage() -> V2.HistoryPage {
        let count = Int.random(in: 0...6, using: &self.rng)
        var messages: [V2.ChatMessage] = []
        for _ in 0..<count { messages.append(self.chatMessage()) }
        return V2.HistoryPage(messages: messages, hasMore: self.bool(), epoch: self.string(), lastSeq: self.uint64())
    }

    /// A random upstream message of a random type.
    mutating func upstream() -> any ProtobufMessage {
        switch self.rng.next() % 13 {
        case 0: Upstream.CreateChannelRequest()
        case 1: Upstream.CreateChannelResponse(channelID: self.channelID(), accessToken: self.string())
        case 2: Upstream.AddUserRequest(channelID: self.channelID(), userID: self.userID())
        case 3: Upstream.AddUserResponse()
        case 4:
            Upstream.RegisterChannelSessionRequest(
                channelID: self.channelID(),
                userID: self.userID(),
                subscriber: self.string()
            )
        case 5: Upstream.RegisterChannelSessionResponse()
        case 6: Upstream.RemoveChannelSessionRequest(channelID: self.channelID(), userID: self.userID())
        case 7: Upstream.RemoveChannelSessionResponse()
        case 8: Upstream.User(id: self.userID(), name: self.string())
        case 9: Upstream.GetUserRequest(userID: self.userID())
        case 10:
            Upstream.GetUserResponse(
                exist: self.bool(),
                user: self.bool() ? Upstream.User(id: self.userID(), name: self.string()) : nil
            )
        case 11: Upstream.GetUserIDBySessionRequest(sid: self.string())
        default: Upstream.GetUserIDBySessionResponse(userID: self.userID())
        }
    }
}
