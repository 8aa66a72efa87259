import ChatProtocol
import Synchronization
import Testing

@testable import ChatReferenceServer

/// A user put back at the head of the wait list is checked for a partner at once, like a newcomer: every way back
/// (a peer cancelling, dropping or not confirming, a failed channel) pairs them with a user already waiting, without
/// waiting for another arrival (RC-MATCH-VOID-1).
@Suite("Matchmaker: requeued users pair at once", .timeLimit(.minutes(1)))
struct MatchmakerRequeueTests {
    /// Channel creation that fails while `failures` is above zero, counting its calls.
    final class FlakyCreation: Sendable {
        let failures: Atomic<Int>
        let calls = Atomic<Int>(0)

        init(failures: Int) { self.failures = Atomic(failures) }

        func services(confirmTimeout: Duration = .seconds(30)) -> Matchmaker.Services {
            let ids = Atomic<UInt64>(100)
            return Matchmaker.Services(
                newID: { ids.add(1, ordering: .relaxed).newValue },
                createChannel: { _ in
                    self.calls.add(1, ordering: .relaxed)
                    if self.failures.subtract(1, ordering: .relaxed).oldValue > 0 { throw TestFailure("storage down") }
                    return ChannelID(rawValue: 42)
                },
                discardChannel: { _ in },
                v1Token: { _ in "v1-token" },
                v2Token: { _, user in ("v2-token-\(user)", 1_700_000_000) },
                onMatched: {},
                waitTimeout: .zero,
                confirmTimeout: confirmTimeout
            )
        }
    }

    typealias Socket = MatchmakerTests.Socket

    /// Alice and Bob enqueue and are proposed to each other, then Wendy enqueues and waits; returns the match id.
    private static func proposedPairAndAWaitingUser(
        _ matchmaker: Matchmaker
    ) async throws -> (alice: Socket, bob: Socket, wendy: Socket, matchID: UInt64) {
        var alice = try await Socket(UserID(rawValue: 1), on: matchmaker)
        var bob = try await Socket(UserID(rawValue: 2), on: matchmaker)
        await matchmaker.enqueue(socket: alice.id, id: 1)
        await matchmaker.enqueue(socket: bob.id, id: 1)
        _ = try await alice.next()  // queued
        guard case .proposed(let proposed) = try await alice.next().body else { throw TestFailure("proposed") }
        _ = try await bob.next()  // queued
        _ = try await bob.next()  // proposed
        var wendy = try await Socket(UserID(rawValue: 3), on: matchmaker)
        await matchmaker.enqueue(socket: wendy.id, id: 1)
        guard case .queued = try await wendy.next().body else { throw TestFailure("wendy: queued") }
        #expect(await matchmaker.waitingUsers == [UserID(rawValue: 3)])
        return (alice, bob, wendy, proposed.matchID)
    }

    /// Bob was voided and requeued: he and Wendy are proposed to each other at once.
    private static func expectBobAndWendyProposed(_ bob: inout Socket, _ wendy: inout Socket) async throws {
        guard case .voided(let voided) = try await bob.next().body else { throw TestFailure("bob: voided") }
        #expect(voided.requeued)
        guard case .proposed(let toBob) = try await bob.next().body else { throw TestFailure("bob: proposed") }
        guard case .proposed(let toWendy) = try await wendy.next().body else { throw TestFailure("wendy: proposed") }
        #expect(toBob.peerID == UserID(rawValue: 3) && toWendy.peerID == UserID(rawValue: 2))
        #expect(toBob.matchID == toWendy.matchID)
    }

    @Test("the peer cancels", arguments: [false, true])
    func peerCancels(drops: Bool) async throws {
        let matchmaker = Matchmaker(services: FlakyCreation(failures: 0).services())
        var (alice, bob, wendy, _) = try await Self.proposedPairAndAWaitingUser(matchmaker)
        if drops {
            await matchmaker.disconnectV2(alice.id)
        } else {
            await matchmaker.cancel(socket: alice.id, id: 2)
            #expect(try await alice.next().body == .ok(V2.Ok()))
        }
        try await Self.expectBobAndWendyProposed(&bob, &wendy)
    }

