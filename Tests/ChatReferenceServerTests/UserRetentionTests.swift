import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

/// The retention sweep deletes expired sessions, and guests nothing can reach any more with their block lists
/// (docs/SERVER.md, "Retention").
@Suite("Retention of sessions and guests", .serialized, .timeLimit(.minutes(1)))
struct UserRetentionTests {
    /// The sweep's own interval is an hour: the tests sweep themselves.
    private static func sweptByTheTest(_ configuration: inout ServerConfiguration) {
        configuration.endedChannelRetention = .seconds(3600)
        configuration.retentionSweepInterval = .seconds(3600)
    }

    private static func isKnown(_ server: TestServer, _ user: UserID) async throws -> Bool {
        try await server.state.storage.user(user) != nil
    }

    /// Guests with these ids (named `u` and the id), created now: no session, no channel.
    private static func createGuests(_ ids: [UInt64], in storage: some ChatStorage) async throws {
        for id in ids {
            _ = try await storage.createUser(name: "u\(id)", picture: "", id: UserID(id))
        }
    }

    @Test("expired sessions go; guests without a session or an active channel go, with their blocks; the rest stay")
    func sessionsAndGuests() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let storage = server.state.storage
            let idle = server.state.configuration.sessionIdleTimeout.timeInterval
            let alice = try await server.signUp("alice")  // her session expires
            let bob = try await server.signUp("bob")  // his expires too, but he is in an active channel
            let carol = try await server.signUp("carol")  // her session is used later, so it stays
            let dave = try await storage.oauthUser(email: "d@example.com", name: "dave", picture: "", id: UserID(7))
            let (channel, _) = try await server.makeChannel([bob.id])
            for blocked in [alice.id, bob.id] {
                let result = try await server.blockList("PUT", blocked, as: carol.sid)
                #expect(result.status == 204)
            }
            let blockedByAlice = try await server.blockList("PUT", carol.id, as: alice.sid)
            #expect(blockedByAlice.status == 204)

            // Within the idle timeout (and the guests' grace): nothing goes.
            let early = await ChannelRetention(state: server.state).sweep(now: Date().addingTimeInterval(idle / 2))
            #expect(early == .init())

            // Past it: every session expired except carol's, which she used just before.
            let later = Date().addingTimeInterval(idle + 60)
            try await storage.createSession("carol-2", user: carol.id, now: later)
            let swept = await ChannelRetention(state: server.state).sweep(now: later)
            #expect(swept.sessions == 3)  // alice's, bob's and carol's first
            #expect(swept.guests == 1)
            #expect(try await Self.isKnown(server, alice.id) == false)
            #expect(try await Self.isKnown(server, bob.id))  // in an active channel
            #expect(try await Self.isKnown(server, carol.id))  // a live session
            #expect(try await Self.isKnown(server, dave.id))  // an OAuth account can sign in again
            #expect(try await storage.blockedUsers(of: carol.id) == [bob.id])  // alice is off her list
            #expect(try await storage.blockedUsers(of: alice.id) == [])
            #expect(try await storage.sessionUser(alice.sid, now: Date(), idleTimeout: idle * 10) == nil)

