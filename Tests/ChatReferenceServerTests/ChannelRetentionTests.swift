import ArgumentParser
import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

/// What an ended channel leaves behind is deleted after `endedChannelRetention`: its files and messages first, its
/// row once its tokens have expired too (docs/SERVER.md, "Retention").
@Suite("Retention of ended channels", .serialized, .timeLimit(.minutes(1)))
struct ChannelRetentionTests {
    private static func message(_ id: UInt64, by user: UserID) -> StoredMessage {
        StoredMessage(
            messageID: MessageID(id),
            seq: 0,
            event: .text,
            userID: user,
            payload: "message \(id)",
            seen: false,
            time: Int64(id),
            clientMessageID: "k\(id)",
            fileSize: 0,
            contentType: ""
        )
    }

    /// A channel of `user` with two messages (one of them flushed to the database, one still in the journal) and one
    /// uploaded file; returns the channel, its token and the file's key.
    private static func busyChannel(
        _ server: TestServer,
        _ user: UserID,
        firstID: UInt64
    ) async throws -> (ChannelID, String, String) {
        let (channel, token) = try await server.makeChannel([user])
        _ = try server.state.storage.appendMessage(Self.message(firstID, by: user), channel: channel, cap: 100)
        try await server.state.storage.flushAppends()
        _ = try server.state.storage.appendMessage(Self.message(firstID + 1, by: user), channel: channel, cap: 100)
        let presign = try await UploadQuotaTests.presign(server, token)
        let url = try #require(presign.url)
        #expect(try await server.request("PUT", url, body: [1, 2, 3]).status == 200)
        return (channel, token, try #require(presign.key))
    }

    /// An hour's retention, swept by the test itself (the service's interval is as long).
    private static func sweptByTheTest(_ configuration: inout ServerConfiguration) {
        configuration.endedChannelRetention = .seconds(3600)
        configuration.retentionSweepInterval = .seconds(3600)
    }

    private static func storedMessages(_ server: TestServer, _ channel: ChannelID) async throws -> Int {
        try await server.state.storage.messages(of: channel, afterSeq: 0, limit: 100).count
    }

    @Test("files and messages go after the retention, the row after the token lifetime; live channels stay")
    func sweep() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let alice = try await server.signUp("alice")
            let (ended, endedToken, endedKey) = try await Self.busyChannel(server, alice.id, firstID: 1)
            let (live, _, liveKey) = try await Self.busyChannel(server, alice.id, firstID: 10)
            let end = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(alice.id)",
                headers: server.bearer(endedToken)
            )
            #expect(end.status == 204)
            let retention = ChannelRetention(state: server.state)
            let now = Date()

            // Within the retention nothing goes.
            #expect(await retention.sweep(now: now) == .init())
            #expect(FileManager.default.fileExists(atPath: server.state.objects.path(of: endedKey).path))
            #expect(try await Self.storedMessages(server, ended) == 2)

            // After it, the ended channel's files and messages go; its token still meets `channel closed`.
            #expect(server.state.uploadQuota.storedBytes(in: ended) == UploadQuota.minimumCharge)
            #expect(await retention.sweep(now: now + 3601) == .init(purged: 1, forgotten: 0))
            #expect(!FileManager.default.fileExists(atPath: server.state.objects.path(of: endedKey).path))
            #expect(server.state.uploadQuota.storedBytes(in: ended) == nil, "the quota forgot the deleted files")
            #expect(try await Self.storedMessages(server, ended) == 0)
            #expect(try await server.state.storage.channelState(ended) == .deleted)
            let closed = try await server.request(
                "GET",
                "/api/uploader/upload/presigned?ext=png",
                headers: server.bearer(endedToken)
            )
            #expect(closed.status == 401 && closed.msg == "channel closed")
            #expect(await retention.sweep(now: now + 3602) == .init())

            // Once every token of it has expired (lifetime + 60 s), the row goes as well.
            let later = now + 86_400 + 61
            #expect(await retention.sweep(now: later) == .init(purged: 0, forgotten: 1))
            #expect(try await server.state.storage.channelState(ended) == .unknown)

