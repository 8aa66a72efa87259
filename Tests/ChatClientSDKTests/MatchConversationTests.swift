import Foundation
import Testing

@testable import ChatClientSDK

/// ``MatchConversation`` (the client's v2 match state machine, §5.4) step by step, and the ``ConversationDriver`` that
/// runs a conversation over a ``WebSocketIO`` for transports without an event loop of their own.
@Suite("SDK: the v2 match conversation")
struct MatchConversationTests {
    /// What the conversation did to its link.
    final class LinkLog: @unchecked Sendable {
        var sent: [V2.MatchClientFrame] = []
        var closed: (code: UInt16, reason: String?)?
        /// The close was ``ConversationLink/closeWithoutWaiting``.
        var returnedAtOnce = false
        var silence: [Duration?] = []
        var farewell: (message: WebSocketMessage?, isReply: @Sendable (WebSocketMessage) -> Bool)?
        /// What the link says about writing: `false` plays a server that does not read.
        var writable = true

        func link(subprotocol: String?) -> ConversationLink {
            ConversationLink(
                subprotocol: subprotocol,
                send: { message in
                    guard case .text(let text) = message else {
                        Issue.record("not JSON text: \(message)")
                        return
                    }
                    do {
                        self.sent.append(try V2.MatchClientFrame(jsonBytes: Array(text.utf8)))
                    } catch {
                        Issue.record("undecodable: \(text)")
                    }
                },
                close: { code, reason in self.closed = (code, reason) },
                closeWithoutWaiting: { code, reason in
                    self.closed = (code, reason)
                    self.returnedAtOnce = true
                },
                abort: { Issue.record("aborted") },
                setFarewell: { message, _, isReply in self.farewell = (message, isReply) },
                setSilenceTimeout: { self.silence.append($0) },
                isWritable: { self.writable }
            )
        }
    }

    static let hello =
        #"{"hello":{"version":2,"server":"t","ping_interval_ms":5000,"match_wait_timeout_ms":300000,"#
        + #""match_confirm_timeout_ms":10000}}"#
    static let proposed = #"{"proposed":{"match_id":"77","peer_id":"8","confirm_timeout_ms":10000}}"#
    static let matched =
        #"{"matched":{"match_id":"77","channel_id":"99","peer_id":"8","access_token":"t.o.k","#
        + #""token_expires_at":"1700086400000"}}"#

    static func conversation(leaving: String? = nil, acceptsV1: Bool = true) -> MatchConversation {
        MatchConversation(leaving: leaving, offer: ["rc.v2.json"], acceptsV1: acceptsV1, farewellTimeout: .seconds(2))
    }

