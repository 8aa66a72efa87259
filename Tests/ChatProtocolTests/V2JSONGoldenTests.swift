import ChatProtocol
import Foundation
import Testing

private let alice = UserID(1_847_563_419_017_314_305)
private let bob = UserID(1_847_563_419_017_314_306)
private let channel = ChannelID(1_847_563_543_227_432_961)
private let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig"
private let matchID: UInt64 = 1_847_563_600_000_000_001

private func chat(_ command: V2.ChatClientFrame.Command?) -> V2.ChatClientFrame {
    V2.ChatClientFrame(command: command)
}

private func chat(_ id: UInt32, _ command: V2.ChatClientFrame.Command?) -> V2.ChatClientFrame {
    V2.ChatClientFrame(id: id, command: command)
}

private func server(_ body: V2.ChatServerFrame.Body?) -> V2.ChatServerFrame {
    V2.ChatServerFrame(body: body)
}

private func server(_ id: UInt32, _ body: V2.ChatServerFrame.Body?) -> V2.ChatServerFrame {
    V2.ChatServerFrame(id: id, body: body)
}

private func match(_ command: V2.MatchClientFrame.Command?) -> V2.MatchClientFrame {
    V2.MatchClientFrame(command: command)
}

private func match(_ id: UInt32, _ command: V2.MatchClientFrame.Command?) -> V2.MatchClientFrame {
    V2.MatchClientFrame(id: id, command: command)
}

private func matchServer(_ body: V2.MatchServerFrame.Body?) -> V2.MatchServerFrame {
    V2.MatchServerFrame(body: body)
}

private func matchServer(_ id: UInt32, _ body: V2.MatchServerFrame.Body?) -> V2.MatchServerFrame {
    V2.MatchServerFrame(id: id, body: body)
}

