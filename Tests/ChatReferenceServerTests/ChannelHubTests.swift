import ChatProtocol
import Synchronization
import Testing

@testable import ChatReferenceServer

/// The hub's fan-out: every socket of a channel in join order, each protocol's rendering made once, and the v2
/// author's own copy of a message with its `client_msg_id`.
@Suite("Channel hub")
struct ChannelHubTests {
    /// Appends what it is given to a log shared by every socket of a test, so the log shows the delivery order.
    private final class Log: Sendable {
        let entries = Mutex<[(socket: Int, frame: [UInt8])]>([])
    }

    private final class RecordingSink: OutboxSink {
        let index: Int
        let log: Log

        init(index: Int, log: Log) {
            self.index = index
            self.log = log
        }

        func deliver(_ item: Outbox.Item) {
            if case .frame(let bytes, _, _) = item { self.log.entries.withLock { $0.append((self.index, bytes)) } }
        }

        func closeRequested(overflowed: Bool) {}
        func finish() {}
    }

    private static func message(from user: UserID) -> StoredMessage {
        StoredMessage(
            messageID: MessageID(77),
            seq: 1,
            event: .text,
            userID: user,
            payload: "hello",
            seen: false,
            time: 1,
            clientMessageID: "key-1"
        )
    }

    @Test("a message reaches every socket in join order (a few sockets, and more than eight)", arguments: [3, 12])
    func joinOrder(sockets: Int) throws {
        let hub = ChannelHub(ids: IDGenerator(machineID: 1))
        let log = Log()
        let channel = ChannelID(5)
        let author = UserID(1)
        for index in 0..<sockets {
            let sink = RecordingSink(index: index, log: log)
            let user = index.isMultiple(of: 2) ? author : UserID(2)
            let kind: ConnectionKind = index % 3 == 0 ? .v1 : (index % 3 == 1 ? .v2(.json) : .v2(.protobuf))
            _ = try #require(hub.join(channel, user: user, kind: kind, outbox: Outbox(capacity: 8, sink: sink)))
        }
        hub.broadcast(.message(Self.message(from: author)), to: channel)
        let delivered = log.entries.withLock { $0 }
        #expect(delivered.map(\.socket) == Array(0..<sockets))
        for (socket, frame) in delivered {
            let isAuthor = socket.isMultiple(of: 2)
            switch socket % 3 {
            case 0:
                // v1: the same frame for everyone, without client_msg_id.
                let decoded = try V1.Message(jsonBytes: frame)
                #expect(decoded.messageID == MessageID(77) && decoded.payload == "hello")
                #expect(!String(decoding: frame, as: UTF8.self).contains("key-1"))
            case 1:
                #expect(String(decoding: frame, as: UTF8.self).contains("key-1") == isAuthor)
            default:
                #expect(frame.contains(Array("key-1".utf8)) == isAuthor)
            }
        }
    }
}

extension ChannelHubTests {
    @Test(
        "the acknowledged socket's copy leaves out the client_msg_id; the author's other sockets keep it",
        arguments: [ConnectionKind.v2(.protobuf), .v2(.json)]
    )
    func acknowledgedSocket(kind: ConnectionKind) throws {
        let hub = ChannelHub(ids: IDGenerator(machineID: 1))
        let log = Log()
        let channel = ChannelID(5)
        let author = UserID(1)
        // Socket 0: the author's, which sent the message and got its ack; 1: the peer's; 2: the author's other.
        var ids: [Int] = []
        for (index, user) in [author, UserID(2), author].enumerated() {
            let sink = RecordingSink(index: index, log: log)
            ids.append(try #require(hub.join(channel, user: user, kind: kind, outbox: Outbox(capacity: 8, sink: sink))))
        }
        hub.broadcast(.message(Self.message(from: author)), to: channel, acknowledgedOn: ids[0])
        let delivered = log.entries.withLock { $0 }
        #expect(delivered.map(\.socket) == [0, 1, 2])
        #expect(delivered.map { $0.frame.contains(Array("key-1".utf8)) } == [false, false, true])
        #expect(delivered[0].frame == delivered[1].frame, "the acknowledged socket gets the peer's rendering")
        // Without an ack (a send with id 0) every socket of the author gets the key.
        log.entries.withLock { $0.removeAll() }
        hub.broadcast(.message(Self.message(from: author)), to: channel)
        #expect(log.entries.withLock { $0.map { $0.frame.contains(Array("key-1".utf8)) } } == [true, false, true])
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count <= self.count else { return false }
        return (0...(self.count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