    @Test("hello → enqueue (cancel armed as the farewell), proposed → confirm, matched → close 1000 with the match")
    func happyPath() throws {
        let conversation = Self.conversation()
        let log = LinkLog()
        let link = log.link(subprotocol: "rc.v2.json")
        conversation.opened(link)
        #expect(log.silence == [.seconds(35)], "ping interval 25 s until hello says, + 10 s (RC-CLIENT-DEAD-1)")
        conversation.received(.text(Self.hello), link)
        #expect(log.silence.last == .seconds(15), "hello's 5 s + 10 s")
        let enqueue = try #require(log.sent.first)
        guard case .enqueue = enqueue.command else {
            Issue.record("not enqueue: \(enqueue)")
            return
        }
        let farewell = try #require(log.farewell)
        let cancel = try #require(farewell.message)
        #expect(farewell.isReply(.text(#"{"id":\#(enqueue.id + 1),"ok":{}}"#)), "the reply to the armed cancel")
        #expect(!farewell.isReply(.text(#"{"id":\#(enqueue.id),"ok":{}}"#)))
        guard case .text(let cancelText) = cancel,
            case .cancel = try V2.MatchClientFrame(jsonBytes: Array(cancelText.utf8)).command
        else {
            Issue.record("the farewell is not cancel: \(cancel)")
            return
        }

        conversation.received(.text(#"{"id":\#(enqueue.id),"queued":{"ticket_id":"5","wait_timeout_ms":1}}"#), link)
        guard case .queued(viaNext: false) = conversation.outcome.value else {
            Issue.record("not queued")
            return
        }
        conversation.received(.text(Self.proposed), link)
        #expect(log.sent.count == 2)
        guard case .confirm(let confirm) = log.sent[1].command else {
            Issue.record("not confirm")
            return
        }
        #expect(confirm.matchID == 77)
        #expect(log.closed == nil)
        conversation.received(.text(Self.matched), link)
        #expect(log.closed?.code == 1000)
        #expect(log.returnedAtOnce, "match() does not wait a round trip for the server's close")
        #expect(log.farewell?.message == nil, "nothing left to cancel")
        guard case .matched(let matched) = conversation.outcome.value else {
            Issue.record("not matched")
            return
        }
        #expect(matched.channelID == ChannelID(99) && matched.peerID == UserID(8) && matched.accessToken == "t.o.k")
    }

    @Test("next: hello is answered with next and the old token; a server ping with a pong")
    func nextAndPing() throws {
        let conversation = Self.conversation(leaving: "old.token")
        let log = LinkLog()
        let link = log.link(subprotocol: "rc.v2.json")
        conversation.opened(link)
        conversation.received(.text(Self.hello), link)
        guard case .next(let next) = log.sent.first?.command else {
            Issue.record("not next")
            return
        }
        #expect(next.accessToken == "old.token")
        conversation.received(.text(#"{"ping":{}}"#), link)
        guard case .pong = log.sent.last?.command else {
            Issue.record("not pong")
            return
        }
    }

    @Test("server pings while the server does not read get no pong; the next one once it reads does")
    func noPongWhileNotWritable() {
        let conversation = Self.conversation()
        let log = LinkLog()
        let link = log.link(subprotocol: "rc.v2.json")
        conversation.opened(link)
        conversation.received(.text(Self.hello), link)
        let before = log.sent.count
        log.writable = false
        for _ in 0..<1000 { conversation.received(.text(#"{"ping":{}}"#), link) }
        #expect(log.sent.count == before, "nothing written behind a server that does not read")
        log.writable = true
        conversation.received(.text(#"{"ping":{}}"#), link)
        #expect(log.sent.count == before + 1)
        #expect(log.sent.last?.command == .pong(V2.Pong()))
    }

    @Test("an undecodable frame closes with 1002 and fails with protocolViolation")
    func undecodable() {
        let conversation = Self.conversation()
        let log = LinkLog()
        let link = log.link(subprotocol: "rc.v2.json")
        conversation.opened(link)
        conversation.received(.text("{not json"), link)
        #expect(log.closed?.code == 1002)
        guard case .failed(let error) = conversation.outcome.value else {
            Issue.record("not failed")
            return
        }
        #expect(error.code == .protocolViolation)
    }

    @Test("a 101 without a subprotocol: with v1 accepted the socket waits for the v1 token; without, it closes 4503")
    func v1Server() throws {
        let conversation = Self.conversation()
        let log = LinkLog()
        let link = log.link(subprotocol: nil)
        conversation.opened(link)
        #expect(log.closed == nil && log.silence.isEmpty, "a v1 server sends no v2 pings")
        guard case .answeredV1 = conversation.outcome.value else {
            Issue.record("not answeredV1")
            return
        }
        conversation.received(.text(#"{"access_token":"v1.token","peer_id":"8"}"#), link)
        guard case .v1Token(let result) = conversation.outcome.value else {
            Issue.record("no v1 token")
            return
        }
        #expect(result.accessToken == "v1.token" && result.peerID == UserID(8))
        #expect(log.closed?.code == 1000 && log.returnedAtOnce)

        let strict = Self.conversation(acceptsV1: false)
        let strictLog = LinkLog()
        strict.opened(strictLog.link(subprotocol: nil))
        #expect(strictLog.closed?.code == 4503)
        let other = Self.conversation()
        let otherLog = LinkLog()
        other.opened(otherLog.link(subprotocol: "rc.v3.json"))
        #expect(otherLog.closed?.code == 4503, "a token we did not offer is not v1")
    }

    @Test("over a WebSocketIO: what each call asked for is sent in order, and the close ends the connection's handler")
    func driver() async throws {
        let inbound = [Self.hello, Self.proposed, Self.matched, #"{"ping":{}}"#].map { WebSocketMessage.text($0) }
        let remaining = LockedBox(inbound)
        let sent = LockedBox<[String]>([])
        let closed = LockedBox<UInt16?>(nil)
        let io = WebSocketIO(
            subprotocol: "rc.v2.json",
            receive: {
                // One task reads and sends (the driver's); the boxes only make the closures sendable.
                var messages = remaining.value
                guard !messages.isEmpty else { return nil }
                defer { remaining.value = messages }
                return messages.removeFirst()
            },
            send: { message in
                if case .text(let text) = message { sent.value.append(text) }
            },
            close: { code, _ in closed.value = code }
        )
        let conversation = Self.conversation()
        try await ConversationDriver(io: io).run(conversation)
        let commands = try sent.value.map { try V2.MatchClientFrame(jsonBytes: Array($0.utf8)).command }
        #expect(commands.count == 2)
        guard case .enqueue = commands.first, case .confirm = commands.last else {
            Issue.record("not enqueue then confirm: \(commands)")
            return
        }
        #expect(closed.value == 1000)
        #expect(remaining.value.count == 1, "nothing is read after matched")
        guard case .matched = conversation.outcome.value else {
            Issue.record("not matched")
            return
        }
    }
}
