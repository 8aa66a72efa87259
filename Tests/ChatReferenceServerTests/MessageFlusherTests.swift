import Foundation
import GRDB
import Testing

@testable import ChatReferenceServer

@Suite("The message flusher: when the journal's messages reach the database", .serialized, .timeLimit(.minutes(1)))
struct MessageFlusherTests {
    @Test(
        "a flush is due once a second while messages wait, or at once when a batch waits",
        arguments: [
            (0, Duration.seconds(5), false),
            (1, .milliseconds(250), false),
            (1, .milliseconds(999), false),
            (1, .seconds(1), true),
            (FlushPolicy.batch - 1, .milliseconds(500), false),
            (FlushPolicy.batch, .zero, true),
        ] as [(Int, Duration, Bool)]
    )
    func policy(pending: Int, waited: Duration, due: Bool) {
        #expect(FlushPolicy.isDue(pending: pending, waited: waited) == due)
    }

    @Test("the batch leaves room: a burst reaches it well before an append must flush on its event loop")
    func batchBelowJournalBound() {
        #expect(FlushPolicy.batch * 4 == MessageJournal.maximumPending)
        #expect(FlushPolicy.check < FlushPolicy.interval)
    }

    @Test("the server commits a trickle's message by itself, about a second after it was sent, without a read")
    func trickleCommitsWithinTheInterval() async throws {
        try await TestServer.with { server in
            try await server.withJoinedPair { a, b, pair in
                let storage = server.state.storage
                try await b.send(#"{"event":0,"user_id":"\#(pair.bob)","payload":"m1"}"#)
                #expect(try await a.next()?["payload"] as? String == "m1")
                let sent = ContinuousClock.now
                // Half the interval: the flush every 100 ms, or the checkpoint's every 500 ms, would have run by now;
                // the margin keeps a loaded machine's late wake-up from failing the test.
                try await Task.sleep(for: .milliseconds(500))
                #expect(storage.pendingAppends == 1, "not flushed before the interval (nor by a checkpoint)")
                #expect(try await server.eventually { storage.pendingAppends == 0 }, "flushed by the flusher")
                #expect(ContinuousClock.now - sent < .seconds(3))
            }
        }
    }

    @Test("a flush that failed is retried without a new append or a read (the database's write lock was held)")
    func failedFlushIsRetried() async throws {
        try await TestServer.with { server in
            try await server.withJoinedPair { a, b, pair in
                let storage = server.state.storage
                // Another connection holds the write lock past the server's busy timeout (5 s): the flush fails.
                let path = server.dataDirectory.appendingPathComponent("chat.sqlite").path
                var configuration = Configuration()
                configuration.allowsUnsafeTransactions = true  // the transaction spans two accesses
                let other = try DatabaseQueue(path: path, configuration: configuration)
                try await other.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
                try await b.send(#"{"event":0,"user_id":"\#(pair.bob)","payload":"m1"}"#)
                #expect(try await a.next()?["payload"] as? String == "m1")
                try await Task.sleep(for: .seconds(7))  // the flush at ~1 s waits 5 s for the lock, then fails
                #expect(storage.pendingAppends == 1, "still pending: the flush failed")
                try await other.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
                #expect(try await server.eventually { storage.pendingAppends == 0 }, "retried once the lock was free")
            }
        }
    }
}
