import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("User endpoints", .serialized, .timeLimit(.minutes(1)))
struct UserEndpointTests {
    @Test("POST /api/user creates a guest, sets the sid cookie and answers 201 with the upstream body")
    func signUp() async throws {
        try await TestServer.with { server in
            let result = try await server.request("POST", "/api/user", body: Array(#"{"name":"alice"}"#.utf8))
            #expect(result.status == 201)
            #expect(result.header("Content-Type") == "application/json; charset=utf-8")
            let id = try #require(result.json["id"] as? String)
            #expect(UserID(decimal: id) != nil)
            #expect(result.text == #"{"id":"\#(id)","name":"alice","picture":""}"#)
            let cookie = try #require(result.header("Set-Cookie"))
            #expect(cookie.hasPrefix("sid="))
            #expect(cookie.contains("Path=/") && cookie.contains("Max-Age=86400") && cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax") && !cookie.contains("Domain="))
        }
    }

    @Test(
        "POST /api/user rejects bad bodies with 400 invalid parameter",
        arguments: ["", "not json", #"{"name":""}"#, #"{"name":3}"#, #"{"nom":"x"}"#, "[]"]
    )
    func signUpInvalid(body: String) async throws {
        try await TestServer.with { server in
            let result = try await server.request("POST", "/api/user", body: Array(body.utf8))
            #expect(result.status == 400)
            #expect(result.msg == "invalid parameter")
        }
    }

    @Test("GET /api/user/me and /api/user?uid= need the cookie and answer the upstream shapes")
    func lookUps() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let me = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(alice.sid)")])
            #expect(me.status == 200)
            #expect(me.text == #"{"id":"\#(alice.id)","name":"alice","picture":""}"#)
            let other = try await server.request(
                "GET",
                "/api/user?uid=\(bob.id)",
                headers: [("Cookie", "sid=\(alice.sid)")]
            )
            #expect(other.status == 200)
            #expect(other.json["name"] as? String == "bob")

            #expect(try await server.request("GET", "/api/user/me").status == 401)
            #expect(try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=nope")]).status == 401)
            #expect(try await server.request("GET", "/api/user?uid=\(bob.id)").status == 401)
            for bad in ["", "abc", "-1", "18446744073709551616", "01"] {
                let result = try await server.request(
                    "GET",
                    "/api/user?uid=\(bad)",
                    headers: [("Cookie", "sid=\(alice.sid)")]
                )
                #expect(result.status == 400)
                #expect(result.msg == "invalid parameter")
            }
            let missing = try await server.request("GET", "/api/user?uid=42", headers: [("Cookie", "sid=\(alice.sid)")])
            #expect(missing.status == 404)
            #expect(missing.msg == "error user not found")
            // Upstream URL-escapes the cookie value; both forms are accepted.
            let escaped = alice.sid.replacingOccurrences(of: "-", with: "%2D")
            #expect(
                try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(escaped)")]).status == 200
            )
        }
    }

    @Test("POST /api/user/logout invalidates the session server-side")
    func logout() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let logout = try await server.request("POST", "/api/user/logout", headers: [("Cookie", "sid=\(alice.sid)")])
            #expect(logout.status == 204)
            #expect(logout.header("Set-Cookie")?.contains("Max-Age=0") == true)
            #expect(
                try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(alice.sid)")]).status == 401
            )
            #expect(try await server.request("POST", "/api/user/logout").status == 204)
        }
    }

    @Test("The OAuth login redirects to the configured provider with a state cookie")
    func oauthLogin() async throws {
        try await TestServer.with { configuration in
            configuration.oauth.clientID = "client-1"
            configuration.oauth.authorizationURL = "https://idp.example/auth"
        } _: { server in
            let result = try await server.request("GET", "/api/user/oauth2/google/login")
            #expect(result.status == 307)
            let location = try #require(result.header("Location"))
            #expect(location.hasPrefix("https://idp.example/auth?client_id=client-1&redirect_uri="))
            #expect(location.contains("response_type=code") && location.contains("&state="))
            let cookie = try #require(result.header("Set-Cookie"))
            #expect(cookie.hasPrefix("oauthstate=") && cookie.contains("HttpOnly"))
        }
    }

    @Test("An OAuth callback with a wrong or missing state redirects to / without a session")
    func oauthCallbackStateMismatch() async throws {
        try await TestServer.with { server in
            let result = try await server.request(
                "GET",
                "/api/user/oauth2/google/callback?state=a&code=x",
                headers: [("Cookie", "oauthstate=b")]
            )
            #expect(result.status == 307)
            #expect(result.header("Location") == "/")
            #expect(!result.headers(named: "Set-Cookie").contains { $0.hasPrefix("sid=") })
        }
    }

    @Test("Health and metrics answer")
    func operations() async throws {
        try await TestServer.with { server in
            #expect(try await server.request("GET", "/health").status == 200)
            let metrics = try await server.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("chat_websocket_connections"))
            #expect(metrics.text.contains("http_request_duration_seconds"))
        }
    }
}
