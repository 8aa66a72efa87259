import AsyncHTTPClient
import ChatProtocol
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import ChatClientSDK
@testable import ChatReferenceServer

@Suite("End to end: the SDK against the reference server over real sockets", .serialized, .timeLimit(.minutes(1)))
struct ChatEndToEndTests {
    @Test("two clients match and chat with every event type")
    func matchAndChat() async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            #expect(aliceMatch.channelID == bobMatch.channelID)
            #expect(aliceMatch.peerID == bobMatch.userID)
            #expect(bobMatch.peerID == aliceMatch.userID)
            #expect(try await alice.user(bobMatch.userID).name == "bob")
            #expect(try await alice.currentUser().name == "alice")

            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                try await aliceLog.expect("waiting") { $0 == .waiting(aliceMatch.userID) }
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    try await aliceLog.expect("bob joined") { $0 == .joined(bobMatch.userID) }
                    #expect(Set(try await aliceSession.members()) == [aliceMatch.userID, bobMatch.userID])
                    #expect(Set(try await aliceSession.onlineMembers()) == [aliceMatch.userID, bobMatch.userID])

                    try await bobSession.startTyping()
                    try await aliceLog.expect("typing") { $0 == .typingStarted(bobMatch.userID) }
                    try await bobSession.stopTyping()
                    try await aliceLog.expect("stopped typing") { $0 == .typingStopped(bobMatch.userID) }

                    let localID = try await bobSession.send(text: "hello alice")
                    let echo = try await bobLog.expectText("hello alice")
                    #expect(echo.localID == localID, "the echo confirms the send")
                    let received = try await aliceLog.expectText("hello alice")
                    #expect(received.senderID == bobMatch.userID)
                    #expect(received.localID == nil)
                    #expect(try await aliceSession.firstUnseenMessage()?.id == received.id)

                    try await aliceSession.markSeen(received)
                    try await bobLog.expect("seen") { $0 == .seen(messageID: received.id, authorID: bobMatch.userID) }
                    #expect(try await aliceSession.firstUnseenMessage() == nil)

                    try await aliceSession.sendFile(Array("PNG bytes".utf8), named: "cat.png")
                    let file = try await bobLog.expect("file") { $0.message?.file != nil }.message?.file
                    #expect(file?.name == "cat.png")
                    #expect(file?.isImage == true)

                    var pages = 0
                    var history: [ChatMessage] = []
                    for try await page in aliceSession.history() {
                        pages += 1
                        history += page.messages
                    }
                    #expect(pages >= 1)
                    #expect(history.map(\.text) == [nil, "hello alice"], "newest first")
                    #expect(history.last?.isSeen == true)