            // The live channel kept everything.
            #expect(FileManager.default.fileExists(atPath: server.state.objects.path(of: liveKey).path))
            #expect(try await Self.storedMessages(server, live) == 2)
            #expect(try await server.state.storage.channelState(live) == .active)
        }
    }

    @Test("a message still in the journal when its channel ends is purged, not inserted after the purge")
    func pendingMessagesArePurged() async throws {
        try await V2PersistenceTests.withStorage { storage, _, channel in
            let user = UserID(1)
            _ = try storage.appendMessage(Self.message(1, by: user), channel: channel, cap: 10)
            try await storage.flushAppends()
            _ = try storage.appendMessage(Self.message(2, by: user), channel: channel, cap: 10)
            #expect(storage.pendingAppends == 1)
            try await storage.deleteChannel(channel, now: Date())
            let due = try await storage.channelsToPurge(endedBefore: Date() + 1, limit: 10)
            #expect(due == [channel])
            try await storage.purgeChannels(due)
            #expect(storage.pendingAppends == 0)
            #expect(try await storage.messages(of: channel, afterSeq: 0, limit: 10).isEmpty)
            #expect(try await storage.channelsToPurge(endedBefore: Date() + 1, limit: 10).isEmpty)
            // An active channel named by mistake keeps its messages.
            let other = ChannelID(channel.rawValue + 1)
            try await storage.createChannel(other, members: [user], now: Date())
            _ = try storage.appendMessage(Self.message(3, by: user), channel: other, cap: 10)
            try await storage.purgeChannels([other])
            #expect(try await storage.messages(of: other, afterSeq: 0, limit: 10).count == 1)
        }
    }

    @Test("records of purged or forgotten channels left in a journal file are not recovered at the next start")
    func recoverySkipsPurgedChannels() async throws {
        try await V2PersistenceTests.withStorage { storage, path, purged in
            let user = UserID(1)
            let forgotten = ChannelID(purged.rawValue + 1)
            let live = ChannelID(purged.rawValue + 2)
            for channel in [forgotten, live] { try await storage.createChannel(channel, members: [user], now: Date()) }
            var records: [UInt8] = []
            for (index, channel) in [purged, forgotten, live].enumerated() {
                _ = try storage.appendMessage(Self.message(UInt64(index + 1), by: user), channel: channel, cap: 10)
                var message = Self.message(UInt64(index + 1), by: user)
                message.seq = 1
                records += MessageJournal.encode(MessageJournal.Entry(channel: channel, message: message))
            }
            try await storage.flushAppends()
            // A journal file that still holds the committed records (a flush after a failed one does not swap files).
            try Data(records).write(to: URL(fileURLWithPath: path + "-messages.0"))
            try await storage.deleteChannel(forgotten, now: Date() - 100)
            try await storage.deleteChannel(purged, now: Date() - 1)
            try await storage.purgeChannels([purged, forgotten])
            #expect(try await storage.forgetChannels(endedBefore: Date() - 50) == 1)

            let reopened = try SQLiteStorage(path: path)
            #expect(try await reopened.messages(of: purged, afterSeq: 0, limit: 10).isEmpty)
            #expect(try await reopened.messages(of: forgotten, afterSeq: 0, limit: 10).isEmpty)
            #expect(try await reopened.messages(of: live, afterSeq: 0, limit: 10).count == 1)
        }
    }

    @Test("a channel whose tokens all expired is ended once no socket of it is open; a refresh pushes that back")
    func abandonedChannels() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let alice = try await server.signUp("alice")
            let storage = server.state.storage
            let retention = ChannelRetention(state: server.state)
            let now = Date()
            // Tokens that expired two minutes ago (the sweep's margin is one); one channel's were refreshed.
            let abandoned = ChannelID(server.state.ids.next())
            let refreshed = ChannelID(server.state.ids.next())
            let connected = ChannelID(server.state.ids.next())
            for channel in [abandoned, refreshed, connected] {
                try await storage.createChannel(channel, members: [alice.id], now: now, tokensExpireAt: now - 120)
            }
            try await storage.extendTokens(of: refreshed, until: now + 3600)
            try await storage.extendTokens(of: refreshed, until: now - 500)  // an earlier date changes nothing
            // A v1 socket outlives its token: its channel waits. (The token used to connect is a fresh one.)
            let token = try await server.state.tokens.issue(for: connected)
            let path = "/api/chat?uid=\(alice.id)&access_token=\(token)"
            try await server.withSocket(path, cookie: alice.sid) { socket in
                try await socket.expectAction("waiting", by: alice.id)
                #expect(await retention.sweep(now: now) == .init(abandoned: 1))
            }
            #expect(try await storage.channelState(abandoned) == .deleted)
            #expect(try await storage.channelState(refreshed) == .active)
            #expect(
                try await server.eventually { await retention.sweep(now: now).abandoned == 1 },
                "the connected channel ends once its socket closed"
            )
            #expect(try await storage.channelState(connected) == .deleted)
            #expect(try await storage.channelState(refreshed) == .active)
            // The retention then runs from the end, which is the wall clock's (under load the socket's close can come
            // seconds after `now`).
            #expect(await retention.sweep(now: Date() + 3601).purged == 2)
        }
    }

    @Test("a match records when its tokens expire; a v2 token refresh extends it before answering")
    func matchAndRefreshRecordTokens() async throws {
        try await TestServer.with { configuration in
            configuration.tokenLifetime = .seconds(1000)
        } _: { server in
            let storage = server.state.storage
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let before = Date()
            // A v1 match over the match sockets.
            let token = try await withThrowingTaskGroup(of: String?.self) { group in
                for user in [alice, bob] {
                    group.addTask {
                        try await server.withSocket("/api/match", cookie: user.sid) { socket in
                            try #require(try await socket.next())["access_token"] as? String
                        }.value
                    }
                    if user.id == alice.id {
                        #expect(
                            try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id] }
                        )
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }.compactMap { $0 }.first
            }
            let channel = try await server.state.tokens.verifyClaims(try #require(token)).channel
            #expect(try await storage.channelsWithExpiredTokens(before: before + 990, limit: 10).isEmpty)
            #expect(try await storage.channelsWithExpiredTokens(before: Date() + 1010, limit: 10) == [channel])

            // A v2 refresh in a channel whose tokens were not tracked records the new token's expiry.
            let (untracked, _) = try await server.makeChannel([alice.id])
            let v2Token = server.state.tokens.issueV2(for: untracked, user: alice.id).token
            try await server.withV2Chat(token: v2Token, encoding: .json) { socket in
                _ = try await socket.hello()
                let reply = try await socket.command(.refreshToken(.init()))
                guard case .tokenRefreshed = reply.body else { throw TestFailure("not refreshed: \(reply)") }
            }
            let due = try await storage.channelsWithExpiredTokens(before: Date() + 1010, limit: 10)
            #expect(due.contains(untracked))
            #expect(try await !storage.channelsWithExpiredTokens(before: before + 990, limit: 10).contains(untracked))
        }
    }

    @Test("without retention (nil, upstream's behaviour) nothing is ever deleted")
    func keptForever() async throws {
        try await TestServer.with { configuration in
            configuration.endedChannelRetention = nil
        } _: { server in
            let alice = try await server.signUp("alice")
            let (ended, _, key) = try await Self.busyChannel(server, alice.id, firstID: 1)
            try await server.state.storage.deleteChannel(ended, now: Date())
            // Only alice's session, expired by then, goes (sessions expire whatever the retention).
            #expect(await ChannelRetention(state: server.state).sweep(now: Date() + 1e9) == .init(sessions: 1))
            #expect(FileManager.default.fileExists(atPath: server.state.objects.path(of: key).path))
            #expect(try await Self.storedMessages(server, ended) == 2)
        }
    }

    @Test("the server sweeps by itself every retentionSweepInterval")
    func runsOnItsOwn() async throws {
        try await TestServer.with { configuration in
            configuration.endedChannelRetention = .zero
            configuration.retentionSweepInterval = .milliseconds(100)
        } _: { server in
            let alice = try await server.signUp("alice")
            let (ended, token, key) = try await Self.busyChannel(server, alice.id, firstID: 1)
            let end = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(alice.id)",
                headers: server.bearer(token)
            )
            #expect(end.status == 204)
            // Generous: the sweeper, NIO's blocking pool and a database write on a loaded 2-core box.
            #expect(
                try await server.eventually(timeout: .seconds(30)) {
                    !FileManager.default.fileExists(atPath: server.state.objects.path(of: key).path)
                }
            )
            #expect(
                try await server.eventually(timeout: .seconds(30)) { try await Self.storedMessages(server, ended) == 0 }
            )
        }
    }

    @Test("the command line reads the quota and the retention, 'forever' included, and refuses nonsense")
    func commandLine() throws {
        let defaults = try ChatServerCommand.parse([]).serverConfiguration(environment: [:])
        #expect(defaults.endedChannelRetention == .seconds(86_400))
        #expect(defaults.limits.maxChannelUploadBytes == 1 << 30)
        let tuned = try ChatServerCommand.parse(["--ended-channel-retention", "forever"])
            .serverConfiguration(environment: ["CHAT_MAX_CHANNEL_UPLOAD_BYTES": "0"])
        #expect(tuned.endedChannelRetention == nil)
        #expect(tuned.limits.maxChannelUploadBytes == 0)
        let immediate = try ChatServerCommand.parse(["--ended-channel-retention", "0"])
            .serverConfiguration(environment: [:])
        #expect(immediate.endedChannelRetention == .zero)
        for (flag, value) in [("--ended-channel-retention", "-5"), ("--ended-channel-retention", "soon")] {
            #expect(throws: (any Error).self) {
                try ChatServerCommand.parse([flag, value]).serverConfiguration(environment: [:])
            }
        }
        #expect(throws: (any Error).self) {
            try ChatServerCommand.parse([]).serverConfiguration(environment: ["CHAT_MAX_CHANNEL_UPLOAD_BYTES": "-1"])
        }
    }
}
