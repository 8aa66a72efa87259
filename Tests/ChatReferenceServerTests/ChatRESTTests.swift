import ChatProtocol
import Foundation
import Logging
import Testing

@testable import ChatReferenceServer

@Suite("Chat REST endpoints and the chat handshake", .serialized, .timeLimit(.minutes(1)))
struct ChatRESTTests {
    @Test("Members, online users and an empty history have the upstream bodies")
    func successBodies() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let users = try await server.request("GET", "/api/chat/users", headers: server.bearer(token))
            #expect(users.status == 200 && users.text == #"{"user_ids":["\#(alice.id)"]}"#)
            let online = try await server.request("GET", "/api/chat/users/online", headers: server.bearer(token))
            #expect(online.status == 200 && online.text == #"{"user_ids":[]}"#)
            let history = try await server.request("GET", "/api/chat/channel/messages", headers: server.bearer(token))
            #expect(history.status == 200 && history.text == #"{"next_ps":"","messages":[]}"#)
            let auth = try await server.request("PUT", "/api/chat/forwardauth", headers: server.bearer(token))
            #expect(auth.status == 200 && auth.header("X-Channel-Id") == channel.description)
        }
    }

    @Test("DELETE /api/chat/channel: 400 for a missing delby, 400 for a non-member, 401 for another user's cookie")
    func deleteErrors() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let mallory = try await server.signUp("mallory")
            let (_, token) = try await server.makeChannel([alice.id])
            let missing = try await server.request("DELETE", "/api/chat/channel", headers: server.bearer(token))
            #expect(missing.status == 400 && missing.msg == "invalid parameter")
            let stranger = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(mallory.id)",
                headers: server.bearer(token)
            )
            #expect(stranger.status == 400 && stranger.msg == "error channel or user not found")
            let impostor = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(alice.id)",
                headers: server.bearer(token) + [("Cookie", "sid=\(mallory.sid)")]
            )
            #expect(impostor.status == 401)
            let again = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(alice.id)",
                headers: server.bearer(token)
            )
            #expect(again.status == 204)
            let twice = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=\(alice.id)",
                headers: server.bearer(token)
            )
            #expect(twice.status == 401)  // not upstream's 500 (D7)
        }
    }

    @Test("The chat handshake answers each failure once, in upstream order")
    func handshakeErrors() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let mallory = try await server.signUp("mallory")
            let (_, token) = try await server.makeChannel([alice.id])
            let cases: [(String, [(String, String)], Int, String)] = [
                ("/api/chat?access_token=\(token)", [], 400, "invalid parameter"),
                ("/api/chat?uid=abc&access_token=\(token)", [], 400, "invalid parameter"),
                ("/api/chat?uid=42&access_token=\(token)", [], 404, "error user not found"),
                ("/api/chat?uid=\(alice.id)", [], 401, "unauthorized"),
                ("/api/chat?uid=\(alice.id)&access_token=x.y.z", [], 401, "unauthorized"),
                ("/api/chat?uid=\(mallory.id)&access_token=\(token)", [], 404, "error channel or user not found"),
                (
                    "/api/chat?uid=\(alice.id)&access_token=\(token)", [("Cookie", "sid=\(mallory.sid)")], 401,
                    "unauthorized"
                ),
            ]
            for (path, headers, status, msg) in cases {
                let result = try await server.request("GET", path, headers: headers)
                #expect(result.status == status, "\(path)")
                #expect(result.msg == msg, "\(path): \(result.text)")
            }
            #expect(
                await RawSocket.connect(port: server.port, path: "/api/chat?uid=\(mallory.id)&access_token=\(token)")
                    == nil
            )
        }
    }

    @Test("Tokens and session ids never reach the logs, even at trace level (D43, D44)")
    func noSecretsInLogs() async throws {
        let store = CapturingLogHandler.Store()
        var logger = Logger(label: "chat-server") { _ in CapturingLogHandler(store: store) }
        logger.logLevel = .trace
        let (token, sid) = try await TestServer.with(logger: logger) { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            try await server.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)", cookie: alice.sid) { a in
                try await a.expectAction("waiting", by: alice.id)
                try await a.send("garbage frame")
            }
            _ = try await server.request("GET", "/api/chat/users", headers: server.bearer(token))
            _ = try await server.request("GET", "/api/chat/users", headers: server.bearer(token + "x"))
            _ = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(alice.sid)")])
            return (token, alice.sid)
        }
        let lines = store.all
        #expect(!lines.isEmpty)
        let signature = String(token.split(separator: ".")[2])
        #expect(!lines.contains { $0.contains(signature) || $0.contains(sid) })
    }

    @Test("CORS as upstream: any origin, no credentials, preflight answered")
    func cors() async throws {
        try await TestServer.with { server in
            let preflight = try await server.request(
                "OPTIONS",
                "/api/chat/users",
                headers: [("Origin", "https://elsewhere.example"), ("Access-Control-Request-Method", "GET")]
            )
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == "*")
            #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Authorization") == true)
            #expect(preflight.header("Access-Control-Allow-Credentials") == nil)
            let plain = try await server.request("GET", "/health", headers: [("Origin", "https://elsewhere.example")])
            #expect(plain.header("Access-Control-Allow-Origin") == "*")
        }
    }
}