                    try await aliceSession.leave()
                    try await bobLog.expect("alice left") { $0 == .left(aliceMatch.userID) }
                    try await bobLog.expect("bob's session ended") { $0.isDisconnected(with: .channelClosed) }
                    try await aliceLog.expect("alice's own left") { $0 == .left(aliceMatch.userID) }
                    let error = await #expect(throws: ChatError.self) { try await aliceSession.send(text: "too late") }
                    #expect(error?.code == .invalidState)
                }
            }
        }
    }

    @Test("an upload round-trip: presign, PUT with progress, file message, download URL, same bytes back")
    func uploadRoundTrip() async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let progress = ProgressRecorder()
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                    try await bobLog.expect("connected") { $0.isConnected }
                    let localID = try await aliceSession.sendFile(bytes, named: "Data.BIN") { progress.record($0) }
                    let echo = try await aliceLog.expect("file echo") { $0.message?.file != nil }
                    #expect(echo.message?.localID == localID)
                    #expect(progress.last == ChatUploadProgress(bytesSent: bytes.count, totalBytes: bytes.count))
                    let received = try await bobLog.expect("file") { $0.message?.file != nil }
                    let file = try #require(received.message?.file)
                    #expect(file.name == "Data.BIN")
                    let url = try await bobSession.downloadURL(for: file)
                    let downloaded = try await download(url)
                    #expect(downloaded == bytes)

                }
            }
        }
    }

    @Test("a file over maxUploadSize fails before any request; a failed PUT sends no file message")
    func uploadChecks() async throws {
        let smallUploads: (inout ServerConfiguration) -> Void = {
            $0.limits.maxUploadSize = 1000
            $0.limits.presignLifetime = .seconds(-1)  // every PUT meets an expired URL
        }
        try await InProcessServer.with(configure: smallUploads) { server in
            var configuration = testConfiguration(server.baseURL)
            configuration.maxUploadSize = 100
            let alice = ChatClient(configuration: configuration)
            var bobConfiguration = testConfiguration(server.baseURL)
            bobConfiguration.maxUploadSize = 1 << 20
            // Over v2 the SDK learns the server's 1000-byte limit from `hello` and refuses before uploading
            // (V2EndToEndTests); a v1 client cannot know it, so its PUT is what fails.
            bobConfiguration.protocolPreference = [.v1]
            let bob = ChatClient(configuration: bobConfiguration)
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                try await aliceLog.expect("connected") { $0.isConnected }
                let error = await #expect(throws: ChatError.self) {
                    try await aliceSession.sendFile([UInt8](repeating: 1, count: 101), named: "big.txt")
                }
                #expect(error?.code == .uploadTooLarge)
            }
            try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                // The SDK allows more than the server's 1000 bytes; the presign names the size, so the server
                // refuses before any byte is sent.
                let tooLarge = await #expect(throws: ChatError.self) {
                    try await bobSession.sendFile([UInt8](repeating: 2, count: 5000), named: "big.txt")
                }
                #expect(tooLarge?.code == .uploadTooLarge)
                #expect(tooLarge?.httpStatus == 413)
                // A PUT the storage refuses (403: the URL expired) fails the call.
                let error = await #expect(throws: ChatError.self) {
                    try await bobSession.sendFile([UInt8](repeating: 2, count: 500), named: "small.txt")
                }
                #expect(error?.code == .uploadFailed)
                #expect(error?.httpStatus == 403)
                try await bobSession.send(text: "after")
                try await bobLog.expectText("after")
                #expect(bobLog.messages.map(\.text) == ["after"], "no file message after a failed PUT")
            }
        }
    }

    @Test("a channel's full upload quota is an uploadQuotaExceeded error, from the presign or from the PUT")
    func uploadQuota() async throws {
        let quota: (inout ServerConfiguration) -> Void = { $0.limits.maxChannelUploadBytes = 11_000 }
        try await InProcessServer.with(configure: quota) { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, _) = try await matchPair(alice, bob)
            try await alice.withRecordedSession(aliceMatch) { session, log in
                try await log.expect("connected") { $0.isConnected }
                try await session.sendFile([UInt8](repeating: 1, count: 6000), named: "a.bin")
                // The presign carries the size: a file that does not fit is refused before its bytes are sent.
                let sent = Mutex(0)
                let refused = await #expect(throws: ChatError.self) {
                    try await session.sendFile([UInt8](repeating: 2, count: 6000), named: "b.bin") { progress in
                        sent.withLock { $0 = max($0, progress.bytesSent) }
                    }
                }
                #expect(sent.withLock { $0 } == 0, "refused at the presign: no byte of the file went out")
                #expect(refused?.code == .uploadQuotaExceeded)
                #expect(refused?.httpStatus == 413)
                #expect(refused?.isTemporary == false)
                // A PUT the quota refuses (another upload took the room after the presign) says so too: the
                // server's real answer to such a PUT, as the SDK reads it.
                let presign = try await HTTPClient.shared.execute(
                    {
                        var request = HTTPClientRequest(url: server.baseURL + "/api/uploader/upload/presigned?ext=bin")
                        request.headers.add(name: "Authorization", value: "Bearer \(aliceMatch.token)")
                        return request
                    }(),
                    timeout: .seconds(10)
                )
                let upload = try V1.PresignedUpload(
                    jsonBytes: Array(buffer: try await presign.body.collect(upTo: 1 << 16))
                )
                var put = HTTPClientRequest(url: upload.url)
                put.method = .PUT
                put.body = .bytes(ByteBuffer(bytes: [UInt8](repeating: 5, count: 6000)))
                let refusedPut = try await HTTPClient.shared.execute(put, timeout: .seconds(10))
                let body = Array(buffer: try await refusedPut.body.collect(upTo: 1 << 16))
                #expect(refusedPut.status.code == 413)
                let mapped = ChatSession.uploadRefusal(status: Int(refusedPut.status.code), body: body)
                #expect(mapped.code == .uploadQuotaExceeded && mapped.httpStatus == 413)
                #expect(ChatSession.uploadRefusal(status: 403, body: Array("<Error/>".utf8)).code == .uploadFailed)
                try await session.send(text: "after")
                try await log.expectText("after")
                #expect(log.messages.filter { $0.file != nil }.count == 1, "no file message for a refused upload")
            }
        }
    }

    @Test("a PUT the storage refuses with our quota body fails sendFile with uploadQuotaExceeded, no message sent")
    func uploadQuotaFromThePut() async throws {
        // The presigned URLs point at a stand-in storage that answers every PUT the way our object endpoint answers
        // an upload over the quota (another upload took the room after the presign).
        try await TCPProxy.with(targetPort: 1) { storage in
            let body = String(decoding: V1.ErrorBody(ChatError(code: .uploadQuotaExceeded)).jsonBytes(), as: UTF8.self)
            storage.setAnswer(
                "HTTP/1.1 413 Content Too Large\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            )
            let storageURL: (inout ServerConfiguration) -> Void = {
                $0.publicBaseURL = "http://127.0.0.1:\(storage.port)"
            }
            try await InProcessServer.with(configure: storageURL) { server in
                let alice = ChatClient(configuration: testConfiguration(server.baseURL))
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, _) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { session, log in
                    try await log.expect("connected") { $0.isConnected }
                    let refused = await #expect(throws: ChatError.self) {
                        try await session.sendFile([UInt8](repeating: 1, count: 3000), named: "a.bin")
                    }
                    #expect(refused?.code == .uploadQuotaExceeded)
                    #expect(refused?.httpStatus == 413)
                    try await session.send(text: "after")
                    try await log.expectText("after")
                    #expect(log.messages.allSatisfy { $0.file == nil }, "no file message for a refused upload")
                }
            }
        }
    }

    @Test("cancelling a pending match leaves the wait list")
    func cancelMatch() async throws {
        try await InProcessServer.with { server in
            let carol = ChatClient(configuration: testConfiguration(server.baseURL))
            let carolUser = try await carol.signUp(name: "carol")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let error = await #expect(throws: ChatError.self) { _ = try await carol.match() }
                    #expect(error?.code == .cancelled)
                }
                #expect(try await eventually { await server.state.matchmaker.waitingUsers == [carolUser.id] })
                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(try await eventually { await server.state.matchmaker.waitingUsers.isEmpty })
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            #expect(aliceMatch.channelID == bobMatch.channelID, "alice and bob pair with each other, not with carol")
        }
    }

    @Test("the TCP connection drops mid-chat: the session recovers with no loss and no duplicate")
    func dropRecovers() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let alice = ChatClient(configuration: testConfiguration("http://127.0.0.1:\(proxy.port)"))
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        try await aliceLog.expect("bob joined") { $0 == .joined(bobMatch.userID) }
                        try await bobSession.send(text: "m1")
                        try await aliceLog.expectText("m1")

                        proxy.setRefusing(true)
                        proxy.dropAll()
                        try await aliceLog.expect("reconnecting") { $0.isReconnecting }
                        try await bobLog.expect("alice offline") { $0 == .offline(aliceMatch.userID) }
                        // While alice is cut off: bob talks, alice queues a message.
                        for text in ["m2", "m3", "m4"] {
                            try await bobSession.send(text: text)
                            try await bobLog.expectText(text)
                        }
                        let queued = try await aliceSession.send(text: "a1")
                        proxy.setRefusing(false)

                        try await aliceLog.expect("reconnected") { $0.isConnected }
                        try await aliceLog.expectText("m4")
                        let echo = try await aliceLog.expectText("a1")
                        #expect(echo.localID == queued)
                        try await bobLog.expectText("a1")
                        try await bobSession.send(text: "m5")
                        try await aliceLog.expectText("m5")

                        #expect(aliceLog.messages.compactMap(\.text) == ["m1", "m2", "m3", "m4", "a1", "m5"])
                        #expect(bobLog.messages.compactMap(\.text) == ["m1", "m2", "m3", "m4", "a1", "m5"])
                    }
                }
            }
        }
    }

    @Test("a half-open link (no data, no pongs) is detected by the ping timeout and the session reconnects")
    func deadLinkDetected() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var configuration = testConfiguration("http://127.0.0.1:\(proxy.port)")
                configuration.pingInterval = .milliseconds(500)
                let alice = ChatClient(configuration: configuration)
                let bob = ChatClient(configuration: testConfiguration(server.baseURL))
                let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
                try await alice.withRecordedSession(aliceMatch) { _, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                        try await bobLog.expect("connected") { $0.isConnected }
                        proxy.setFrozen(true)
                        try await bobSession.send(text: "into the void")
                        try await aliceLog.expect("dead link noticed", timeout: .seconds(5)) { $0.isReconnecting }
                        proxy.setFrozen(false)
                        proxy.dropAll()
                        try await aliceLog.expectTexts(["into the void"])
                        #expect(aliceLog.messages.compactMap(\.text) == ["into the void"])
                    }
                }
            }
        }
    }

    @Test("an HTTP request that gets no answer fails with ChatError.timeout at the request timeout, queued ones too")
    func requestTimeout() async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                var settings = testConfiguration("http://127.0.0.1:\(proxy.port)")
                settings.requestTimeout = .milliseconds(800)
                let configuration = settings
                proxy.setFrozen(true)
                // Nine at once: eight take the SDK's connections to this server, the ninth waits for one.
                let codes = await withTaskGroup(of: ChatError.Code?.self) { group in
                    for index in 0..<9 {
                        group.addTask {
                            do {
                                _ = try await ChatClient(configuration: configuration).signUp(name: "t\(index)")
                                return nil
                            } catch {
                                return (error as? ChatError)?.code
                            }
                        }
                    }
                    return await group.reduce(into: [ChatError.Code?]()) { $0.append($1) }
                }
                #expect(codes == Array(repeating: .timeout, count: 9))
                proxy.setFrozen(false)
                proxy.dropAll()
                // A pooled connection the drop just closed can still be picked before its close is seen; the SDK
                // does not resend a sign-up (not idempotent), so the test does, on that error only.
                var user: ChatUser?
                for _ in 0..<3 where user == nil {
                    do {
                        user = try await ChatClient(configuration: configuration).signUp(name: "after")
                    } catch let error as ChatError where error.code == .connectionClosed {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                #expect(user?.name == "after", "the same client library answers once the link carries data again")
            }
        }
    }

    @Test("an expired token is a typed error, before and during a session, with no retry")
    func expiredToken() async throws {
        let shortTokens: (inout ServerConfiguration) -> Void = { $0.tokenLifetime = .seconds(3) }
        try await InProcessServer.with(configure: shortTokens) { server in
            var configuration = testConfiguration(server.baseURL)
            configuration.tokenExpiryMargin = .seconds(1)
            let alice = ChatClient(configuration: configuration)
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            #expect(aliceMatch.expiresAt != nil)

            // During a session: the SDK ends it at exp − margin with .tokenExpired.
            try await alice.withRecordedSession(aliceMatch) { _, log in
                try await log.expect("connected") { $0.isConnected }
                try await log.expect("token expired", timeout: .seconds(10)) {
                    if case .connection(.disconnected(let reason)) = $0 { return reason.code == .tokenExpired }
                    return false
                }
                #expect((log.endError as? ChatError)?.code == .tokenExpired || log.endError == nil)
                #expect(!log.events.contains { $0.isReconnecting })
            }
            // Before a session: opening one with an expired token throws at once.
            let error = await #expect(throws: ChatError.self) {
                try await alice.withSession(aliceMatch) { _ in }
            }
            #expect(error?.code == .tokenExpired)

            // A match whose expiry the SDK does not know: the server refuses, and the session does not retry.
            try await Task.sleep(for: .seconds(1))
            var blind = bobMatch
            blind.expiresAt = nil
            try await bob.withRecordedSession(blind) { session, log in
                try await log.expect("refused as expired") { $0.isDisconnected(with: .tokenExpired) }
                #expect(!log.events.contains { $0.isReconnecting })
                let error = await #expect(throws: ChatError.self) { _ = try await session.members() }
                #expect(error?.code == .tokenExpired)
            }
        }
    }

    @Test("misuse is a clear error: a double join, a send on a closed session")
    func misuse() async throws {
        try await InProcessServer.with { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, _) = try await matchPair(alice, bob)
            let escaped = try await alice.withRecordedSession(aliceMatch) { session, log in
                try await log.expect("connected") { $0.isConnected }
                let error = await #expect(throws: ChatError.self) { try await alice.withSession(aliceMatch) { _ in } }
                #expect(error?.code == .invalidState)
                return session
            }
            let error = await #expect(throws: ChatError.self) { try await escaped.send(text: "hi") }
            #expect(error?.code == .invalidState)
        }
    }
}

extension ChatEvent {
    var message: ChatMessage? {
        if case .message(let message) = self { return message }
        return nil
    }
}

final class ProgressRecorder: Sendable {
    private let values = Mutex<[ChatUploadProgress]>([])
    func record(_ progress: ChatUploadProgress) { self.values.withLock { $0.append(progress) } }
    var last: ChatUploadProgress? { self.values.withLock { $0.last } }
}

/// Polls a server-side condition (server state has no change notifications) until it holds or 5 s pass.
func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(5)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