/// The v2 vectors; the shared golden suite in V1JSONGoldenTests.swift runs them.
let v2Vectors: [JSONGoldenVector] = {
    var vectors: [JSONGoldenVector] = []
    vectors.append(
        JSONGoldenVector(
            "chat_client_send_text",
            chat(3, .send(.init(clientMessageID: "a1b2", content: .text("hi <3")))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_client_send_file",
            chat(
                4,
                .send(
                    .init(
                        clientMessageID: "c3d4",
                        content: .file(
                            .init(
                                fileName: "cat.png",
                                objectKey: "1847563543227432961/5f0c3b1e-8d2a-4c1e-9b7a-2f6d1e0c9a8b.png",
                                size: 48213,
                                contentType: "image/png"
                            )
                        )
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_client_send_empty_text",
            chat(5, .send(.init(clientMessageID: "e5", content: .text("")))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector("chat_client_resume", chat(1, .resume(.init(afterSeq: 17, epoch: "e1"))), version: "v2")
    )
    vectors.append(JSONGoldenVector("chat_client_resume_from_start", chat(1, .resume(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_typing", chat(.typing(.init(typing: true))), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_typing_stop", chat(.typing(.init(typing: false))), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_seen", chat(6, .seen(.init(upToSeq: .max))), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_leave", chat(7, .leave(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_refresh_token", chat(.max, .refreshToken(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_pong", chat(.pong(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_ping", chat(8, .ping(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("chat_client_empty", chat(nil), version: "v2"))
    vectors.append(
        JSONGoldenVector(
            "chat_server_error",
            server(
                3,
                .error(
                    .init(code: .init(.rateLimited), message: "too many requests", temporary: true, retryAfterMs: 1500)
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_error_upload_quota",
            server(4, .error(.init(code: .init(.uploadQuotaExceeded), message: "channel upload quota exceeded"))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_error_block_limit",
            server(5, .error(.init(code: .init(.blockLimitReached), message: "block list full"))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_error_unknown_code",
            server(.error(.init(code: .init(rawValue: 99), message: "from the future"))),
            version: "v2"
        )
    )
    vectors.append(JSONGoldenVector("chat_server_ok", server(7, .ok(.init())), version: "v2"))
    vectors.append(
        JSONGoldenVector(
            "chat_server_ack",
            server(
                3,
                .ack(
                    .init(
                        clientMessageID: "a1b2",
                        seq: 17,
                        time: 1_700_000_000_123,
                        messageID: MessageID(1_847_563_543_227_432_961)
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_resumed",
            server(1, .resumed(.init(resumed: true, epoch: "e1", lastSeq: 42))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_not_resumed",
            server(1, .resumed(.init(resumed: false, reason: "epoch_changed", epoch: "e2", lastSeq: 3))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_token_refreshed",
            server(4, .tokenRefreshed(.init(accessToken: token, expiresAt: 1_700_086_400_000))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_hello",
            server(
                .hello(
                    .init(
                        version: 2,
                        server: "random-chat-swift/0.1.0",
                        limits: .init(
                            maxFrameBytes: 65536,
                            maxTextBytes: 16384,
                            maxUploadBytes: 64 << 20,
                            historyPageDefault: 50,
                            historyPageMax: 500,
                            maxMessagesPerChannel: 5000,
                            maxQueuedFrames: 256,
                            maxInflightSends: 100,
                            typingMinIntervalMs: 1000,
                            typingTimeoutMs: 5000,
                            maxSendsPerSecond: 20,
                            maxChannelUploadBytes: 1 << 30,
                            maxFilesPerUpload: 100,
                            maxBlocksPerUser: 1000
                        ),
                        pingIntervalMs: 25000,
                        resumeWindowMs: 120_000,
                        userID: alice,
                        channelID: channel,
                        epoch: "e1",
                        lastSeq: 42,
                        tokenExpiresAt: 1_700_086_400_000
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_message_text",
            server(
                .message(
                    .init(
                        messageID: MessageID(1_847_563_543_227_432_961),
                        seq: 17,
                        userID: alice,
                        content: .text("hello & \u{2028} \u{1F431}"),
                        time: 1_700_000_000_123,
                        clientMessageID: "a1b2"
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_message_file_seen",
            server(
                .message(
                    .init(
                        messageID: MessageID(1_847_563_543_227_432_962),
                        seq: 18,
                        userID: bob,
                        content: .file(
                            .init(fileName: "doc.pdf", objectKey: "1847563543227432961/0b7c9e8a.pdf", size: 1)
                        ),
                        time: -1,
                        seen: true
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_presence",
            server(.presence(.init(kind: .joined, userID: bob, time: 1_700_000_000_001))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_presence_left",
            server(.presence(.init(kind: .left, userID: alice))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector("chat_server_typing", server(.typing(.init(userID: bob, typing: true))), version: "v2")
    )
    vectors.append(
        JSONGoldenVector(
            "chat_server_seen",
            server(.seen(.init(userID: bob, upToSeq: 17, time: 1_700_000_000_999))),
            version: "v2"
        )
    )
    vectors.append(JSONGoldenVector("chat_server_ping", server(.ping(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("chat_server_pong", server(8, .pong(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("match_client_enqueue", match(1, .enqueue(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("match_client_cancel", match(2, .cancel(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("match_client_confirm", match(3, .confirm(.init(matchID: matchID))), version: "v2"))
    vectors.append(JSONGoldenVector("match_client_next", match(4, .next(.init(accessToken: token))), version: "v2"))
    vectors.append(JSONGoldenVector("match_client_pong", match(.pong(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("match_client_ping", match(5, .ping(.init())), version: "v2"))
    vectors.append(
        JSONGoldenVector(
            "match_server_error",
            matchServer(.error(.init(code: .init(.matchTimeout), message: "no match found in time", temporary: true))),
            version: "v2"
        )
    )
    vectors.append(JSONGoldenVector("match_server_ok", matchServer(2, .ok(.init())), version: "v2"))
    vectors.append(
        JSONGoldenVector(
            "match_server_queued",
            matchServer(1, .queued(.init(ticketID: 1_847_563_599_999_999_999, waitTimeoutMs: 300_000))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "match_server_hello",
            matchServer(
                .hello(
                    .init(
                        version: 2,
                        server: "random-chat-swift/0.1.0",
                        pingIntervalMs: 25000,
                        matchWaitTimeoutMs: 300_000,
                        matchConfirmTimeoutMs: 10000
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "match_server_proposed",
            matchServer(.proposed(.init(matchID: matchID, peerID: bob, confirmTimeoutMs: 10000))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "match_server_matched",
            matchServer(
                .matched(
                    .init(
                        matchID: matchID,
                        channelID: channel,
                        peerID: bob,
                        accessToken: token,
                        tokenExpiresAt: 1_700_086_400_000
                    )
                )
            ),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "match_server_voided",
            matchServer(.voided(.init(matchID: matchID, reason: "replaced"))),
            version: "v2"
        )
    )
    vectors.append(
        JSONGoldenVector(
            "match_server_voided_requeued",
            matchServer(.voided(.init(matchID: matchID, reason: "peer_cancelled", requeued: true))),
            version: "v2"
        )
    )
    vectors.append(JSONGoldenVector("match_server_ping", matchServer(.ping(.init())), version: "v2"))
    vectors.append(JSONGoldenVector("match_server_pong", matchServer(5, .pong(.init())), version: "v2"))
    vectors.append(
        JSONGoldenVector(
            "history_page",
            V2.HistoryPage(
                messages: [
                    .init(
                        messageID: MessageID(1_847_563_543_227_432_961),
                        seq: 17,
                        userID: alice,
                        content: .text("hello"),
                        time: 1_700_000_000_123,
                        clientMessageID: "a1b2",
                        seen: true
                    ),
                    .init(
                        messageID: MessageID(1_847_563_543_227_432_962),
                        seq: 18,
                        userID: bob,
                        content: .text(""),
                        time: 1_700_000_000_500
                    ),
                ],
                hasMore: true,
                epoch: "e1",
                lastSeq: 18
            ),
            version: "v2"
        )
    )
    vectors.append(JSONGoldenVector("history_page_empty", V2.HistoryPage(), version: "v2"))
    return vectors
}()

@Suite("v2 JSON fixtures: error names")
struct V2JSONGoldenTests {
    @Test("every enum name of Error.Code matches the error table's wire name")
    func errorCodeNames() throws {
        for number in Int32(1)...23 {
            let code = try #require(ChatError.Code(number: number))
            let frame = V2.ChatServerFrame(body: .error(.init(code: .init(rawValue: number))))
            let json = String(decoding: frame.jsonBytes(), as: UTF8.self)
            #expect(json == #"{"error":{"code":"\#(code.wireName.uppercased())"}}"#)
        }
    }
}
