import Testing

@testable import ChatClientSDK

extension V2SessionState {
    /// Queues text `text` as send `localID` with client message id `key` (v2 JSON limits), as `enqueueV2` would.
    mutating func enqueueText(_ text: String, localID: UInt64, key: String, maxQueued: Int = 10) throws {
        try self.enqueue(
            .text(text),
            localID: ChatLocalMessageID(rawValue: localID),
            clientMessageID: key,
            maxQueued: maxQueued,
            codec: V2FrameCodec(.v2JSON)
        )
    }

    /// A `hello` (epoch `e1`) arrives on `connection`; returns the `resume` command it queued.
    mutating func receiveHello(connection: Int) throws -> V2.ChatClientFrame {
        _ = self.handle(V2.ChatServerFrame(body: .hello(V2.Hello(version: 2, epoch: "e1"))), now: 0)
        let resume = self.nextFrame(connection: connection, now: 0)
        return try #require(resume)
    }
}
