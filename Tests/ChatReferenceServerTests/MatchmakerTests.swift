import ChatProtocol
import Synchronization
import Testing

@testable import ChatReferenceServer

/// The matchmaker driven directly (no sockets), with channel creation held open by the test, to pin down when the
/// last `confirm`'s `ok` is sent relative to the frames around it.
@Suite("Matchmaker: the reply to the last confirm", .timeLimit(.minutes(1)))
struct MatchmakerTests {
    /// Channel creation that reports its start and waits until ``release()``.
    final class HeldCreation: Sendable {
        let started: AsyncStream<Void>
        private let startedContinuation: AsyncStream<Void>.Continuation
        private let go: AsyncStream<Void>
        private let goContinuation: AsyncStream<Void>.Continuation
        let discarded = Atomic<Int>(0)

        init() {
            (self.started, self.startedContinuation) = AsyncStream.makeStream()
            (self.go, self.goContinuation) = AsyncStream.makeStream()
        }

        func release() { self.goContinuation.yield() }

        var services: Matchmaker.Services {
            let ids = Atomic<UInt64>(100)
            return Matchmaker.Services(
                newID: { ids.add(1, ordering: .relaxed).newValue },
                createChannel: { _ in
                    self.startedContinuation.yield()
                    for await _ in self.go { break }
                    return ChannelID(rawValue: 42)
                },
                discardChannel: { _ in self.discarded.add(1, ordering: .relaxed) },
                v1Token: { _ in "v1-token" },
                v2Token: { _, user in ("v2-token-\(user)", 1_700_000_000) },
                onMatched: {},
                waitTimeout: .zero,
                confirmTimeout: .seconds(30)
            )
        }
    }

    /// One v2 match socket's queue, read frame by frame.
    struct Socket {
        let id: Int
        let outbox: Outbox
        var frames: AsyncStream<Outbox.Item>.Iterator

        init(_ user: UserID, on matchmaker: Matchmaker) async throws {
            let sink = StreamOutboxSink()
            self.outbox = Outbox(capacity: 16, sink: sink)
            self.frames = sink.items.makeAsyncIterator()
            self.id = try #require(await matchmaker.connectV2(user, outbox: self.outbox, encoding: .json))
        }

        mutating func next() async throws -> V2.MatchServerFrame {
            guard case .frame(let bytes, _, _)? = await self.frames.next(isolation: #isolation) else {
                throw TestFailure("no frame")
            }
            return try V2.MatchServerFrame(jsonBytes: bytes)
        }
    }

    /// Enqueues both and returns the proposal's id, with both sockets' `queued` and `proposed` read.
    private func propose(_ a: inout Socket, _ b: inout Socket, on matchmaker: Matchmaker) async throws -> UInt64 {
        await matchmaker.enqueue(socket: a.id, id: 1)
        await matchmaker.enqueue(socket: b.id, id: 1)
        var matchIDs: [UInt64] = []
        for index in 0..<2 {
            guard case .queued = try await (index == 0 ? a.next() : b.next()).body else { throw TestFailure("queued") }
            guard case .proposed(let proposed) = try await (index == 0 ? a.next() : b.next()).body else {
                throw TestFailure("proposed")
            }
            matchIDs.append(proposed.matchID)
        }
        #expect(matchIDs[0] == matchIDs[1])
        return matchIDs[0]
    }

    @Test("The last confirm's ok waits for the channel and goes out right before matched; the first's at once")
    func lastOkComesWithMatched() async throws {
        let creation = HeldCreation()
        let matchmaker = Matchmaker(services: creation.services)
        var alice = try await Socket(UserID(rawValue: 1), on: matchmaker)
        var bob = try await Socket(UserID(rawValue: 2), on: matchmaker)
        let matchID = try await self.propose(&alice, &bob, on: matchmaker)

        await matchmaker.confirm(socket: alice.id, id: 2, matchID: matchID)
        let first = try await alice.next()
        #expect(first == V2.MatchServerFrame(id: 2, body: .ok(V2.Ok())))

        let bobID = bob.id
        let last = Task { await matchmaker.confirm(socket: bobID, id: 3, matchID: matchID) }
        for await _ in creation.started { break }
        #expect(bob.outbox.queuedFrames == 2)  // queued and proposed only: the ok is held while the channel is made
        creation.release()
        await last.value

        #expect(try await bob.next() == V2.MatchServerFrame(id: 3, body: .ok(V2.Ok())))
        guard case .matched(let matched) = try await bob.next().body else { throw TestFailure("bob: no matched") }
        #expect(matched.channelID == ChannelID(rawValue: 42))
        #expect(matched.peerID == UserID(rawValue: 1))
        guard case .matched(let alicesMatch) = try await alice.next().body else { throw TestFailure("alice: none") }
        #expect(alicesMatch.accessToken == "v2-token-1")
        #expect(bob.outbox.queuedFrames == 4)
        #expect(creation.discarded.load(ordering: .relaxed) == 0)
    }

    @Test("A peer leaving while the channel is made: the held ok still comes first, then voided")
    func heldOkPrecedesVoided() async throws {
        let creation = HeldCreation()
        let matchmaker = Matchmaker(services: creation.services)
        var alice = try await Socket(UserID(rawValue: 1), on: matchmaker)
        var bob = try await Socket(UserID(rawValue: 2), on: matchmaker)
        let matchID = try await self.propose(&alice, &bob, on: matchmaker)
        await matchmaker.confirm(socket: alice.id, id: 2, matchID: matchID)
        _ = try await alice.next()

        let bobID = bob.id
        let last = Task { await matchmaker.confirm(socket: bobID, id: 7, matchID: matchID) }
        for await _ in creation.started { break }
        await matchmaker.disconnectV2(alice.id)
        #expect(try await bob.next() == V2.MatchServerFrame(id: 7, body: .ok(V2.Ok())))
        guard case .voided(let voided) = try await bob.next().body else { throw TestFailure("bob: no voided") }
        #expect(voided.reason == "peer_disconnected")
        #expect(voided.requeued)
        creation.release()
        await last.value
        #expect(creation.discarded.load(ordering: .relaxed) == 1)
        #expect(bob.outbox.queuedFrames == 4)  // queued, proposed, ok, voided: nothing sent twice, no matched
        #expect(await matchmaker.waitingUsers == [UserID(rawValue: 2)])
    }

    @Test("The confirmer leaving while the channel is made: nothing is owed to the gone socket")
    func confirmerLeavesDuringCreation() async throws {
        let creation = HeldCreation()
        let matchmaker = Matchmaker(services: creation.services)
        var alice = try await Socket(UserID(rawValue: 1), on: matchmaker)
        var bob = try await Socket(UserID(rawValue: 2), on: matchmaker)
        let matchID = try await self.propose(&alice, &bob, on: matchmaker)
        await matchmaker.confirm(socket: alice.id, id: 2, matchID: matchID)
        _ = try await alice.next()

        let bobID = bob.id
        let last = Task { await matchmaker.confirm(socket: bobID, id: 3, matchID: matchID) }
        for await _ in creation.started { break }
        await matchmaker.disconnectV2(bobID)
        creation.release()
        await last.value
        #expect(bob.outbox.queuedFrames == 2)  // the held ok went with the socket
        guard case .voided(let voided) = try await alice.next().body else { throw TestFailure("alice: no voided") }
        #expect(voided.requeued)
        #expect(creation.discarded.load(ordering: .relaxed) == 1)
    }
}
