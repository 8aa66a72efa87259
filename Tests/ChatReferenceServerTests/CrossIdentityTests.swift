import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

/// Two identities in two channels (reliability notes API-3, docs/COMPATIBILITY.md D3): channel A's credentials never
/// read, change or end channel B, and a session of user X never acts for user Y. Everything goes through the real
/// server: guests sign up, are matched over `/api/match`, chat over `/api/chat` and upload through presigned URLs.
///
/// The v1 HTTP API never names a channel: every Bearer endpoint serves the token's channel (docs/PROTOCOL.md 4.2).
/// So "A's token asks for B's channel" can only mean a forged token naming B (401 `invalid_token`), or A's token
/// plus hints at B that the server must ignore (`X-Channel-Id`, D29; query parameters; B's session cookie): those
/// get channel A's answer, never B's. Where a request does name something of B's, the documented refusal is
/// asserted: an object key of B (401 `unauthorized`, 4.4.2), a presigned URL re-pointed at B's key (403, 4.4.4), a
/// member of B as `delby` (400 `channel_not_found`, 4.2.5) or as the chat `uid` (404 `channel_not_found`, 6.1.1).
@Suite("Two identities in two channels: no cross-channel or cross-user access", .serialized, .timeLimit(.minutes(1)))
struct CrossIdentityTests {
    struct Guest {
        let id: UserID
        let sid: String
        var cookie: [(String, String)] { [("Cookie", "sid=\(self.sid)")] }
    }

    /// A channel made by matching two guests; `user` is the guest the tests act as, `peer` the other member.
    struct Identity {
        let user: Guest
        let peer: Guest
        let channel: ChannelID
        let token: String
        var bearer: [(String, String)] { [("Authorization", "Bearer \(self.token)")] }
        var members: Set<String> { [self.user.id.description, self.peer.id.description] }
    }

