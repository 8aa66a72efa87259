import Foundation

/// Encodes and decodes the v2 envelopes of one connection in its negotiated encoding: protobuf in binary messages,
/// JSON in text messages (RC-VER-FRAME-2).
struct V2FrameCodec: Sendable {
    let encoding: FrameEncoding

    init(_ negotiated: NegotiatedProtocol) { self.encoding = negotiated.encoding }

    func message(_ frame: V2.ChatClientFrame) -> WebSocketMessage {
        switch self.encoding {
        case .protobuf: .binary(frame.protobufBytes())
        case .json: .text(String(decoding: frame.jsonBytes(), as: UTF8.self))
        }
    }

    func message(_ frame: V2.MatchClientFrame) -> WebSocketMessage {
        switch self.encoding {
        case .protobuf: .binary(frame.protobufBytes())
        case .json: .text(String(decoding: frame.jsonBytes(), as: UTF8.self))
        }
    }

    /// The encoded size of a chat frame, for the `max_frame_bytes` check before sending.
    func size(of frame: V2.ChatClientFrame) -> Int {
        switch self.encoding {
        case .protobuf: frame.protobufSize
        case .json: frame.jsonBytes().count
        }
    }

    func chatFrame(_ message: WebSocketMessage) throws -> V2.ChatServerFrame {
        switch (message, self.encoding) {
        case (.binary(let bytes), .protobuf): return try V2.ChatServerFrame(protobufBytes: bytes)
        case (.text(let text), .json): return try V2.ChatServerFrame(jsonBytes: Array(text.utf8))
        default: throw Self.wrongKind
        }
    }

    func matchFrame(_ message: WebSocketMessage) throws -> V2.MatchServerFrame {
        switch (message, self.encoding) {
        case (.binary(let bytes), .protobuf): return try V2.MatchServerFrame(protobufBytes: bytes)
        case (.text(let text), .json): return try V2.MatchServerFrame(jsonBytes: Array(text.utf8))
        default: throw Self.wrongKind
        }
    }

    static let wrongKind = ChatError(
        code: .protocolViolation,
        message: "the server sent a websocket message of the wrong kind for the negotiated encoding"
    )
}

extension ChatError {
    /// The error a v2 `Error` frame reports.
    init(v2 error: V2.Error, closeCode: UInt16? = nil) {
        let code = error.code.chatErrorCode ?? .serverError
        self.init(
            code: code,
            message: error.message.isEmpty ? nil : error.message,
            closeCode: closeCode,
            retryAfter: error.retryAfterMs > 0 ? .milliseconds(Int64(error.retryAfterMs)) : nil
        )
    }
}

extension Duration {
    /// Whole milliseconds, never negative.
    var wholeMilliseconds: UInt64 {
        let (seconds, attoseconds) = self.components
        return UInt64(max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }
}
