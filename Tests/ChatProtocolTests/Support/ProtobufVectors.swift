import ChatProtocol
import Testing

/// A golden protobuf vector: a value and the name of its `Fixtures/protobuf/NAME.bin`, made by protoc.
struct ProtobufVector: Sendable, CustomTestStringConvertible {
    var name: String
    var value: any ProtobufMessage

    init(_ name: String, _ value: any ProtobufMessage) {
        self.name = name
        self.value = value
    }

    var testDescription: String { self.name }
}

/// Values shared by the vectors; they match the `.txtpb` inputs.
enum Sample {
    static let channel = ChannelID(1_847_563_543_227_432_961)
    static let user = UserID(1_847_563_543_227_432_962)
    static let messageID = MessageID(1_847_563_543_227_432_963)
    static let bigText = String(repeating: "0123456789abcdef", count: 4096)
    static let fileRef = V2.FileRef(
        fileName: "報告書 📄.pdf",
        objectKey: "uploads/abc/def.pdf",
        size: 1_048_576,
        contentType: "application/pdf"
    )
    static let limits = V2.Limits(
        maxFrameBytes: 65536,
        maxTextBytes: 4096,
        maxUploadBytes: .max,
        historyPageDefault: 50,
        historyPageMax: 200,
        maxMessagesPerChannel: 10000,
        maxQueuedFrames: 256,
        maxInflightSends: 32,
        typingMinIntervalMs: 2000,
        typingTimeoutMs: 6000,
        maxSendsPerSecond: 10,
        maxChannelUploadBytes: 1 << 30,
        maxFilesPerUpload: 100,
        maxBlocksPerUser: 1000
    )
    static let helloChat = V2.Hello(
        version: 2,
        server: "random-chat/0.1 🚀",
        limits: limits,
        pingIntervalMs: 25000,
        resumeWindowMs: 120_000,
        userID: UserID(.max),
        channelID: channel,
        epoch: "ep-1",
        lastSeq: 42,
        tokenExpiresAt: 1_735_689_600_000
    )
    static let helloMatch = V2.Hello(
        version: 2,
        limits: V2.Limits(),
        pingIntervalMs: 25000,
        tokenExpiresAt: -1,
        matchWaitTimeoutMs: .max,
        matchConfirmTimeoutMs: 15000
    )
    static let messageText = V2.ChatMessage(
        messageID: messageID,
        seq: 1,
        userID: user,
        content: .text("hello 👋 世界"),
        time: 1_735_689_600_123,
        clientMessageID: "7d1f0c7e-2b1a-4f7e-9a55-0d3c2a1b9e10",
        seen: true
    )
    static let messageFile = V2.ChatMessage(
        messageID: MessageID(.max),
        seq: .max,
        userID: UserID(1),
        content: .file(
            V2.FileRef(
                fileName: "報告書 📄.pdf",
                objectKey: "uploads/abc/def.pdf",
                size: .max,
                contentType: "application/pdf"
            )
        ),
        time: .min
    )
    static let ack = V2.Ack(clientMessageID: "c-1", seq: 1, time: 1_735_689_600_123, messageID: messageID)
    static let matched = V2.Matched(
        matchID: 5,
        channelID: channel,
        peerID: user,
        accessToken: "tok",
        tokenExpiresAt: 1_735_693_200_000
    )
    static let proposed = V2.MatchProposed(matchID: 5, peerID: user, confirmTimeoutMs: 15000)
}

extension ProtobufVector {
    /// One vector per committed `.bin` (except the unknown-field inputs, which have their own test).
    static let all: [ProtobufVector] = common + chat + chatFrames + match + upstream + scalars