    /// Signs up two guests and matches them over `/api/match`.
    static func matched(_ server: TestServer, _ first: String, _ second: String) async throws -> Identity {
        let user = try await server.signUp(first)
        let peer = try await server.signUp(second)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                try await server.withSocket("/api/match", cookie: user.sid) { socket in
                    try #require(try await socket.next()?["access_token"] as? String)
                }.value
            }
            #expect(try await server.eventually { await server.state.matchmaker.waitingUsers == [user.id] })
            group.addTask {
                try await server.withSocket("/api/match", cookie: peer.sid) { socket in
                    try #require(try await socket.next()?["access_token"] as? String)
                }.value
            }
            var tokens: [String] = []
            for try await token in group { tokens.append(token) }
            return tokens
        }
        #expect(tokens.count == 2 && tokens[0] == tokens[1])
        let token = try #require(tokens.first)
        let auth = try await server.request(
            "GET",
            "/api/chat/forwardauth",
            headers: [("Authorization", "Bearer \(token)")]
        )
        let channel = try #require(auth.header("X-Channel-Id").flatMap { ChannelID(decimal: $0) })
        return Identity(
            user: Guest(id: user.id, sid: user.sid),
            peer: Guest(id: peer.id, sid: peer.sid),
            channel: channel,
            token: token
        )
    }

    /// Channel A and channel B, matched one after the other so they are different channels.
    static func twoChannels(_ server: TestServer) async throws -> (a: Identity, b: Identity) {
        let a = try await Self.matched(server, "alice", "amy")
        let b = try await Self.matched(server, "bob", "ben")
        #expect(a.channel != b.channel && a.token != b.token)
        return (a, b)
    }

    /// A's token with its payload rewritten to name B's channel; A's signature does not cover it.
    static func forged(_ a: Identity, naming b: Identity) throws -> String {
        let parts = a.token.split(separator: ".")
        try #require(parts.count == 3)
        let payload = Forge.b64(#"{"ChannelID":\#(b.channel),"exp":\#(Int(Date().timeIntervalSince1970) + 3600)}"#)
        return "\(parts[0]).\(payload).\(parts[2])"
    }

    /// Ways a holder of A's token might point a request at channel B; the server must ignore every one of them.
    static func hintsAt(_ b: Identity) -> [(query: String, headers: [(String, String)])] {
        [
            ("", [("X-Channel-Id", b.channel.description)]),
            ("channel=\(b.channel)&ChannelID=\(b.channel)&cid=\(b.channel)&channel_id=\(b.channel)", []),
            ("", b.user.cookie),
        ]
    }

    static func userIDs(_ result: TestServer.HTTPResult) -> Set<String> {
        Set(result.json["user_ids"] as? [String] ?? [])
    }

    @Test("A's token reads only channel A's history and members, whatever the request says about channel B")
    func readsStayInChannel() async throws {
        try await TestServer.with { server in
            let (a, b) = try await Self.twoChannels(server)
            let secret = "only for channel B"
            // B's user is online in channel B and has written a message there.
            try await server.withSocket("/api/chat?uid=\(b.user.id)&access_token=\(b.token)", cookie: b.user.sid) {
                socket in
                try await socket.expectAction("waiting", by: b.user.id)
                try await socket.send(#"{"event":0,"user_id":"\#(b.user.id)","payload":"\#(secret)"}"#)
                let sent = try #require(try await socket.next())
                let messageID = try #require(sent["message_id"] as? String)

                // Control: with B's own token the message and the online member are there.
                let own = try await server.request("GET", "/api/chat/channel/messages", headers: b.bearer)
                #expect(own.status == 200 && own.text.contains(messageID) && own.text.contains(secret))
                let ownOnline = try await server.request("GET", "/api/chat/users/online", headers: b.bearer)
                #expect(Self.userIDs(ownOnline) == [b.user.id.description])

                for (query, headers) in Self.hintsAt(b) {
                    let suffix = query.isEmpty ? "" : "?\(query)"
                    let history = try await server.request(
                        "GET",
                        "/api/chat/channel/messages\(suffix)",
                        headers: a.bearer + headers
                    )
                    #expect(history.status == 200 && history.text == #"{"next_ps":"","messages":[]}"#, "\(query)")
                    let members = try await server.request(
                        "GET",
                        "/api/chat/users\(suffix)",
                        headers: a.bearer + headers
                    )
                    #expect(members.status == 200 && Self.userIDs(members) == a.members, "\(query)")
                    let online = try await server.request(
                        "GET",
                        "/api/chat/users/online\(suffix)",
                        headers: a.bearer + headers
                    )
                    #expect(online.status == 200 && Self.userIDs(online).isEmpty, "\(query)")
                    let auth = try await server.request(
                        "GET",
                        "/api/chat/forwardauth\(suffix)",
                        headers: a.bearer + headers
                    )
                    #expect(auth.status == 200 && auth.header("X-Channel-Id") == a.channel.description, "\(query)")
                }

                // A token claiming channel B under A's signature is refused everywhere (401 `invalid_token`).
                let forged = try Self.forged(a, naming: b)
                for (method, path) in TokenAttackTests.surfaces(b.user.id) {
                    let result = try await server.request(
                        method,
                        path,
                        headers: [("Authorization", "Bearer \(forged)")]
                    )
                    #expect(result.status == 401 && result.msg == "invalid token", "\(method) \(path)")
                    #expect(!result.text.contains(secret) && !result.text.contains(messageID), "\(method) \(path)")
                }
            }
        }
    }

    @Test("Nobody ends channel B with A's token, and a session never deletes on behalf of another user")
    func deletion() async throws {
        try await TestServer.with { server in
            let (a, b) = try await Self.twoChannels(server)
            // A member of B is not a member of A's channel: 400 `channel_not_found` (docs/PROTOCOL.md 4.2.5, D11),
            // with or without that member's own session.
            for headers in [[], b.user.cookie] {
                let result = try await server.request(
                    "DELETE",
                    "/api/chat/channel?delby=\(b.user.id)",
                    headers: a.bearer + headers
                )
                #expect(result.status == 400 && result.msg == "error channel or user not found")
            }
            // A session of X naming Y as `delby`: 401 `unauthorized` (D3), across channels and within one.
            for (cookie, delby) in [(b.user, a.user.id), (a.user, a.peer.id), (a.peer, a.user.id)] {
                let result = try await server.request(
                    "DELETE",
                    "/api/chat/channel?delby=\(delby)",
                    headers: a.bearer + cookie.cookie
                )
                #expect(result.status == 401 && result.msg == "unauthorized", "cookie \(cookie.id), delby \(delby)")
            }
            let forged = try Self.forged(a, naming: b)
            let forgedDelete = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(b.user.id)",
                headers: [("Authorization", "Bearer \(forged)")] + b.user.cookie
            )
            #expect(forgedDelete.status == 401 && forgedDelete.msg == "invalid token")
            // Both channels are untouched.
            for identity in [a, b] {
                let members = try await server.request("GET", "/api/chat/users", headers: identity.bearer)
                #expect(members.status == 200 && Self.userIDs(members) == identity.members)
            }
            // A's own member ends channel A; channel B lives on.
            let delete = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(a.user.id)",
                headers: a.bearer + a.user.cookie
            )
            #expect(delete.status == 204)
            let closed = try await server.request("GET", "/api/chat/users", headers: a.bearer)
            #expect(closed.status == 401 && closed.msg == "channel closed")
            let alive = try await server.request("GET", "/api/chat/users", headers: b.bearer)
            #expect(alive.status == 200 && Self.userIDs(alive) == b.members)
        }
    }

    @Test("Upload and download URLs, and the object endpoint, stay within the token's channel")
    func uploads() async throws {
        try await TestServer.with { server in
            let (a, b) = try await Self.twoChannels(server)
            // B stores an object.
            let presignB = try await server.request("GET", "/api/uploader/upload/presigned?ext=png", headers: b.bearer)
            let keyB = try #require(presignB.json["object_key"] as? String)
            let bytes = Array("\u{89}PNG channel B's picture".utf8)
            let putB = try await server.request("PUT", try #require(presignB.json["url"] as? String), body: bytes)
            #expect(putB.status == 200)

            // A's upload presign always mints a key of channel A.
            for (query, headers) in Self.hintsAt(b) {
                let presign = try await server.request(
                    "GET",
                    "/api/uploader/upload/presigned?ext=png\(query.isEmpty ? "" : "&\(query)")",
                    headers: a.bearer + headers
                )
                let key = try #require(presign.json["object_key"] as? String)
                #expect(presign.status == 200 && key.hasPrefix("\(a.channel)/"), "\(query)")
            }

            // A's token cannot presign a download of B's key, in any encoding the server accepts (401 `unauthorized`).
            let raw = Data(keyB.utf8)
            let encodings = [
                raw.base64URLEncodedString(padded: true), raw.base64URLEncodedString(padded: false),
                raw.base64EncodedString(),
            ]
            for okb64 in encodings {
                for headers in [[], b.user.cookie, [("X-Channel-Id", b.channel.description)]] {
                    let result = try await server.request(
                        "GET",
                        "/api/uploader/download/presigned?okb64=\(okb64)",
                        headers: a.bearer + headers
                    )
                    #expect(result.status == 401 && result.msg == "unauthorized", "\(okb64)")
                    #expect(result.json["url"] == nil)
                }
            }

            // Presigned URLs of channel A re-pointed at B's key are refused (403): the signature binds the key.
            let presignA = try await server.request("GET", "/api/uploader/upload/presigned?ext=png", headers: a.bearer)
            let keyA = try #require(presignA.json["object_key"] as? String)
            let putA = try #require(presignA.json["url"] as? String)
            #expect(try await server.request("PUT", putA, body: [1, 2, 3]).status == 200)
            let okb64A = Data(keyA.utf8).base64URLEncodedString(padded: true)
            let downloadA = try await server.request(
                "GET",
                "/api/uploader/download/presigned?okb64=\(okb64A)",
                headers: a.bearer
            )
            let getA = try #require(downloadA.json["url"] as? String)
            let overwrite = try await server.request("PUT", putA.replacingOccurrences(of: keyA, with: keyB), body: [0])
            #expect(overwrite.status == 403 && overwrite.msg == "unauthorized")
            let read = try await server.request("GET", getA.replacingOccurrences(of: keyA, with: keyB))
            #expect(read.status == 403 && read.msg == "unauthorized" && read.body != bytes)
            // Without a signature, with A's token or B's session: still 403.
            let unsigned = try await server.request(
                "GET",
                "/api/uploader/objects/\(keyB)?op=get",
                headers: a.bearer + b.user.cookie
            )
            #expect(unsigned.status == 403)

            // B's object is intact and B can still read it.
            let okb64B = Data(keyB.utf8).base64URLEncodedString(padded: true)
            let downloadB = try await server.request(
                "GET",
                "/api/uploader/download/presigned?okb64=\(okb64B)",
                headers: b.bearer
            )
            #expect(downloadB.status == 200)
            let fetched = try await server.request("GET", try #require(downloadB.json["url"] as? String))
            #expect(fetched.status == 200 && fetched.body == bytes)

            // The deprecated multipart upload stores under A's channel too, whatever the request says about B.
            let boundary = "cross-identity"
            let multipart = Array(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x.png\"\r\n"
                    + "Content-Type: image/png\r\n\r\nabc\r\n--\(boundary)--\r\n").utf8
            )
            let upload = try await server.request(
                "POST",
                "/api/uploader/upload/files",
                headers: a.bearer + b.user.cookie + [
                    ("X-Channel-Id", b.channel.description),
                    ("Content-Type", "multipart/form-data; boundary=\(boundary)"),
                ],
                body: multipart
            )
            let files = try #require(upload.json["uploaded_files"] as? [[String: Any]])
            let url = try #require(files.first?["url"] as? String)
            #expect(upload.status == 201 && url.contains("/api/uploader/objects/\(a.channel)/"))
        }
    }

    @Test("A session of user X never acts as user Y where a request names a user id")
    func userIDs() async throws {
        try await TestServer.with { server in
            let (a, b) = try await Self.twoChannels(server)
            // The chat handshake (docs/PROTOCOL.md 6.1.1): a cookie naming another user than `uid` is 401 `unauthorized`
            // (D3), across channels and within one; a `uid` outside the token's channel is 404 `channel_not_found`.
            let cases: [(UserID, String, Guest?, Int, String)] = [
                (a.user.id, a.token, b.user, 401, "unauthorized"),
                (a.user.id, a.token, a.peer, 401, "unauthorized"),
                (b.user.id, a.token, nil, 404, "error channel or user not found"),
                (b.user.id, a.token, b.user, 404, "error channel or user not found"),
                (a.user.id, b.token, a.user, 404, "error channel or user not found"),
                (b.user.id, try Self.forged(a, naming: b), b.user, 401, "unauthorized"),
            ]
            for (uid, token, cookie, status, msg) in cases {
                let path = "/api/chat?uid=\(uid)&access_token=\(token)"
                let result = try await server.request("GET", path, headers: cookie?.cookie ?? [])
                #expect(result.status == status && result.msg == msg, "uid \(uid): \(result.text)")
                #expect(await RawSocket.connect(port: server.port, path: path, cookie: cookie?.sid) == nil)
            }
            // The session's own user, never another one, whatever else the request carries.
            let me = try await server.request(
                "GET",
                "/api/user/me?uid=\(b.user.id)",
                headers: a.user.cookie + b.bearer
            )
            #expect(me.status == 200 && me.json["id"] as? String == a.user.id.description)
            // Profiles ({id, name, picture}) are readable by any session, by design (docs/PROTOCOL.md 4.1.2): the
            // upstream browser looks up its peer's name. A change here is a protocol change, not a fix.
            let profile = try await server.request("GET", "/api/user?uid=\(b.user.id)", headers: a.user.cookie)
            #expect(profile.status == 200 && profile.json["name"] as? String == "bob")
        }
    }
}
