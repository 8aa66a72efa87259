import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("Chat websocket: the full two-user flow", .serialized, .timeLimit(.minutes(1)))
struct ChatFlowTests {
    @Test("Sign up, chat, typing, seen, file upload and download, history, offline, delete")
    func fullFlow() async throws {
        try await TestServer.with { configuration in
            configuration.limits.historyPageSize = 1
        } _: { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (channel, token) = try await server.makeChannel([alice.id, bob.id])
            let path: @Sendable (UserID) -> String = { user in "/api/chat?uid=\(user)&access_token=\(token)" }
            let (bobReady, bobReadyContinuation) = AsyncStream.makeStream(of: Void.self)
            let (bobDone, bobDoneContinuation) = AsyncStream.makeStream(of: Void.self)

            let aliceClose = try await server.withSocket(path(alice.id), cookie: alice.sid) { a in
                try await a.expectAction("waiting", by: alice.id)
                async let bobSide = server.withSocket(path(bob.id)) { b in
                    try await b.expectAction("joined", by: bob.id)
                    bobReadyContinuation.yield()
                    // Typing, relayed to everybody including the sender.
                    try await b.send(#"{"event":1,"user_id":"\#(bob.id)","payload":"istyping"}"#)
                    try await b.expectAction("istyping", by: bob.id)
                    // Forged identity, forbidden action, unknown event: dropped, not relayed.
                    try await b.send(#"{"event":0,"user_id":"\#(alice.id)","payload":"i am alice"}"#)
                    try await b.send(#"{"event":1,"user_id":"\#(bob.id)","payload":"leaved"}"#)
                    try await b.send(#"{"event":9,"user_id":"\#(bob.id)","payload":"x"}"#)
                    try await b.send("not json")
                    try await b.send(#"{"event":0,"user_id":"\#(bob.id)","payload":"hello <alice>"}"#)
                    let text = try #require(try await b.next())
                    #expect(text["event"] as? Int == 0 && text["payload"] as? String == "hello <alice>")
                    #expect(text["user_id"] as? String == bob.id.description && text["seen"] as? Bool == false)
                    let seen = try #require(try await b.next())
                    #expect(seen["event"] as? Int == 2 && seen["seen"] as? Bool == true)
                    #expect(seen["payload"] as? String == text["message_id"] as? String)
                    #expect(seen["user_id"] as? String == bob.id.description)
                    let file = try #require(try await b.next())
                    #expect(file["event"] as? Int == 3 && file["user_id"] as? String == alice.id.description)
                    bobDoneContinuation.yield()
                }.closeCode
                var readyIterator = bobReady.makeAsyncIterator()
                _ = await readyIterator.next()
                try await a.expectAction("joined", by: bob.id)
                try await a.expectAction("istyping", by: bob.id)
                let text = try #require(try await a.next())
                #expect(text["payload"] as? String == "hello <alice>")
                let messageID = try #require(text["message_id"] as? String)
                // Seen by the author of the message is refused (D12); a seen naming the wrong author too.
                try await a.send(#"{"event":2,"user_id":"\#(alice.id)","payload":"\#(messageID)"}"#)
                try await a.send(#"{"event":2,"user_id":"\#(bob.id)","payload":"12345"}"#)
                try await a.send(#"{"event":2,"user_id":"\#(bob.id)","payload":"\#(messageID)"}"#)
                let seen = try #require(try await a.next())
                #expect(seen["event"] as? Int == 2 && seen["payload"] as? String == messageID)
                let online = try await server.request("GET", "/api/chat/users/online", headers: server.bearer(token))
                #expect(Set(online.json["user_ids"] as? [String] ?? []) == [alice.id.description, bob.id.description])

                // Upload through the presigned flow, then send the file message.
                let presign = try await server.request(
                    "GET",
                    "/api/uploader/upload/presigned?ext=png",
                    headers: server.bearer(token)
                )
                #expect(presign.status == 200)
                let objectKey = try #require(presign.json["object_key"] as? String)
                #expect(objectKey.hasPrefix("\(channel)/") && objectKey.hasSuffix(".png"))
                let uploadURL = try #require(presign.json["url"] as? String)
                let bytes = Array("\u{89}PNG fake image".utf8)
                #expect(try await server.request("PUT", uploadURL, body: bytes).status == 200)
                let payload = #"{\"file_name\":\"cat.png\",\"object_key\":\"\#(objectKey)\"}"#
                try await a.send(#"{"event":3,"user_id":"\#(alice.id)","payload":"\#(payload)"}"#)
                let file = try #require(try await a.next())
                #expect(file["event"] as? Int == 3)

                var doneIterator = bobDone.makeAsyncIterator()
                _ = await doneIterator.next()
                let okb64 = Data(objectKey.utf8).base64EncodedString()
                let download = try await server.request(
                    "GET",
                    "/api/uploader/download/presigned?okb64=\(okb64)",
                    headers: server.bearer(token)
                )
                #expect(download.status == 200)
                let fetched = try await server.request("GET", try #require(download.json["url"] as? String))
                #expect(fetched.status == 200 && fetched.body == bytes)

                // History: newest first, stored seen flag, paged by 1 with an opaque state.
                let first = try await server.request("GET", "/api/chat/channel/messages", headers: server.bearer(token))
                let firstMessages = try #require(first.json["messages"] as? [[String: Any]])
                #expect(firstMessages.map { $0["event"] as? Int } == [3])
                let nextPS = try #require(first.json["next_ps"] as? String)
                #expect(!nextPS.isEmpty)
                let second = try await server.request(
                    "GET",
                    "/api/chat/channel/messages?ps=\(nextPS)",
                    headers: server.bearer(token)
                )
                let secondMessages = try #require(second.json["messages"] as? [[String: Any]])
                #expect(secondMessages.map { $0["event"] as? Int } == [0])
                #expect(secondMessages.first?["seen"] as? Bool == true)
                #expect(second.json["next_ps"] as? String == "")
                let invalid = try await server.request(
                    "GET",
                    "/api/chat/channel/messages?ps=%%%",
                    headers: server.bearer(token)
                )
                #expect(invalid.status == 400 && invalid.msg == "invalid parameter")  // D47

                // Bob leaves → offline.
                try await _ = bobSide
                try await a.expectAction("offline", by: bob.id)

                // Delete: leaved to everybody, then the socket closes with 1000 and the token stops working.
                let deleted = try await server.request(
                    "DELETE",
                    "/api/chat/channel?delby=\(alice.id)",
                    headers: server.bearer(token) + [("Cookie", "sid=\(alice.sid)")]
                )
                #expect(deleted.status == 204 && deleted.body.isEmpty)
                try await a.expectAction("leaved", by: alice.id)
                #expect(try await a.next() == nil)
            }.closeCode
            #expect(aliceClose == 1000)
            let after = try await server.request("GET", "/api/chat/users", headers: server.bearer(token))
            #expect(after.status == 401)
        }
    }

    @Test("A disconnect by any path broadcasts offline to the peer (D4)")
    func offlineOnEveryPath() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (_, token) = try await server.makeChannel([alice.id, bob.id])
            try await server.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)") { a in
                try await a.expectAction("waiting", by: alice.id)
                for reset in [false, true] {
                    let raw = try #require(
                        await RawSocket.connect(
                            port: server.port,
                            path: "/api/chat?uid=\(bob.id)&access_token=\(token)"
                        )
                    )
                    try await a.expectAction("joined", by: bob.id)
                    raw.drop(reset: reset)
                    try await a.expectAction("offline", by: bob.id)
                }
                let raw = try #require(
                    await RawSocket.connect(port: server.port, path: "/api/chat?uid=\(bob.id)&access_token=\(token)")
                )
                try await a.expectAction("joined", by: bob.id)
                raw.sendText(size: 4097)
                #expect(await raw.readCloseCode() == 1009)
                try await a.expectAction("offline", by: bob.id)
                raw.drop()
            }
        }
    }

    @Test("A full channel refuses further messages: not stored, not relayed, counted")
    func messageCap() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxMessagesPerChannel = 1
        } _: { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            try await server.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)") { a in
                try await a.expectAction("waiting", by: alice.id)
                try await a.send(#"{"event":0,"user_id":"\#(alice.id)","payload":"one"}"#)
                #expect(try await a.next()?["payload"] as? String == "one")
                try await a.send(#"{"event":0,"user_id":"\#(alice.id)","payload":"two"}"#)
                try await a.send(#"{"event":1,"user_id":"\#(alice.id)","payload":"endtyping"}"#)
                #expect(try await a.next()?["payload"] as? String == "endtyping")
            }
            let history = try await server.request("GET", "/api/chat/channel/messages", headers: server.bearer(token))
            #expect((history.json["messages"] as? [Any])?.count == 1)
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.text.contains(#"chat_messages_rejected_total{reason="cap"} 1"#))
        }
    }

    @Test(
        "A peer that stops reading is cut off (4001 queued, TCP dropped after the grace period); its peer sees offline"
    )
    func slowConsumerOverSockets() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxQueuedFrames = 8
        } _: { server in
            try await server.withSlowReader { slow, b, alice, bob in
                let text = String(repeating: "x", count: 3900)
                // 2,000 frames of 3.9 KB (7.8 MB) cannot all fit in the kernel's buffers for a reader with a 1 KB
                // window, so Alice's outbox overflows on the way; her `offline` comes when the grace period after the
                // 4001 ends, which on a fast machine can be after the last send: Bob keeps reading until it comes.
                var sent = 0
                var sawOffline = false
                while !sawOffline {
                    if sent < 2000 {
                        try await b.send(#"{"event":0,"user_id":"\#(bob)","payload":"\#(text)"}"#)
                        sent += 1
                    }
                    // Bob reads his own echo (or Alice's offline), so only Alice falls behind.
                    let frame = try #require(try await b.next(), "no offline for Alice after \(sent) messages")
                    if frame["event"] as? Int == 1 {
                        #expect(frame["payload"] as? String == "offline")
                        #expect(frame["user_id"] as? String == alice.description)
                        sawOffline = true
                    }
                }
                // The close frame could not be delivered through a closed window, so the connection was dropped.
                #expect(await slow.readCloseCode() != 1000)
                slow.drop()
            }
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.text.contains("chat_slow_consumer_closes_total 1"))
        }
    }

    @Test("A slow reader whose queue overflows is closed with 4001")
    func slowConsumer() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxQueuedFrames = 4
        } _: { server in
            let alice = try await server.signUp("alice")
            let (channel, _) = try await server.makeChannel([alice.id])
            let sink = StreamOutboxSink()
            let outbox = Outbox(capacity: 4, sink: sink)
            let connection = try #require(server.state.hub.join(channel, user: alice.id, kind: .v1, outbox: outbox))
            for _ in 0..<5 {
                let typing = ChannelEvent.typing(alice.id, true, time: 0, except: nil)
                server.state.hub.broadcast(typing, to: channel)
            }
            var items: [Outbox.Item] = []
            for await item in sink.items { items.append(item) }
            #expect(items.count == 5)
            guard case .close(let code, _) = items.last else { throw TestFailure("no close item") }
            #expect(code == .slowConsumer)
            _ = server.state.hub.leave(channel, connection: connection)
        }
    }
}
