import ChatProtocol
import Foundation
import SwiftProtobuf
import SwiftProtobufGenerated

/// Prepared inputs for every ``CodecOperation`` and the loop that runs one of them.
///
/// `init()` checks that the codecs under comparison agree before anything is timed: hand-written protobuf and
/// swift-protobuf produce identical bytes, hand-written JSON and Foundation produce the same members (Foundation's key
/// order differs) in the same number of bytes, and every decoder returns the sample value.
public final class CodecBench {
    private let handFrame: V2.ChatServerFrame
    private let handBytes: [UInt8]
    private let swiftProtobufFrame: Randomchat_V2_ChatServerFrame
    private let v1Message: V1.Message
    private let v1Bytes: [UInt8]
    private let foundationMessage: FoundationV1Message
    private let foundationData: Data
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()
    private var buffer: [UInt8] = []

    /// The v2 frame's protobuf encoding.
    public var protobufBytes: [UInt8] { self.handBytes }
    /// The v1 frame's JSON encoding.
    public var jsonBytes: [UInt8] { self.v1Bytes }

    /// Prepares the inputs and checks that the codecs agree.
    /// - Parameters:
    ///   - payload: The message text to use.
    ///   - withClientMessageID: Whether the v2 frame carries the sender's `client_msg_id`, as the author's copy on
    ///     its other connections does; the push a peer receives, and the one the sending connection receives after
    ///     its `ack`, have none (PROTOCOL.md RC-CHAT-SEND-3).
    /// - Throws: ``CodecMismatch`` when two codecs disagree, or a codec's own error.
    public init(payload: Samples.Payload = .ascii31, withClientMessageID: Bool = true) throws {
        let text = payload.text
        self.handFrame = Samples.handFrame(text: text, withClientMessageID: withClientMessageID)
        self.handBytes = self.handFrame.protobufBytes()
        self.swiftProtobufFrame = Samples.swiftProtobufFrame(text: text, withClientMessageID: withClientMessageID)
        self.v1Message = Samples.v1Message(text: text)
        self.v1Bytes = self.v1Message.jsonBytes()
        self.foundationMessage = Samples.foundationMessage(text: text)
        self.foundationData = try self.encoder.encode(self.foundationMessage)
        self.buffer.reserveCapacity(self.handBytes.count)

        let swiftProtobufBytes: [UInt8] = try self.swiftProtobufFrame.serializedBytes()
        try CodecMismatch.check(swiftProtobufBytes == self.handBytes, "swift-protobuf and hand-written protobuf bytes")
        // Foundation on Linux writes keys in hash order, not declaration order: same members, same length.
        try CodecMismatch.check(
            self.foundationData.count == self.v1Bytes.count
                && (try V1.Message(jsonBytes: Array(self.foundationData))) == self.v1Message,
            "Foundation and hand-written JSON: \(String(decoding: self.foundationData, as: UTF8.self)) vs "
                + String(decoding: self.v1Bytes, as: UTF8.self)
        )
        try CodecMismatch.check(
            try V2.ChatServerFrame(protobufBytes: self.handBytes) == self.handFrame,
            "hand-written protobuf round trip"
        )
        try CodecMismatch.check(
            try Randomchat_V2_ChatServerFrame(serializedBytes: self.handBytes) == self.swiftProtobufFrame,
            "swift-protobuf decoding the hand-written bytes"
        )
        try CodecMismatch.check(
            try V1.Message(jsonBytes: self.v1Bytes) == self.v1Message,
            "hand-written JSON round trip"
        )
        try CodecMismatch.check(
            try self.decoder.decode(FoundationV1Message.self, from: Data(self.v1Bytes)) == self.foundationMessage,
            "Foundation decoding the hand-written JSON"
        )
        self.handFrame.protobufBytes(into: &self.buffer)
        try CodecMismatch.check(self.buffer == self.handBytes, "hand-written protobuf into a reused buffer")
    }

    /// Runs `operation` `iterations` times.
    /// - Parameters:
    ///   - operation: The operation.
    ///   - iterations: How many times.
    /// - Returns: A checksum of the results, so the optimizer cannot drop the work.
    /// - Throws: A codec's error (none is expected: the inputs were checked in `init()`).
    @inline(never)
    public func run(_ operation: CodecOperation, iterations: Int) throws -> Int {
        var sum = 0
        switch operation {
        case .protobufHandEncode:
            for _ in 0..<iterations {
                self.buffer.removeAll(keepingCapacity: true)
                self.handFrame.protobufBytes(into: &self.buffer)
                sum &+= self.buffer.count
            }
        case .protobufHandEncodeNewArray:
            for _ in 0..<iterations {
                sum &+= self.handFrame.protobufBytes().count
            }
        case .protobufHandDecode:
            for _ in 0..<iterations {
                let frame = try V2.ChatServerFrame(protobufBytes: self.handBytes)
                if case .message(let message)? = frame.body, case .text(let text)? = message.content {
                    sum &+= Int(truncatingIfNeeded: message.messageID.rawValue) &+ text.utf8.count
                }
            }
        case .swiftProtobufEncode:
            for _ in 0..<iterations {
                let bytes: [UInt8] = try self.swiftProtobufFrame.serializedBytes()
                sum &+= bytes.count
            }
        case .swiftProtobufDecode:
            for _ in 0..<iterations {
                let frame = try Randomchat_V2_ChatServerFrame(serializedBytes: self.handBytes)
                sum &+= Int(truncatingIfNeeded: frame.message.messageID) &+ frame.message.text.utf8.count
            }
        case .jsonHandEncode:
            for _ in 0..<iterations {
                sum &+= self.v1Message.jsonBytes().count
            }
        case .jsonHandDecode:
            for _ in 0..<iterations {
                let message = try V1.Message(jsonBytes: self.v1Bytes)
                sum &+= Int(truncatingIfNeeded: message.messageID.rawValue) &+ message.payload.utf8.count
            }
        case .jsonFoundationEncode:
            for _ in 0..<iterations {
                sum &+= try self.encoder.encode(self.foundationMessage).count
            }
        case .jsonFoundationDecode:
            for _ in 0..<iterations {
                let message = try self.decoder.decode(FoundationV1Message.self, from: self.foundationData)
                sum &+= Int(truncatingIfNeeded: message.messageID) &+ message.payload.utf8.count
            }
        }
        return sum
    }
}

/// Two codecs that should agree did not: no figure from such a run means anything.
public struct CodecMismatch: Error, CustomStringConvertible {
    /// What disagreed.
    public var description: String

    static func check(_ condition: Bool, _ what: String) throws(CodecMismatch) {
        guard condition else { throw CodecMismatch(description: "codecs disagree: \(what)") }
    }
}