    @Test("the peer does not confirm in time")
    func peerTimesOut() async throws {
        let matchmaker = Matchmaker(services: FlakyCreation(failures: 0).services(confirmTimeout: .milliseconds(1)))
        var (alice, bob, wendy, matchID) = try await Self.proposedPairAndAWaitingUser(matchmaker)
        await matchmaker.confirm(socket: bob.id, id: 2, matchID: matchID)
        #expect(try await bob.next().body == .ok(V2.Ok()))
        try await Task.sleep(for: .milliseconds(20))
        await matchmaker.tick()
        guard case .voided(let timedOut) = try await alice.next().body else { throw TestFailure("alice: voided") }
        #expect(timedOut.reason == "confirm_timeout" && !timedOut.requeued)
        try await Self.expectBobAndWendyProposed(&bob, &wendy)
    }

    @Test("a channel that cannot be made: v1 users are tried again at the next tick, not in a loop")
    func failedChannelIsRetriedAtTheTick() async throws {
        let creation = FlakyCreation(failures: 1)
        let matchmaker = Matchmaker(services: creation.services())
        let sinks = (StreamOutboxSink(), StreamOutboxSink())
        var frames = (sinks.0.items.makeAsyncIterator(), sinks.1.items.makeAsyncIterator())
        _ = await matchmaker.connectV1(UserID(rawValue: 1), outbox: Outbox(capacity: 4, sink: sinks.0))
        _ = await matchmaker.connectV1(UserID(rawValue: 2), outbox: Outbox(capacity: 4, sink: sinks.1))
        // The failure put both back at the head, and the matcher stopped there instead of retrying at once.
        #expect(creation.calls.load(ordering: .relaxed) == 1)
        #expect(await matchmaker.waitingUsers == [UserID(rawValue: 1), UserID(rawValue: 2)])
        await matchmaker.tick()
        #expect(creation.calls.load(ordering: .relaxed) == 2)
        for index in 0..<2 {
            let item = await (index == 0 ? frames.0.next() : frames.1.next())
            guard case .frame(let bytes, _, _)? = item else { throw TestFailure("user \(index + 1): no token") }
            #expect(try V1.MatchResult(jsonBytes: bytes).accessToken == "v1-token")
        }
        #expect(await matchmaker.waitingUsers.isEmpty)
    }

    @Test("a second tab takes over a proposed ticket: the peer pairs with the waiting user")
    func takeover() async throws {
        let matchmaker = Matchmaker(services: FlakyCreation(failures: 0).services())
        var bob = try await Self.proposedPairAndAWaitingUser(matchmaker).bob
        var aliceAgain = try await Socket(UserID(rawValue: 1), on: matchmaker)
        await matchmaker.enqueue(socket: aliceAgain.id, id: 5)
        guard case .queued = try await aliceAgain.next().body else { throw TestFailure("alice: queued") }
        // Alice (the new tab, at the head) and Bob (requeued at the head) are both unchecked; Alice is first and
        // pairs with Bob again (RC-MATCH-TABS-1); Wendy keeps waiting.
        guard case .voided = try await bob.next().body else { throw TestFailure("bob: voided") }
        guard case .proposed(let toBob) = try await bob.next().body else { throw TestFailure("bob: proposed") }
        #expect(toBob.peerID == UserID(rawValue: 1))
        guard case .proposed(let toAlice) = try await aliceAgain.next().body else { throw TestFailure("alice") }
        #expect(toAlice.peerID == UserID(rawValue: 2) && toAlice.matchID == toBob.matchID)
        #expect(await matchmaker.waitingUsers == [UserID(rawValue: 3)])
    }
}
