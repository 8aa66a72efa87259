import ChatClientSDK
import Foundation
import Testing

/// One crash run: a seed for the kill points, and the wire both clients speak.
struct CrashRun: Sendable, CustomTestStringConvertible {
    var seed: UInt64
    var wire: NegotiatedProtocol
    var testDescription: String { "seed \(self.seed), \(self.wire)" }

    static let all: [CrashRun] = [1, 2, 3].flatMap { seed in v2Encodings.map { CrashRun(seed: seed, wire: $0) } }
}

@Suite("End to end: v2 survives server crashes", .serialized, .timeLimit(.minutes(1)))
struct V2CrashTests {
    @Test(
        "the server is SIGKILLed three times mid-stream: no acknowledged message lost, no duplicate, no reorder",
        .enabled(if: ServerProcess.isAvailable, "needs .build/debug/chat-server (swift build)"),
        arguments: CrashRun.all
    )
    func crashes(run: CrashRun) async throws {
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-crash-\(UUID())").path
        let server = ServerProcess(dataDirectory: dataDirectory)
        try await server.start()
        defer { server.kill() }
        let port = try #require(server.port)
        let base = "http://127.0.0.1:\(port)"
        let alice = ChatClient(configuration: testConfiguration(base, speaking: run.wire))
        let bob = ChatClient(configuration: testConfiguration(base, speaking: run.wire))
        let (aliceMatch, bobMatch) = try await matchPair(alice, bob)

        let perSender = 40
        var random = CrashRandom(seed: run.seed)
        // Three kill points, by how many messages alice has handed to the SDK, at different places in the stream.
        let killPoints = [random.next(in: 3...12), random.next(in: 15...25), random.next(in: 28...37)]
        let downtimes = (0..<3).map { _ in Duration.milliseconds(random.next(in: 0...300)) }
        let aliceSent = LockedValue<Int>(0)

        try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
            try await aliceLog.expect("connected") { $0.isConnected }
            try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for index in 0..<perSender {
                            try await aliceSession.send(text: "a\(index)")
                            aliceSent.value += 1
                            try await Task.sleep(for: .milliseconds(25))
                        }
                    }
                    group.addTask {
                        for index in 0..<perSender {
                            try await bobSession.send(text: "b\(index)")
                            try await Task.sleep(for: .milliseconds(25))
                        }
                    }
                    for (point, downtime) in zip(killPoints, downtimes) {
                        while aliceSent.value < point { try await Task.sleep(for: .milliseconds(5)) }
                        server.kill()
                        try await Task.sleep(for: downtime)
                        try await server.start(port: port)
                    }
                    try await group.waitForAll()
                }
                let expected = Set((0..<perSender).flatMap { ["a\($0)", "b\($0)"] })
                try await aliceLog.expectTexts(expected.subtracting(aliceLog.messages.compactMap(\.text)))
                try await bobLog.expectTexts(expected.subtracting(bobLog.messages.compactMap(\.text)))

                for (name, log) in [("alice", aliceLog), ("bob", bobLog)] {
                    let texts = log.messages.compactMap(\.text)
                    #expect(texts.count == 2 * perSender, "\(name) saw duplicates: \(texts)")
                    #expect(texts.filter { $0.hasPrefix("a") } == (0..<perSender).map { "a\($0)" }, "\(name): a order")
                    #expect(texts.filter { $0.hasPrefix("b") } == (0..<perSender).map { "b\($0)" }, "\(name): b order")
                    #expect(log.messages.map(\.seq) == (1...UInt64(2 * perSender)).map { $0 }, "\(name): dense seq")
                    #expect(!log.events.contains { if case .sendFailed = $0 { true } else { false } })
                    #expect(log.events.contains { $0.isReconnecting }, "\(name) went through the crashes")
                }
                #expect(aliceLog.messages.map(\.id) == bobLog.messages.map(\.id), "one order on both sides")
                // Every acknowledged send is in both transcripts, and every send was acknowledged exactly once.
                let acked = aliceLog.events.compactMap(\.acknowledgedSeq)
                #expect(acked.count == perSender)
                #expect(Set(acked.map(\.1)).isSubset(of: Set(bobLog.messages.compactMap(\.seq))))
                let ownEchoes = aliceLog.messages.filter { $0.senderID == aliceMatch.userID }
                #expect(ownEchoes.allSatisfy { $0.localID != nil }, "alice's echoes carry their local ids")
            }
        }
    }
}

/// SplitMix64, so each seed picks the same kill points every run.
struct CrashRandom {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }

    mutating func next(in range: ClosedRange<Int>) -> Int {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return range.lowerBound + Int(z % UInt64(range.count))
    }
}
