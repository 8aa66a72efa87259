import Foundation

/// The two v2 encodings (PROTOCOL.md §2.1, §11).
public enum V2Encoding: String, Sendable, CaseIterable {
    /// `rc.v2.json`: proto3 JSON in text frames.
    case json = "rc.v2.json"
    /// `rc.v2.proto`: protobuf in binary frames.
    case proto = "rc.v2.proto"
}

/// The suite's own, minimal view of the v2 schema (§11.4), independent of any implementation's codec: frames are
/// handled as JSON-shaped dictionaries (snake_case keys, 64-bit integers as decimal strings, enums as names) and
/// translated to and from protobuf with this table, so one scenario body drives both encodings.
enum V2Schema {
    indirect enum FieldType {
        case u64, i64, u32, bool, string
        /// A string member of a oneof: written even when empty.
        case oneofString
        case enumeration([Int: String])
        case message(Message)
        case repeatedMessage(Message)
    }

    struct Field {
        var number: Int
        var name: String
        var type: FieldType
    }

    final class Message: Sendable {
        let fields: [Field]

        init(fields: [(Int, String, FieldType)]) {
            self.fields = fields.map { Field(number: $0.0, name: $0.1, type: $0.2) }
        }
    }

    static let empty = Message(fields: [])

    static let errorCodes: [Int: String] = {
        let names = [
            "INVALID_PARAMETER", "UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED", "SESSION_NOT_FOUND",
            "USER_NOT_FOUND", "CHANNEL_NOT_FOUND", "CHANNEL_CLOSED", "NOT_FOUND", "RATE_LIMITED", "MESSAGE_TOO_LARGE",
            "MESSAGE_CAP_REACHED", "UPLOAD_TOO_LARGE", "FILE_NOT_READABLE", "NO_FILE_RECEIVED", "UPLOAD_FAILED",
            "PROTOCOL_VIOLATION", "UNSUPPORTED_VERSION", "MATCH_TIMEOUT", "SLOW_CONSUMER", "PING_TIMEOUT",
            "SERVER_SHUTTING_DOWN", "SERVER_ERROR",
        ]
        return Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.offset + 1, $0.element) })
            .merging([28: "UPLOAD_QUOTA_EXCEEDED", 29: "BLOCK_LIMIT_REACHED"]) { old, _ in old }
    }()

    static let error = Message(fields: [
        (1, "code", .enumeration(errorCodes)), (2, "msg", .string), (3, "temporary", .bool),
        (4, "retry_after_ms", .u32),
    ])
    static let limits = Message(fields: [
        (1, "max_frame_bytes", .u32), (2, "max_text_bytes", .u32), (3, "max_upload_bytes", .u64),
        (4, "history_page_default", .u32), (5, "history_page_max", .u32), (6, "max_messages_per_channel", .u32),
        (7, "max_queued_frames", .u32), (8, "max_inflight_sends", .u32), (9, "typing_min_interval_ms", .u32),
        (10, "typing_timeout_ms", .u32), (11, "max_sends_per_second", .u32), (12, "max_channel_upload_bytes", .u64),
        (13, "max_files_per_upload", .u32), (14, "max_blocks_per_user", .u32),
    ])
    static let hello = Message(fields: [
        (1, "version", .u32), (2, "server", .string), (3, "limits", .message(limits)), (4, "ping_interval_ms", .u32),
        (5, "resume_window_ms", .u32), (6, "user_id", .u64), (7, "channel_id", .u64), (8, "epoch", .string),
        (9, "last_seq", .u64), (10, "token_expires_at", .i64), (11, "match_wait_timeout_ms", .u32),
        (12, "match_confirm_timeout_ms", .u32),
    ])
    static let fileRef = Message(fields: [
        (1, "file_name", .string), (2, "object_key", .string), (3, "size", .u64), (4, "content_type", .string),
    ])
    static let chatMessage = Message(fields: [
        (1, "message_id", .u64), (2, "seq", .u64), (3, "user_id", .u64), (4, "text", .oneofString),
        (5, "file", .message(fileRef)), (6, "time", .i64), (7, "client_msg_id", .string), (8, "seen", .bool),
    ])
    static let historyPage = Message(fields: [
        (1, "messages", .repeatedMessage(chatMessage)), (2, "has_more", .bool), (3, "epoch", .string),
        (4, "last_seq", .u64),
    ])
    static let presence = Message(fields: [
        (1, "kind", .enumeration([1: "WAITING", 2: "JOINED", 3: "OFFLINE", 4: "LEFT"])), (2, "user_id", .u64),
        (3, "time", .i64),
    ])

    static let chatClientFrame = Message(fields: [
        (1, "id", .u32),
        (
            2, "send",
            .message(
                Message(fields: [
                    (1, "client_msg_id", .string), (2, "text", .oneofString), (3, "file", .message(fileRef)),
                ])
            )
        ),
        (3, "resume", .message(Message(fields: [(1, "after_seq", .u64), (2, "epoch", .string)]))),
        (4, "typing", .message(Message(fields: [(1, "typing", .bool)]))),
        (5, "seen", .message(Message(fields: [(1, "up_to_seq", .u64)]))),
        (6, "leave", .message(empty)), (7, "refresh_token", .message(empty)), (8, "pong", .message(empty)),
        (9, "ping", .message(empty)),
    ])
    static let chatServerFrame = Message(fields: [
        (1, "id", .u32), (2, "error", .message(error)), (3, "ok", .message(empty)),
        (
            4, "ack",
            .message(
                Message(fields: [
                    (1, "client_msg_id", .string), (2, "seq", .u64), (3, "time", .i64), (4, "message_id", .u64),
                ])
            )
        ),
        (
            5, "resumed",
            .message(
                Message(fields: [
                    (1, "resumed", .bool), (2, "reason", .string), (3, "epoch", .string), (4, "last_seq", .u64),
                ])
            )
        ),
        (6, "token_refreshed", .message(Message(fields: [(1, "access_token", .string), (2, "expires_at", .i64)]))),
        (7, "hello", .message(hello)), (8, "message", .message(chatMessage)), (9, "presence", .message(presence)),
        (10, "typing", .message(Message(fields: [(1, "user_id", .u64), (2, "typing", .bool)]))),
        (11, "seen", .message(Message(fields: [(1, "user_id", .u64), (2, "up_to_seq", .u64), (3, "time", .i64)]))),
        (12, "ping", .message(empty)), (13, "pong", .message(empty)),
    ])
    static let matchClientFrame = Message(fields: [
        (1, "id", .u32), (2, "enqueue", .message(empty)), (3, "cancel", .message(empty)),
        (4, "confirm", .message(Message(fields: [(1, "match_id", .u64)]))),
        (5, "next", .message(Message(fields: [(1, "access_token", .string)]))),
        (6, "pong", .message(empty)), (7, "ping", .message(empty)),
    ])
    static let matchServerFrame = Message(fields: [
        (1, "id", .u32), (2, "error", .message(error)), (3, "ok", .message(empty)),
        (4, "queued", .message(Message(fields: [(1, "ticket_id", .u64), (2, "wait_timeout_ms", .u32)]))),
        (5, "hello", .message(hello)),
        (
            6, "proposed",
            .message(Message(fields: [(1, "match_id", .u64), (2, "peer_id", .u64), (3, "confirm_timeout_ms", .u32)]))
        ),
        (
            7, "matched",
            .message(
                Message(fields: [
                    (1, "match_id", .u64), (2, "channel_id", .u64), (3, "peer_id", .u64), (4, "access_token", .string),
                    (5, "token_expires_at", .i64),
                ])
            )
        ),
        (
            8, "voided",
            .message(Message(fields: [(1, "match_id", .u64), (2, "reason", .string), (3, "requeued", .bool)]))
        ),
        (9, "ping", .message(empty)), (10, "pong", .message(empty)),
    ])
}