            // Once bob's channel ends, nothing holds him either.
            try await storage.deleteChannel(channel, now: later)
            let afterTheEnd = await ChannelRetention(state: server.state).sweep(now: later)
            #expect(afterTheEnd.guests == 1)
            #expect(try await Self.isKnown(server, bob.id) == false)
            #expect(try await storage.blockedUsers(of: carol.id) == [])
        }
    }

    @Test("a new guest is kept through its grace even without a session")
    func graceForNewGuests() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let guest = try await server.state.storage.createUser(name: "new", picture: "", id: UserID(11))
            let now = Date()
            let within = await ChannelRetention(state: server.state).sweep(now: now)
            let kept = try await Self.isKnown(server, guest.id)
            #expect(within.guests == 0 && kept)
            let after = await ChannelRetention(state: server.state)
                .sweep(now: now.addingTimeInterval(ChannelRetention.guestGrace + 60))
            #expect(after.guests == 1)
            #expect(try await Self.isKnown(server, guest.id) == false)
        }
    }

    @Test("'forever' keeps guests, but expired sessions still go")
    func keptForever() async throws {
        try await TestServer.with { configuration in
            configuration.endedChannelRetention = nil
            configuration.retentionSweepInterval = .seconds(3600)
        } _: { server in
            let alice = try await server.signUp("alice")
            let idle = server.state.configuration.sessionIdleTimeout.timeInterval
            let swept = await ChannelRetention(state: server.state).sweep(now: Date().addingTimeInterval(idle + 60))
            #expect(swept == .init(sessions: 1))
            #expect(try await Self.isKnown(server, alice.id))
        }
    }

    @Test("the guest scan walks the users in id order, a page at a time, and starts over at the end")
    func scanPages() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let storage = server.state.storage
            try await Self.createGuests([21, 22, 23], in: storage)
            let later = Date().addingTimeInterval(ChannelRetention.guestGrace + 60)
            let first = try await storage.guestCandidates(after: nil, scanning: 2, createdBefore: later)
            #expect(first.candidates == [UserID(21), UserID(22)] && first.next == UserID(22))
            let second = try await storage.guestCandidates(after: first.next, scanning: 2, createdBefore: later)
            #expect(second.candidates == [UserID(23)] && second.next == nil)
            // The deletion checks again: a guest that got a session meanwhile stays.
            try await storage.createSession("s23", user: UserID(23), now: Date())
            #expect(try await storage.forgetGuest(UserID(23), createdBefore: later) == false)
            #expect(try await storage.forgetGuest(UserID(21), createdBefore: later))
        }
    }

    @Test("the sweep goes on where it stopped, across a restart")
    func cursorSurvivesRestarts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let later = Date().addingTimeInterval(ChannelRetention.guestGrace + 60)
        try await TestServer.with(dataDirectory: directory, configure: Self.sweptByTheTest) { server in
            try await Self.createGuests([31, 32, 33], in: server.state.storage)
            let first = await ChannelRetention(state: server.state, usersPerSweep: 2).sweep(now: later)
            #expect(first.guests == 2)
            #expect(try await Self.isKnown(server, UserID(33)))
        }
        try await TestServer.with(dataDirectory: directory, configure: Self.sweptByTheTest) { server in
            // A fresh service reads where the last one stopped: the third user, not the first two again.
            _ = try await server.state.storage.createUser(name: "u30", picture: "", id: UserID(30))
            let next = await ChannelRetention(state: server.state, usersPerSweep: 2).sweep(now: later)
            #expect(next.guests == 1)
            #expect(try await Self.isKnown(server, UserID(33)) == false)
            #expect(try await Self.isKnown(server, UserID(30)))
            // It reached the end: the one after starts over.
            let again = await ChannelRetention(state: server.state, usersPerSweep: 2).sweep(now: later)
            #expect(again.guests == 1)
            #expect(try await Self.isKnown(server, UserID(30)) == false)
        }
    }

    @Test("a sweep with nothing to delete, and a guest cursor that did not move, writes nothing")
    func idleSweepWritesNothing() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let storage = server.state.storage
            // Three users, five per sweep: every sweep reads all three and ends where it started (at the start).
            try await Self.createGuests([41, 42, 43], in: storage)
            let soon = Date()  // within the guests' grace: none of them is forgotten
            _ = await ChannelRetention(state: server.state, usersPerSweep: 5).sweep(now: soon)
            // A checkpoint touches the database only after a write transaction changed a row: an idle server's sweeps
            // change none. Five rounds, since the server's own checkpoint (every 500 ms) could take one sweep's write
            // between the sweep and the test's checkpoint.
            for _ in 0..<5 {
                try await storage.checkpoint()
                #expect(await ChannelRetention(state: server.state, usersPerSweep: 5).sweep(now: soon) == .init())
                #expect(try await storage.checkpoint() == nil)
            }
        }
    }

    @Test("a guest with an open match connection is kept after its session is gone, and forgotten once it closes")
    func matchConnectionKeepsAGuest() async throws {
        try await TestServer.with(configure: Self.sweptByTheTest) { server in
            let alice = try await server.signUp("alice")
            let socket = try #require(await RawSocket.connect(port: server.port, path: "/api/match", cookie: alice.sid))
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [alice.id] })
            let logout = try await server.request("POST", "/api/user/logout", headers: [("Cookie", "sid=\(alice.sid)")])
            #expect(logout.status == 204)
            let later = Date().addingTimeInterval(ChannelRetention.guestGrace + 60)
            #expect(await ChannelRetention(state: server.state).sweep(now: later).guests == 0)
            #expect(try await Self.isKnown(server, alice.id))
            socket.drop()
            #expect(try await server.eventually { !server.state.blockLists.isHeld(alice.id) })
            #expect(await ChannelRetention(state: server.state).sweep(now: later).guests == 1)
            // A match connection of a forgotten user is refused when it opens.
            await #expect(throws: ChatHTTPError.self) { try await server.state.blockLists.retain(alice.id) }
        }
    }
}
