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

extension Array where Element == UInt8 {
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count <= self.count else { return false }
        return (0...(self.count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
