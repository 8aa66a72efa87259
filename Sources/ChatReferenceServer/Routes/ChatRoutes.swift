import ChatProtocol
import Foundation
import HTTPTypes
import Hummingbird
import Prometheus

/// `/api/chat`: the chat websocket and the channel REST endpoints (upstream §3.4, §4.3).
struct ChatRoutes {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        router.webSocket("api/chat") { request, _ in
            let handshake = try await self.handshake(request)
            try request.requireWebSocketUpgrade()
            let session: any WebSocketSession =
                switch handshake {
                case .v1(let user, let channel):
                    ChatSocket(state: self.state, user: user, channel: channel)
                case .v2(let user, let channel, let encoding, let expiresAt, let revoked):
                    ChatSocketV2(
                        state: self.state,
                        user: user,
                        channel: channel,
                        encoding: encoding,
                        tokenExpiresAt: expiresAt,
                        revoked: revoked
                    )
                }
            return (handshake.responseHeaders, session)
        }
        let group = router.group("api/chat")
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete, .head, .options] {
            group.on("forwardauth", method: method) { request, _ in
                let channel = try await self.state.bearerChannel(request)
                return Response(status: .ok, headers: [.channelID: "\(channel)"])
            }
        }
        group.get("users") { request, _ in
            let channel = try await self.state.bearerChannel(request)
            let members = try await self.state.storage.members(of: channel)
            return Response.json(V1.UserIDList(userIDs: members).jsonBytes())
        }
        group.get("users/online") { request, _ in
            let channel = try await self.state.bearerChannel(request)
            return Response.json(V1.UserIDList(userIDs: self.state.hub.onlineUsers(channel)).jsonBytes())
        }
        group.get("channel/messages") { request, _ in try await self.history(request) }
        router.get("api/v2/chat/channel/messages") { request, _ in try await self.historyV2(request) }
        group.delete("channel") { request, _ in try await self.deleteChannel(request) }
    }

    /// The outcome of a chat upgrade's checks.
    enum Handshake {
        case v1(UserID, ChannelID)
        /// `expiresAt` is the token's `exp` in seconds; `revoked` means the channel was deleted (close 4501).
        case v2(UserID, ChannelID, FrameEncoding, expiresAt: Int64, revoked: Bool)

        var responseHeaders: HTTPFields {
            guard case .v2(_, _, let encoding, _, _) = self else { return [:] }
            let chosen = encoding == .protobuf ? WebSocketSubprotocol.v2Protobuf : WebSocketSubprotocol.v2JSON
            return [.secWebSocketProtocol: chosen]
        }
    }

    /// Negotiates the version (§2.2) and runs the v1 (§6.1.1) or v2 (§6.1.2) checks.
    private func handshake(_ request: Request) async throws -> Handshake {
        let offer = try request.subprotocolOffer(self.state.configuration.protocols)
        switch offer.negotiated {
        case .v2Protobuf: return try await self.handshakeV2(request, encoding: .protobuf, bearer: offer.bearerTokens)
        case .v2JSON: return try await self.handshakeV2(request, encoding: .json, bearer: offer.bearerTokens)
        default:
            let (user, channel) = try await self.handshakeV1(request)
            return .v1(user, channel)
        }
    }

    /// §6.1.2: no credentials in the URL, exactly one distinct credential, a token with `sub`, then user and
    /// membership; a deleted channel's token is upgraded and closed with 4501.
    private func handshakeV2(
        _ request: Request,
        encoding: FrameEncoding,
        bearer: [String]
    ) async throws -> Handshake {
        let query = request.uri.queryParameters
        guard query["access_token"] == nil, query["uid"] == nil else { throw ChatHTTPError(.invalidParameter) }
        var credentials = Set(bearer)
        if request.headers[.authorization] != nil {
            guard let token = request.bearerToken else { throw ChatHTTPError(.invalidToken) }
            credentials.insert(token)
        }
        guard credentials.count <= 1 else { throw ChatHTTPError(.invalidParameter) }
        guard let token = credentials.first else { throw ChatHTTPError(.invalidToken) }
        let verified: VerifiedToken
        do {
            verified = try await self.state.tokens.verifyClaims(token)
        } catch .expired {
            throw ChatHTTPError(.tokenExpired)
        } catch {
            throw ChatHTTPError(.invalidToken)
        }
        guard let user = verified.subject else { throw ChatHTTPError(.invalidToken) }
        if try await self.state.storage.channelState(verified.channel) == .deleted {
            return .v2(user, verified.channel, encoding, expiresAt: verified.expiresAt, revoked: true)
        }
        guard try await self.state.storage.user(user) != nil else { throw ChatHTTPError(.userNotFound) }
        guard try await self.state.storage.isMember(user, of: verified.channel) else {
            throw ChatHTTPError(.channelNotFound)
        }
        return .v2(user, verified.channel, encoding, expiresAt: verified.expiresAt, revoked: false)
    }

    /// The chat websocket's checks, in upstream order (§3.4.1), each answered once (D1, D7, D19).
    private func handshakeV1(_ request: Request) async throws -> (UserID, ChannelID) {
        guard let user = request.query("uid").flatMap(UserID.init(decimal:)) else {
            throw ChatHTTPError(.invalidParameter)
        }
        guard try await self.state.storage.user(user) != nil else { throw ChatHTTPError(.userNotFound) }
        let verified: VerifiedToken
        do {
            verified = try await self.state.verifiedToken(request.query("access_token"))
        } catch let error as ChatHTTPError where error.error.code == .invalidToken {
            throw ChatHTTPError(.unauthorized)  // upstream's handshake says "unauthorized" here
        }
        let channel = verified.channel
        // A browser sends its session cookie with the upgrade: when present it must name the same user (D3).
        if let sessionUser = try await self.state.optionalSessionUser(request), sessionUser != user {
            throw ChatHTTPError(.unauthorized)
        }
        // A v2 token names its user: it opens v1 sockets only for that user (§6.1.1 check 4b).
        if let subject = verified.subject, subject != user { throw ChatHTTPError(.unauthorized) }
        guard try await self.state.storage.isMember(user, of: channel) else { throw ChatHTTPError(.channelNotFound) }
        return (user, channel)
    }

    /// `GET /api/chat/channel/messages?ps=`: newest first; `ps`/`next_ps` are opaque (``HistoryPageState``); an
    /// undecodable `ps` is a 400, not upstream's 500 (D47).
    private func history(_ request: Request) async throws -> Response {
        let channel = try await self.state.bearerChannel(request)
        var before: Int64?
        if let ps = request.query("ps"), !ps.isEmpty {
            guard let seq = HistoryPageState.decode(ps) else { throw ChatHTTPError(.invalidParameter) }
            before = Int64(clamping: seq)
        }
        let page = try await self.state.storage.history(
            of: channel,
            beforeSeq: before,
            limit: self.state.configuration.limits.historyPageSize
        )
        let next = page.nextSeq.map { HistoryPageState.encode(UInt64(clamping: $0)) } ?? ""
        return .json(V1.HistoryPage(nextPageState: next, messages: page.messages).jsonBytes())
    }

    /// `GET /api/v2/chat/channel/messages` (§4.3): a v2 token; `before_seq` or `after_seq`, `limit` (default
    /// `history_page_default`, clamped to `history_page_max`, an explicit 0 is 400); ascending `seq`; protobuf when
    /// the `Accept` header asks for it, else JSON.
    private func historyV2(_ request: Request) async throws -> Response {
        let verified = try await self.state.verifiedToken(request.bearerToken)
        guard let viewer = verified.subject else { throw ChatHTTPError(.invalidToken) }
        func number(_ name: String) throws -> UInt64? {
            guard let text = request.query(name) else { return nil }
            guard let value = ChannelID(decimal: text)?.rawValue else { throw ChatHTTPError(.invalidParameter) }
            return value
        }
        let before = try number("before_seq")
        let after = try number("after_seq")
        let requested = try number("limit")
        guard before == nil || after == nil, requested != 0 else { throw ChatHTTPError(.invalidParameter) }
        let limits = self.state.configuration.limits
        let limit = Int(min(requested ?? UInt64(limits.historyPageDefault), UInt64(limits.historyPageMax)))
        let channel = verified.channel
        let storage = self.state.storage
        let position = try await storage.position(of: channel)
        let messages =
            if let after {
                try await storage.messages(of: channel, afterSeq: after, limit: limit)
            } else {
                try await storage.messages(of: channel, beforeSeq: before, limit: limit)
            }
        let hasMore: Bool =
            if let first = messages.first {
                try await storage.hasMessages(of: channel, beforeSeq: first.seq)
            } else if let before {
                try await storage.hasMessages(of: channel, beforeSeq: before)
            } else {
                false
            }
        let page = V2.HistoryPage(
            messages: messages.map { $0.v2(for: viewer) },
            hasMore: hasMore,
            epoch: position.epoch,
            lastSeq: position.lastSeq
        )
        if request.headers[.accept]?.contains("application/x-protobuf") == true {
            return Response(
                status: .ok,
                headers: [.contentType: "application/x-protobuf"],
                body: .init(byteBuffer: ByteBuffer(bytes: page.protobufBytes()))
            )
        }
        return .json(page.jsonBytes())
    }

    /// `DELETE /api/chat/channel?delby=`: broadcasts `leaved`, deletes the channel (its tokens stop working, D10),
    /// closes its sockets with 4501, answers 204 without a body (D11).
    private func deleteChannel(_ request: Request) async throws -> Response {
        let verified = try await self.state.verifiedToken(request.bearerToken)
        let channel = verified.channel
        guard let deletedBy = request.query("delby").flatMap(UserID.init(decimal:)) else {
            throw ChatHTTPError(.invalidParameter)
        }
        if let sessionUser = try await self.state.optionalSessionUser(request), sessionUser != deletedBy {
            throw ChatHTTPError(.unauthorized)
        }
        // A v2 token names its holder: only they can end the channel with it (§4.2.5).
        if let subject = verified.subject, subject != deletedBy { throw ChatHTTPError(.unauthorized) }
        guard try await self.state.storage.isMember(deletedBy, of: channel) else {
            throw ChatHTTPError(.channelNotFound, status: .badRequest)  // upstream answers 400 here
        }
        // `leaved`/LEFT, deletion (its tokens stop working, D10), then v1 sockets close with 1000 and v2 sockets
        // with CHANNEL_CLOSED + 4501 (§6.14). A concurrent end already did all of it.
        guard try await self.state.endChannel(channel, by: deletedBy) else {
            throw ChatHTTPError(.channelClosed, status: .unauthorized)
        }
        return Response(status: .noContent, headers: [.contentType: "application/json; charset=utf-8"])
    }
}

