import ChatClientSDK
import Testing

@testable import ChatReferenceServer

@Suite("End to end: history pages, scroll-to-unseen, and a store across restarts", .serialized, .timeLimit(.minutes(1)))
struct HistoryAndStoreTests {
    @Test("history is an async sequence of pages, newest first; the first unseen message is the oldest unseen one")
    func historyPages() async throws {
        let twoPerPage: (inout ServerConfiguration) -> Void = { $0.limits.historyPageSize = 2 }
        try await InProcessServer.with(configure: twoPerPage) { server in
            let alice = ChatClient(configuration: testConfiguration(server.baseURL))
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                for index in 1...5 {
                    try await bobSession.send(text: "m\(index)")
                    try await bobLog.expectText("m\(index)")
                }
            }
            try await alice.withRecordedSession(aliceMatch) { aliceSession, aliceLog in
                // A fresh session delivers the channel's messages it missed, across pages, oldest first.
                try await aliceLog.expectTexts(["m1", "m2", "m3", "m4", "m5"])
                #expect(aliceLog.messages.compactMap(\.text) == ["m1", "m2", "m3", "m4", "m5"])

                var pages: [[String]] = []
                for try await page in aliceSession.history() {
                    pages.append(page.messages.compactMap(\.text))
                }
                #expect(pages.flatMap { $0 } == ["m5", "m4", "m3", "m2", "m1"])
                #expect(pages.count >= 3)

                // Nothing seen yet: scroll to the oldest unseen message (upstream's walk crashed here, D31).
                #expect(try await aliceSession.firstUnseenMessage()?.text == "m1")
                let m3 = try #require(aliceLog.messages.first { $0.text == "m3" })
                try await aliceSession.markSeen(m3)
                #expect(try await eventually { try await aliceSession.firstUnseenMessage()?.text == "m4" })
            }
        }
    }

    @Test("a v1 session back-fills at most the newest 10,000 missed messages; the older ones stay in history")
    func backfillIsBounded() async throws {
        let uncapped: (inout ServerConfiguration) -> Void = { $0.limits.maxMessagesPerChannel = 20_000 }
        try await InProcessServer.with(configure: uncapped) { server in
            var configuration = testConfiguration(server.baseURL)
            configuration.protocolPreference = [.v1]
            let alice = ChatClient(configuration: configuration)
            let bob = ChatClient(configuration: configuration)
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            // A long channel, as a server without a cap holds: 10,050 messages (three v1 history pages of 5,000).
            for index in 1...10_050 {
                let message = StoredMessage(
                    messageID: MessageID(server.state.ids.next()),
                    seq: 0,
                    event: .text,
                    userID: bobMatch.userID,
                    payload: "m\(index)",
                    seen: false,
                    time: 1_700_000_000_000 + Int64(index),
                    clientMessageID: nil
                )
                _ = try server.state.storage.appendMessage(message, channel: aliceMatch.channelID, cap: 20_000)
            }
            try await alice.withRecordedSession(aliceMatch) { _, aliceLog in
                try await aliceLog.expectText("m10050")
                let texts = aliceLog.messages.compactMap(\.text)
                #expect(texts.count == 10_000)
                #expect(texts.first == "m51" && texts.last == "m10050")
            }
        }
    }

    @Test("a store carries a transcript across a restart: only messages that arrived meanwhile are delivered")
    func storeAcrossRestart() async throws {
        try await InProcessServer.with { server in
            let store = ChatMemoryStore()
            var configuration = testConfiguration(server.baseURL)
            configuration.store = store
            let alice = ChatClient(configuration: configuration)
            let bob = ChatClient(configuration: testConfiguration(server.baseURL))
            let (aliceMatch, bobMatch) = try await matchPair(alice, bob)
            try await bob.withRecordedSession(bobMatch) { bobSession, bobLog in
                try await bobLog.expect("connected") { $0.isConnected }
                try await alice.withRecordedSession(aliceMatch) { _, aliceLog in
                    try await aliceLog.expect("connected") { $0.isConnected }
                    try await bobSession.send(text: "first")
                    try await aliceLog.expectText("first")
                }
                // The app is closed; bob keeps talking.
                try await bobSession.send(text: "while away")
                try await bobLog.expectText("while away")
            }
            #expect(await store.messages(in: aliceMatch.channelID).compactMap(\.text) == ["first"])
            #expect(await store.matches() == [aliceMatch])

            // "Restart": a new client, same store and saved match.
            var restarted = testConfiguration(server.baseURL)
            restarted.store = store
            restarted.sessionCookie = alice.sessionCookie
            let again = ChatClient(configuration: restarted)
            let saved = try #require(await store.matches().first)
            try await again.withRecordedSession(saved) { _, log in
                try await log.expectText("while away")
                #expect(log.messages.compactMap(\.text) == ["while away"], "'first' is not delivered twice")
            }
            #expect(await store.messages(in: aliceMatch.channelID).compactMap(\.text) == ["first", "while away"])
        }
    }
}