    static let common: [ProtobufVector] = [
        .init("error_empty", V2.Error()),
        .init(
            "error_full",
            V2.Error(
                code: V2.Error.Code(.rateLimited),
                message: "too many requests",
                temporary: true,
                retryAfterMs: .max
            )
        ),
        .init("error_unknown_code", V2.Error(code: V2.Error.Code(rawValue: 99), message: "新しいエラー 🚨")),
        .init("error_negative_code", V2.Error(code: V2.Error.Code(rawValue: -5))),
        .init(
            "error_upload_quota",
            V2.Error(code: V2.Error.Code(.uploadQuotaExceeded), message: "channel upload quota exceeded")
        ),
        .init("error_block_limit", V2.Error(code: V2.Error.Code(.blockLimitReached), message: "block list full")),
        .init("limits_full", Sample.limits),
        .init("hello_chat", Sample.helloChat),
        .init("hello_match", Sample.helloMatch),
        .init("ping", V2.Ping()),
        .init("pong", V2.Pong()),
        .init("ok", V2.Ok()),
    ]

    static let chat: [ProtobufVector] = [
        .init("file_ref", Sample.fileRef),
        .init("chat_message_text", Sample.messageText),
        .init("chat_message_file", Sample.messageFile),
        .init("chat_message_empty_text", V2.ChatMessage(seq: 7, content: .text(""))),
        .init("chat_message_empty", V2.ChatMessage()),
        .init("presence_joined", V2.PresenceEvent(kind: .joined, userID: Sample.user, time: 1_735_689_600_000)),
        .init(
            "presence_unknown_kind",
            V2.PresenceEvent(kind: V2.PresenceEvent.Kind(rawValue: 7), userID: UserID(1), time: -1)
        ),
        .init("typing_event", V2.TypingEvent(userID: Sample.user, typing: true)),
        .init("seen_event", V2.SeenEvent(userID: Sample.user, upToSeq: .max, time: 1)),
        .init("send_text", V2.SendCommand(clientMessageID: "c-1", content: .text("Привет, мир"))),
        .init("send_file", V2.SendCommand(clientMessageID: "c-2", content: .file(Sample.fileRef))),
        .init("send_big_text", V2.SendCommand(clientMessageID: "c-big", content: .text(Sample.bigText))),
        .init("resume_command", V2.ResumeCommand(afterSeq: 41, epoch: "ep-1")),
        .init("typing_command", V2.TypingCommand(typing: true)),
        .init("seen_command", V2.SeenCommand(upToSeq: 300)),
        .init("leave_command", V2.LeaveCommand()),
        .init("refresh_token_command", V2.RefreshTokenCommand()),
        .init(
            "ack",
            V2.Ack(clientMessageID: "c-1", seq: 128, time: 1_735_689_600_123, messageID: Sample.messageID)
        ),
        .init("resumed_false", V2.Resumed(resumed: false, reason: "epoch_changed", epoch: "ep-2", lastSeq: 0)),
        .init("resumed_true", V2.Resumed(resumed: true, epoch: "ep-1", lastSeq: 42)),
        .init(
            "token_refreshed",
            V2.TokenRefreshed(accessToken: "eyJhbGciOiJIUzI1NiJ9.e30.sig", expiresAt: 1_735_693_200_000)
        ),
        .init(
            "history_page",
            V2.HistoryPage(
                messages: [
                    Sample.messageText, Sample.messageFile, V2.ChatMessage(seq: 3, content: .text("")),
                    V2.ChatMessage(),
                ],
                hasMore: true,
                epoch: "ep-1",
                lastSeq: 3
            )
        ),
        .init("history_page_empty", V2.HistoryPage()),
    ]