/// The v1 history page state of this server: the padded base64url of the 8-byte big-endian sequence number the next
/// page starts below, always 12 characters (`openapi/openapi.yaml` gives the pattern). Every string of that form is
/// a valid page state, so the contract can say exactly which `ps` values are accepted.
enum HistoryPageState {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes a sequence number.
    static func encode(_ seq: UInt64) -> String {
        // 64 bits + 2 zero bits = 11 sextets, then one `=`.
        let value = seq
        var chars: [UInt8] = []
        for index in 0..<11 {
            let shift = 58 - 6 * index
            let sextet = shift >= 0 ? (value >> UInt64(shift)) & 0x3F : (value << UInt64(-shift)) & 0x3F
            chars.append(Self.alphabet[Int(sextet)])
        }
        return String(decoding: chars + [UInt8(ascii: "=")], as: UTF8.self)
    }

    /// Decodes a page state, or `nil` unless it is exactly the canonical 12-character form.
    static func decode(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 12, bytes[11] == UInt8(ascii: "=") else { return nil }
        var value: UInt64 = 0
        for (index, byte) in bytes.prefix(11).enumerated() {
            guard let sextet = Self.alphabet.firstIndex(of: byte) else { return nil }
            if index < 10 {
                value = value << 6 | UInt64(sextet)
            } else {
                guard sextet & 0x3 == 0 else { return nil }  // the two padding bits must be zero
                value = value << 4 | UInt64(sextet >> 2)
            }
        }
        return value
    }
}
