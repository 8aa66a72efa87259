import Testing

@testable import ChatClientSDK

/// The frames a v2 session handles on the event loop (``ChatSession/isHandledOnLoop(_:)``) must never need the
/// connection's task: their outcome is events and a writer wake-up only, whatever the session's state.
@Suite("V2 session: the frames handled on the event loop")
struct V2OnLoopTests {
    let me = UserID(1)
    let peer = UserID(2)

    func push(_ seq: UInt64) -> V2.ChatServerFrame {
        let message = V2.ChatMessage(messageID: MessageID(100 + seq), seq: seq, userID: self.peer, content: .text("m"))
        return V2.ChatServerFrame(body: .message(message))
    }

    /// A state whose connection is active (hello, resumed) with send `k1` written as frame `sendID`.
    func activeState() throws -> (V2SessionState, sendID: UInt32) {
        var state = V2SessionState(selfID: self.me)
        let connection = state.beginConnection()
        try state.enqueueText("mine", localID: 1, key: "k1")
        let resume = try state.receiveHello(connection: connection)
        let resumed = V2.Resumed(resumed: true, epoch: "e1", lastSeq: 0)
        _ = state.handle(V2.ChatServerFrame(id: resume.id, body: .resumed(resumed)), now: 0)
        let sendFrame = state.nextFrame(connection: connection, now: 0)
        let send = try #require(sendFrame)
        return (state, send.id)
    }

    @Test("messages (with a gap too), acks, typing, seen, presence and pings yield only events and wake-ups")
    func onLoopFramesNeedNoTask() throws {
        var (state, sendID) = try self.activeState()
        let frames: [V2.ChatServerFrame] = [
            self.push(1),
            self.push(3),  // a hole at 2: a resume is queued (wake-up), no reconnect
            self.push(1),  // a duplicate
            V2.ChatServerFrame(id: sendID, body: .ack(V2.Ack(clientMessageID: "k1", seq: 4))),
            V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: self.peer, typing: true))),
            V2.ChatServerFrame(body: .typing(V2.TypingEvent(userID: self.peer, typing: false))),
            V2.ChatServerFrame(body: .seen(V2.SeenEvent(userID: self.peer, upToSeq: 4))),
            V2.ChatServerFrame(body: .presence(V2.PresenceEvent(kind: .offline, userID: self.peer))),
            V2.ChatServerFrame(body: .presence(V2.PresenceEvent(kind: .joined, userID: self.peer))),
            V2.ChatServerFrame(body: .presence(V2.PresenceEvent(kind: .waiting, userID: self.me))),
            V2.ChatServerFrame(body: .ping(V2.Ping())),
        ]
        var events: [ChatEvent] = []
        for (index, frame) in frames.enumerated() {
            #expect(ChatSession.isHandledOnLoop(frame), "frame \(index)")
            let outcome = state.handle(frame, now: 10)
            #expect(!outcome.connected && outcome.refreshedToken == nil && outcome.reconnect == nil, "frame \(index)")
            #expect(outcome.leaveReply == nil && outcome.backfillAfterSeq == nil, "frame \(index)")
            events += outcome.events
        }
        #expect(!events.contains { if case .left = $0 { true } else { false } })
        #expect(events.contains { if case .sendAcknowledged = $0 { true } else { false } }, "the ack is an event")
    }

    @Test("hello, resumed, errors, replies, token refreshes and the channel's end go to the connection's task")
    func otherFramesGoToTheTask() {
        let frames: [V2.ChatServerFrame] = [
            V2.ChatServerFrame(body: .hello(V2.Hello(version: 2, epoch: "e1"))),
            V2.ChatServerFrame(id: 3, body: .resumed(V2.Resumed(resumed: false, epoch: "e1", lastSeq: 9))),
            V2.ChatServerFrame(id: 3, body: .error(V2.Error(code: V2.Error.Code(.invalidState), message: "no"))),
            V2.ChatServerFrame(id: 4, body: .ok(V2.Ok())),
            V2.ChatServerFrame(body: .tokenRefreshed(V2.TokenRefreshed(accessToken: "t", expiresAt: 1))),
            V2.ChatServerFrame(body: .presence(V2.PresenceEvent(kind: .left, userID: self.peer))),
        ]
        for frame in frames { #expect(!ChatSession.isHandledOnLoop(frame), "\(frame)") }
    }
}