    static let chatFrames: [ProtobufVector] = [
        .init("chat_client_frame_empty", V2.ChatClientFrame()),
        .init(
            "chat_client_frame_send",
            V2.ChatClientFrame(id: .max, command: .send(V2.SendCommand(clientMessageID: "c-1", content: .text("hi"))))
        ),
        .init(
            "chat_client_frame_resume",
            V2.ChatClientFrame(id: 1, command: .resume(V2.ResumeCommand(afterSeq: 41, epoch: "ep-1")))
        ),
        .init("chat_client_frame_typing", V2.ChatClientFrame(command: .typing(V2.TypingCommand(typing: false)))),
        .init("chat_client_frame_seen", V2.ChatClientFrame(id: 2, command: .seen(V2.SeenCommand(upToSeq: 7)))),
        .init("chat_client_frame_leave", V2.ChatClientFrame(id: 3, command: .leave(V2.LeaveCommand()))),
        .init(
            "chat_client_frame_refresh_token",
            V2.ChatClientFrame(id: 4, command: .refreshToken(V2.RefreshTokenCommand()))
        ),
        .init("chat_client_frame_pong", V2.ChatClientFrame(command: .pong(V2.Pong()))),
        .init("chat_client_frame_ping", V2.ChatClientFrame(id: 5, command: .ping(V2.Ping()))),
        .init(
            "chat_server_frame_error",
            V2.ChatServerFrame(
                id: 9,
                body: .error(V2.Error(code: V2.Error.Code(.tokenExpired), message: "token expired"))
            )
        ),
        .init("chat_server_frame_ok", V2.ChatServerFrame(id: 3, body: .ok(V2.Ok()))),
        .init("chat_server_frame_ack", V2.ChatServerFrame(id: 1, body: .ack(Sample.ack))),
        .init(
            "chat_server_frame_resumed",
            V2.ChatServerFrame(id: 2, body: .resumed(V2.Resumed(resumed: true, epoch: "ep-1", lastSeq: 42)))
        ),
        .init(
            "chat_server_frame_token_refreshed",
            V2.ChatServerFrame(id: 4, body: .tokenRefreshed(V2.TokenRefreshed(accessToken: "t", expiresAt: 1)))
        ),
        .init("chat_server_frame_hello", V2.ChatServerFrame(body: .hello(Sample.helloChat))),
        .init("chat_server_frame_message", V2.ChatServerFrame(body: .message(Sample.messageFile))),
        .init(
            "chat_server_frame_presence",
            V2.ChatServerFrame(
                body: .presence(V2.PresenceEvent(kind: .left, userID: Sample.user, time: 1_735_689_600_000))
            )
        ),
        .init(
            "chat_server_frame_typing",
            V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: Sample.user, typing: true)))
        ),
        .init(
            "chat_server_frame_seen",
            V2.ChatServerFrame(body: .seen(V2.SeenEvent(userID: Sample.user, upToSeq: 3, time: 1_735_689_600_000)))
        ),
        .init("chat_server_frame_ping", V2.ChatServerFrame(body: .ping(V2.Ping()))),
        .init("chat_server_frame_pong", V2.ChatServerFrame(id: 5, body: .pong(V2.Pong()))),
    ]

    static let match: [ProtobufVector] = [
        .init("enqueue_command", V2.EnqueueCommand()),
        .init("cancel_command", V2.CancelCommand()),
        .init("confirm_command", V2.ConfirmCommand(matchID: .max)),
        .init("next_command", V2.NextCommand(accessToken: "tok")),
        .init("queued", V2.Queued(ticketID: 77, waitTimeoutMs: 60000)),
        .init("match_proposed", Sample.proposed),
        .init("matched", Sample.matched),
        .init("match_voided", V2.MatchVoided(matchID: 5, reason: "peer_cancelled", requeued: true)),
        .init("match_client_frame_enqueue", V2.MatchClientFrame(id: 1, command: .enqueue(V2.EnqueueCommand()))),
        .init("match_client_frame_cancel", V2.MatchClientFrame(id: 2, command: .cancel(V2.CancelCommand()))),
        .init(
            "match_client_frame_confirm",
            V2.MatchClientFrame(id: 3, command: .confirm(V2.ConfirmCommand(matchID: 5)))
        ),
        .init(
            "match_client_frame_next",
            V2.MatchClientFrame(id: 4, command: .next(V2.NextCommand(accessToken: "tok")))
        ),
        .init("match_client_frame_pong", V2.MatchClientFrame(command: .pong(V2.Pong()))),
        .init("match_client_frame_ping", V2.MatchClientFrame(id: .max, command: .ping(V2.Ping()))),
        .init(
            "match_server_frame_error",
            V2.MatchServerFrame(
                id: 1,
                body: .error(
                    V2.Error(
                        code: V2.Error.Code(.matchTimeout),
                        message: "no match found in time",
                        temporary: true,
                        retryAfterMs: 1000
                    )
                )
            )
        ),
        .init("match_server_frame_ok", V2.MatchServerFrame(id: 2, body: .ok(V2.Ok()))),
        .init(
            "match_server_frame_queued",
            V2.MatchServerFrame(id: 1, body: .queued(V2.Queued(ticketID: 77, waitTimeoutMs: 60000)))
        ),
        .init("match_server_frame_hello", V2.MatchServerFrame(body: .hello(Sample.helloMatch))),
        .init("match_server_frame_proposed", V2.MatchServerFrame(body: .proposed(Sample.proposed))),
        .init("match_server_frame_matched", V2.MatchServerFrame(body: .matched(Sample.matched))),
        .init(
            "match_server_frame_voided",
            V2.MatchServerFrame(body: .voided(V2.MatchVoided(matchID: 5, reason: "timeout")))
        ),
        .init("match_server_frame_ping", V2.MatchServerFrame(body: .ping(V2.Ping()))),
        .init("match_server_frame_pong", V2.MatchServerFrame(id: 6, body: .pong(V2.Pong()))),
    ]

    static let upstream: [ProtobufVector] = [
        .init("upstream_create_channel_request", Upstream.CreateChannelRequest()),
        .init(
            "upstream_create_channel_response",
            Upstream.CreateChannelResponse(channelID: Sample.channel, accessToken: "eyJ.tok")
        ),
        .init("upstream_add_user_request", Upstream.AddUserRequest(channelID: Sample.channel, userID: UserID(.max))),
        .init("upstream_add_user_response", Upstream.AddUserResponse()),
        .init(
            "upstream_register_channel_session_request",
            Upstream.RegisterChannelSessionRequest(channelID: Sample.channel, userID: Sample.user, subscriber: "chat-0")
        ),
        .init("upstream_register_channel_session_response", Upstream.RegisterChannelSessionResponse()),
        .init(
            "upstream_remove_channel_session_request",
            Upstream.RemoveChannelSessionRequest(channelID: ChannelID(1), userID: UserID(2))
        ),
        .init("upstream_remove_channel_session_response", Upstream.RemoveChannelSessionResponse()),
        .init("upstream_user", Upstream.User(id: Sample.user, name: "李小龍 🐉")),
        .init("upstream_get_user_request", Upstream.GetUserRequest(userID: Sample.user)),
        .init(
            "upstream_get_user_response",
            Upstream.GetUserResponse(exist: true, user: Upstream.User(id: Sample.user, name: "alice"))
        ),
        .init("upstream_get_user_response_missing", Upstream.GetUserResponse()),
        .init("upstream_get_user_id_by_session_request", Upstream.GetUserIDBySessionRequest(sid: "s%3Aabc.def")),
        .init("upstream_get_user_id_by_session_response", Upstream.GetUserIDBySessionResponse(userID: UserID(.max))),
    ]

    static let scalars: [ProtobufVector] = [
        .init(
            "scalars_full",
            TestScalars(
                i32: -1,
                i64: .min,
                u32: .max,
                u64: .max,
                s32: .min,
                s64: .max,
                f32: .max,
                f64: 1,
                sf32: -2,
                sf64: -3,
                flt: -0.0,
                dbl: 3.5,
                b: true,
                str: "ß",
                byt: [0x00, 0xFF],
                packedU64: [0, 1, .max],
                packedS32: [-1, 1, .min],
                packedF32: [1, .max],
                packedDbl: [-1.5, 0],
                unpackedU64: [5, 6],
                children: [TestScalars(i32: 1), TestScalars()]
            )
        ),
        .init("scalars_empty", TestScalars()),
    ]
}
