import ChatProtocol

/// How a websocket speaks: v1 JSON text frames, or v2 in one of its two encodings (PROTOCOL.md §2.1).
enum ConnectionKind: Hashable, Sendable {
    case v1
    case v2(FrameEncoding)
}

/// Something that happened in a channel, rendered per connection: v1 frames to v1 sockets, v2 pushes to v2 sockets
/// (PROTOCOL.md §12).
enum ChannelEvent: Sendable {
    /// A stored text or file message.
    case message(StoredMessage)
    /// WAITING, JOINED, OFFLINE or LEFT; v1 gets `waiting`, `joined`, `offline`, `leaved`.
    case presence(V2.PresenceEvent)
    /// A typing indicator; v1 gets `istyping`/`endtyping` (every v1 socket, the typist's included); v2 sockets
    /// other than `except` get `typing{user_id, typing}`.
    case typing(UserID, Bool, time: Int64, except: Int?)
    /// A read receipt: the v2 push (when the reader's marker advanced) and the v1 seen events (one per message).
    case seen(V2.SeenEvent?, v1: [V1.Message])

    /// One rendering of an event: a single frame (a message, presence, typing) or several (v1 seen events).
    enum Frames {
        case one([UInt8])
        case many([[UInt8]])
    }

    /// ``frames(for:keepingClientMessageID:ids:)`` without the array around a message's single frame.
    func rendering(for kind: ConnectionKind, keepingClientMessageID: Bool, ids: IDGenerator) -> Frames {
        guard case .message(let message) = self else {
            return .many(self.frames(for: kind, keepingClientMessageID: keepingClientMessageID, ids: ids))
        }
        switch kind {
        case .v1:
            var frame = message.v1
            frame.seen = false
            return .one(frame.jsonBytes())
        case .v2(let encoding):
            let push = V2.ChatServerFrame(
                id: 0,
                body: .message(message.v2(keepingClientMessageID: keepingClientMessageID))
            )
            return .one(V2Wire.encode(push, encoding))
        }
    }

    /// The frames for one kind of connection (v1 action frames get a fresh message id each time); a v2 message keeps
    /// its `client_msg_id` when `keepingClientMessageID` (see ``ChannelHub/broadcast(_:to:acknowledgedOn:)``).
    func frames(for kind: ConnectionKind, keepingClientMessageID: Bool, ids: IDGenerator) -> [[UInt8]] {
        switch kind {
        case .v1:
            return self.v1Frames(ids: ids).map { $0.jsonBytes() }
        case .v2(let encoding):
            return self.v2Pushes(keepingClientMessageID: keepingClientMessageID).map {
                V2Wire.encode(V2.ChatServerFrame(id: 0, body: $0), encoding)
            }
        }
    }

    /// Whether `viewer`'s rendering can differ from other users' (a message's `client_msg_id` goes to its author
    /// only, RC-CHAT-SEND-3).
    func isAuthored(by viewer: UserID) -> Bool {
        if case .message(let message) = self { return message.userID == viewer }
        return false
    }

    private func v1Frames(ids: IDGenerator) -> [V1.Message] {
        func action(_ action: V1.Action, _ user: UserID, _ time: Int64) -> V1.Message {
            V1.Message(
                messageID: MessageID(ids.next()),
                event: .action,
                userID: user,
                payload: action.rawValue,
                seen: false,
                time: time
            )
        }
        switch self {
        case .message(let message):
            var frame = message.v1
            frame.seen = false
            return [frame]
        case .presence(let event):
            let name: V1.Action
            switch event.kind {
            case .waiting: name = .waiting
            case .joined: name = .joined
            case .offline: name = .offline
            case .left: name = .left
            default: return []
            }
            return [action(name, event.userID, event.time)]
        case .typing(let user, let typing, let time, _):
            return [action(typing ? .isTyping : .endTyping, user, time)]
        case .seen(_, let v1):
            return v1
        }
    }

    private func v2Pushes(keepingClientMessageID: Bool) -> [V2.ChatServerFrame.Body] {
        switch self {
        case .message(let message): [.message(message.v2(keepingClientMessageID: keepingClientMessageID))]
        case .presence(let event): [.presence(event)]
        case .typing(let user, let typing, _, _): [.typing(V2.TypingEvent(userID: user, typing: typing))]
        case .seen(let event, _): event.map { [.seen($0)] } ?? []
        }
    }

    /// The connection that must not receive the v2 rendering (the typist's own).
    var excludedConnection: Int? {
        if case .typing(_, _, _, let except) = self { return except }
        return nil
    }
}

/// Encoding helpers for v2 frames and close reasons.
enum V2Wire {
    /// A chat server frame in the connection's encoding.
    static func encode(_ frame: V2.ChatServerFrame, _ encoding: FrameEncoding) -> [UInt8] {
        encoding == .protobuf ? frame.protobufBytes() : frame.jsonBytes()
    }

    /// A match server frame in the connection's encoding.
    static func encode(_ frame: V2.MatchServerFrame, _ encoding: FrameEncoding) -> [UInt8] {
        encoding == .protobuf ? frame.protobufBytes() : frame.jsonBytes()
    }

    /// The `Error` of the table row of `code` (§8.1), with optional retry advice.
    static func error(_ code: ChatError.Code, retryAfterMs: UInt32 = 0) -> V2.Error {
        let mapping = code.mapping
        return V2.Error(
            code: V2.Error.Code(code),
            message: mapping.message,
            temporary: mapping.isTemporary,
            retryAfterMs: retryAfterMs
        )
    }

    /// The close reason of RC-CLOSE-1: `{"code":"<wire name>"}` plus `retry_after_ms` when advised.
    static func closeReason(_ code: ChatError.Code, retryAfterMs: UInt32 = 0) -> String {
        retryAfterMs > 0
            ? #"{"code":"\#(code.wireName)","retry_after_ms":\#(retryAfterMs)}"#
            : #"{"code":"\#(code.wireName)"}"#
    }

    /// The close code of `code`'s table row (1011 when it has none).
    static func closeCode(_ code: ChatError.Code) -> WebSocketCloseCode {
        code.mapping.closeCode ?? .internalError
    }
}