/// Protobuf encoding and decoding of JSON-shaped dictionaries with a ``V2Schema/Message``.
enum ProtoCodec {
    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    static func encode(_ object: [String: Any], _ schema: V2Schema.Message) throws -> [UInt8] {
        var out: [UInt8] = []
        for field in schema.fields {
            let (number, name, type) = (field.number, field.name, field.type)
            guard let value = object[name] else { continue }
            switch type {
            case .u64, .i64:
                let text = (value as? String) ?? "\(value)"
                guard let number64 = UInt64(text) ?? Int64(text).map({ UInt64(bitPattern: $0) }) else {
                    throw DecodeError(description: "\(name): not a 64-bit integer: \(value)")
                }
                if number64 != 0 {
                    Self.tag(number, 0, &out)
                    Self.varint(number64, &out)
                }
            case .u32:
                let n = UInt64((value as? Int) ?? Int("\(value)") ?? 0)
                if n != 0 {
                    Self.tag(number, 0, &out)
                    Self.varint(n, &out)
                }
            case .bool:
                if (value as? Bool) == true {
                    Self.tag(number, 0, &out)
                    Self.varint(1, &out)
                }
            case .string, .oneofString:
                let bytes = Array(((value as? String) ?? "").utf8)
                guard !bytes.isEmpty || type.isOneof else { continue }
                Self.tag(number, 2, &out)
                Self.varint(UInt64(bytes.count), &out)
                out += bytes
            case .enumeration(let names):
                let n = names.first { $0.value == (value as? String) }?.key ?? (value as? Int) ?? 0
                if n != 0 {
                    Self.tag(number, 0, &out)
                    Self.varint(UInt64(n), &out)
                }
            case .message(let inner):
                let bytes = try Self.encode((value as? [String: Any]) ?? [:], inner)
                Self.tag(number, 2, &out)
                Self.varint(UInt64(bytes.count), &out)
                out += bytes
            case .repeatedMessage(let inner):
                for element in (value as? [[String: Any]]) ?? [] {
                    let bytes = try Self.encode(element, inner)
                    Self.tag(number, 2, &out)
                    Self.varint(UInt64(bytes.count), &out)
                    out += bytes
                }
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8], _ schema: V2Schema.Message) throws -> [String: Any] {
        var object: [String: Any] = [:]
        var offset = 0
        while offset < bytes.count {
            let key = try Self.readVarint(bytes, &offset)
            let number = Int(key >> 3)
            let wire = Int(key & 7)
            guard number > 0 else { throw DecodeError(description: "field number 0 at \(offset)") }
            var scalar: UInt64 = 0
            var payload: [UInt8] = []
            switch wire {
            case 0: scalar = try Self.readVarint(bytes, &offset)
            case 1, 5:
                let width = wire == 1 ? 8 : 4
                guard offset + width <= bytes.count else { throw DecodeError(description: "truncated") }
                offset += width
                continue
            case 2:
                let length = Int(try Self.readVarint(bytes, &offset))
                guard length >= 0, offset + length <= bytes.count else { throw DecodeError(description: "truncated") }
                payload = Array(bytes[offset..<offset + length])
                offset += length
            default: throw DecodeError(description: "wire type \(wire)")
            }
            guard let field = schema.fields.first(where: { $0.number == number }) else { continue }
            switch field.type {
            case .u64: object[field.name] = String(scalar)
            case .i64: object[field.name] = String(Int64(bitPattern: scalar))
            case .u32: object[field.name] = Int(truncatingIfNeeded: scalar)
            case .bool: object[field.name] = scalar != 0
            case .string, .oneofString:
                guard let text = String(validating: payload, as: UTF8.self) else {
                    throw DecodeError(description: "\(field.name): invalid UTF-8")
                }
                object[field.name] = text
            case .enumeration(let names): object[field.name] = names[Int(scalar)] ?? Int(scalar)
            case .message(let inner): object[field.name] = try Self.decode(payload, inner)
            case .repeatedMessage(let inner):
                object[field.name] =
                    ((object[field.name] as? [[String: Any]]) ?? []) + [try Self.decode(payload, inner)]
            }
        }
        return object
    }

    private static func tag(_ number: Int, _ wire: UInt64, _ out: inout [UInt8]) {
        Self.varint(UInt64(number) << 3 | wire, &out)
    }

    private static func varint(_ value: UInt64, _ out: inout [UInt8]) {
        var v = value
        while v > 0x7F {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func readVarint(_ bytes: [UInt8], _ offset: inout Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw DecodeError(description: "malformed varint")
    }
}

extension V2Schema.FieldType {
    fileprivate var isOneof: Bool {
        if case .oneofString = self { return true }
        return false
    }
}

/// A v2 websocket (chat or match) in one encoding: sends and receives frames as JSON-shaped dictionaries.
public final class V2Socket: Sendable {
    /// The underlying connection.
    public let connection: WSConnection
    /// The negotiated encoding.
    public let encoding: V2Encoding
    private let isChat: Bool

    init(connection: WSConnection, encoding: V2Encoding, isChat: Bool) {
        self.connection = connection
        self.encoding = encoding
        self.isChat = isChat
    }

    private var inboundSchema: V2Schema.Message { self.isChat ? V2Schema.chatServerFrame : V2Schema.matchServerFrame }
    private var outboundSchema: V2Schema.Message { self.isChat ? V2Schema.chatClientFrame : V2Schema.matchClientFrame }

    /// Sends one envelope, e.g. `["id": 3, "send": ["client_msg_id": "a", "text": "hi"]]`.
    /// - Parameter frame: The envelope.
    /// - Throws: When the connection is closed or the frame does not fit the schema.
    public func send(_ frame: [String: Any]) async throws {
        switch self.encoding {
        case .json:
            let data = try JSONSerialization.data(withJSONObject: frame)
            try await self.connection.send(String(decoding: data, as: UTF8.self))
        case .proto:
            try await self.connection.send(binary: try ProtoCodec.encode(frame, self.outboundSchema))
        }
    }

    /// The next envelope; fails on timeout, on close, on a frame of the wrong kind or one that does not decode.
    /// - Parameter timeout: How long to wait.
    /// - Returns: The envelope.
    /// - Throws: ``ScenarioFailure``.
    public func next(timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        switch try await self.connection.next(timeout: timeout) {
        case .text(let text):
            guard self.encoding == .json else {
                throw ScenarioFailure("text frame on rc.v2.proto: \(text.prefix(200))")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw ScenarioFailure("frame is not a JSON object: \(text.prefix(200))")
            }
            return object
        case .binary(let bytes):
            guard self.encoding == .proto else { throw ScenarioFailure("binary frame on rc.v2.json") }
            do {
                return try ProtoCodec.decode(bytes, self.inboundSchema)
            } catch {
                throw ScenarioFailure("undecodable protobuf frame: \(error)")
            }
        case nil:
            throw ScenarioFailure(
                "connection closed (code \(self.connection.closeCodeIfEnded.map(String.init) ?? "none"))"
            )
        }
    }

    /// Reads envelopes until one has body `body` (and satisfies `predicate`), skipping server `ping`s and other
    /// frames; fails after `timeout`.
    /// - Parameters:
    ///   - body: The body case, e.g. `"ack"`.
    ///   - timeout: The longest wait.
    ///   - predicate: A further condition on the envelope.
    /// - Returns: The envelope.
    /// - Throws: ``ScenarioFailure``.
    @discardableResult
    public func await(
        _ body: String,
        timeout: Duration = .seconds(10),
        where predicate: ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        var seen: [String] = []
        while ContinuousClock.now < deadline {
            let frame: [String: Any]
            do {
                frame = try await self.next(timeout: deadline - ContinuousClock.now)
            } catch {
                throw ScenarioFailure("no \(body) (\(error)); saw \(seen.suffix(6))")
            }
            if frame[body] != nil, predicate(frame) { return frame }
            seen.append(V2Socket.describe(frame))
        }
        throw ScenarioFailure("no \(body) within \(timeout); saw \(seen.suffix(6))")
    }

    /// Every envelope that arrives within `duration`, server pings left out.
    /// - Parameter duration: How long to listen.
    /// - Returns: The envelopes.
    /// - Throws: Cancellation.
    public func drain(for duration: Duration) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + duration
        var frames: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            guard let frame = try? await self.next(timeout: deadline - ContinuousClock.now) else { break }
            if frame["ping"] == nil { frames.append(frame) }
        }
        return frames
    }

    /// The body case and content of an envelope, for messages.
    static func describe(_ frame: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: frame, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
