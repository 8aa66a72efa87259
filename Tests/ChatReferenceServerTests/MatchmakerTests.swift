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

    /// Alice and Bob proposed to each other; Alice confirmed (command 2, `ok` read) and Bob's confirmation (command
    /// `lastID`) is the last one, suspended while the channel is created.
    struct HeldMatch {
        let creation = HeldCreation()
        let matchmaker: Matchmaker
        var alice: Socket
        var bob: Socket
        let last: Task<Void, Never>

        init(lastID: UInt32) async throws {
            let matchmaker = Matchmaker(services: self.creation.services)
            self.matchmaker = matchmaker
            self.alice = try await Socket(UserID(rawValue: 1), on: matchmaker)
            self.bob = try await Socket(UserID(rawValue: 2), on: matchmaker)
            await matchmaker.enqueue(socket: self.alice.id, id: 1)
            await matchmaker.enqueue(socket: self.bob.id, id: 1)
            var matchIDs: [UInt64] = []
            for index in 0..<2 {
                guard case .queued = try await (index == 0 ? self.alice.next() : self.bob.next()).body else {
                    throw TestFailure("queued")
                }
                guard case .proposed(let proposed) = try await (index == 0 ? self.alice.next() : self.bob.next()).body
                else { throw TestFailure("proposed") }
                matchIDs.append(proposed.matchID)
            }
            #expect(matchIDs[0] == matchIDs[1])
            let matchID = matchIDs[0]
            await matchmaker.confirm(socket: self.alice.id, id: 2, matchID: matchID)
            // The first confirmation's ok goes out at once.
            #expect(try await self.alice.next() == V2.MatchServerFrame(id: 2, body: .ok(V2.Ok())))
            let bob = self.bob.id
            self.last = Task { await matchmaker.confirm(socket: bob, id: lastID, matchID: matchID) }
            for await _ in self.creation.started { break }
        }

        var discarded: Int { self.creation.discarded.load(ordering: .relaxed) }

        /// Lets the channel creation finish and waits for the last `confirm` to return.
        func finishCreation() async {
            self.creation.release()
            await self.last.value
        }
    }

    @Test("The last confirm's ok waits for the channel and goes out right before matched; the first's at once")
    func lastOkComesWithMatched() async throws {
        var held = try await HeldMatch(lastID: 3)
        // Queued and proposed only: the ok is held while the channel is made.
        #expect(held.bob.outbox.queuedFrames == 2)
        await held.finishCreation()
        #expect(try await held.bob.next() == V2.MatchServerFrame(id: 3, body: .ok(V2.Ok())))
        guard case .matched(let matched) = try await held.bob.next().body else { throw TestFailure("bob: no matched") }
        #expect(matched.channelID == ChannelID(rawValue: 42))
        #expect(matched.peerID == UserID(rawValue: 1))
        guard case .matched(let alicesMatch) = try await held.alice.next().body else { throw TestFailure("alice") }
        #expect(alicesMatch.accessToken == "v2-token-1")
        #expect(held.bob.outbox.queuedFrames == 4)
        #expect(held.discarded == 0)
    }

    @Test("A peer leaving while the channel is made: the held ok still comes first, then voided")
    func heldOkPrecedesVoided() async throws {
        var held = try await HeldMatch(lastID: 7)
        await held.matchmaker.disconnectV2(held.alice.id)
        #expect(try await held.bob.next() == V2.MatchServerFrame(id: 7, body: .ok(V2.Ok())))
        guard case .voided(let voided) = try await held.bob.next().body else { throw TestFailure("bob: no voided") }
        #expect(voided.reason == "peer_disconnected")
        #expect(voided.requeued)
        await held.finishCreation()
        #expect(held.discarded == 1)
        #expect(held.bob.outbox.queuedFrames == 4)  // queued, proposed, ok, voided: nothing sent twice, no matched
        #expect(await held.matchmaker.waitingUsers == [UserID(rawValue: 2)])
    }

    @Test("The confirmer leaving while the channel is made: nothing is owed to the gone socket")
    func confirmerLeavesDuringCreation() async throws {
        var held = try await HeldMatch(lastID: 3)
        await held.matchmaker.disconnectV2(held.bob.id)
        await held.finishCreation()
        #expect(held.bob.outbox.queuedFrames == 2)  // the held ok went with the socket
        guard case .voided(let voided) = try await held.alice.next().body else { throw TestFailure("alice: no voided") }
        #expect(voided.requeued)
        #expect(held.discarded == 1)
    }

    @Test("A deleted account while its channel is made: UNAUTHORIZED and 4500 to its socket, the channel discarded")
    func deletedAccountDuringCreation() async throws {
        var held = try await HeldMatch(lastID: 3)
        await held.matchmaker.removeUser(UserID(rawValue: 1))
        #expect(try await held.alice.next().body == .error(V2Wire.error(.unauthorized)))
        guard case .close(let code, _)? = await held.alice.frames.next(isolation: #isolation) else {
            throw TestFailure("alice: no close")
        }
        #expect(code == V2Wire.closeCode(.unauthorized))
        #expect(try await held.bob.next() == V2.MatchServerFrame(id: 3, body: .ok(V2.Ok())))
        guard case .voided(let voided) = try await held.bob.next().body else { throw TestFailure("bob: no voided") }
        #expect(voided.requeued)
        await held.finishCreation()
        #expect(held.discarded == 1)
        #expect(await held.matchmaker.waitingUsers == [UserID(rawValue: 2)])
        #expect(await held.matchmaker.connectionCount(UserID(rawValue: 1)) == 0)
        // The socket's later disconnect finds nothing to remove, and Bob keeps his place.
        await held.matchmaker.disconnectV2(held.alice.id)
        #expect(await held.matchmaker.waitingUsers == [UserID(rawValue: 2)])
    }

    @Test("A user marked deleted cannot register a match socket, v1 or v2")
    func deletedAccountIsRefused() async throws {
        var services = HeldCreation().services
        services.isDeleted = { $0 == UserID(rawValue: 1) }
        let matchmaker = Matchmaker(services: services)
        let outbox = Outbox(capacity: 16, sink: StreamOutboxSink())
        #expect(await matchmaker.connectV1(UserID(rawValue: 1), outbox: outbox) == nil)
        #expect(await matchmaker.connectV2(UserID(rawValue: 1), outbox: outbox, encoding: .json) == nil)
        #expect(await matchmaker.connectV2(UserID(rawValue: 2), outbox: outbox, encoding: .json) != nil)
        #expect(await matchmaker.waitingUsers.isEmpty)
    }
}
