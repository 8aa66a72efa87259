import ChatProtocol
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Testing

@testable import ChatReferenceServer

@Suite("OAuth2 login against a fake provider", .serialized, .timeLimit(.minutes(1)))
struct OAuthTests {
    /// Runs a fake OAuth2 provider: `POST /token` exchanges code `good` for token `t`; `GET /userinfo` returns a
    /// profile for `Bearer t` and 401 otherwise.
    static func withProvider(_ body: (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("token") { request, _ -> Response in
            let form = String(buffer: try await request.body.collect(upTo: 4096))
            let ok = form.contains("code=good") && form.contains("client_secret=s3cret")
            return Response(
                status: ok ? .ok : .badRequest,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: ok ? #"{"access_token":"t"}"# : #"{"error":"x"}"#))
            )
        }
        router.get("userinfo") { request, _ -> Response in
            guard request.headers[.authorization] == "Bearer t" else { return Response(status: .unauthorized) }
            let profile = #"{"email":"ada@example.com","name":"Ada","picture":"https://img.example/ada.png"}"#
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: profile)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
            logger: Logger(label: "idp") { _ in SwiftLogNoOpLogHandler() }
        )
        let group = ServiceGroup(
            configuration: .init(services: [app], logger: Logger(label: "idp") { _ in SwiftLogNoOpLogHandler() })
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
        }
    }

    /// A server whose OAuth login goes to a ``withProvider(_:)`` provider.
    static func withLoginServer(_ body: (TestServer) async throws -> Void) async throws {
        try await Self.withProvider { idp in
            try await TestServer.with { configuration in
                configuration.oauth.clientID = "client"
                configuration.oauth.clientSecret = "s3cret"
                configuration.oauth.tokenURL = "http://127.0.0.1:\(idp)/token"
                configuration.oauth.userInfoURL = "http://127.0.0.1:\(idp)/userinfo"
            } _: { server in
                try await body(server)
            }
        }
    }

    /// One login through the provider: the callback's answer, the session it set, and `/api/user/me` with it.
    static func login(
        _ server: TestServer
    ) async throws -> (callback: TestServer.HTTPResult, sid: String, me: TestServer.HTTPResult) {
        let login = try await server.request("GET", "/api/user/oauth2/google/login")
        let cookie = try #require(login.header("Set-Cookie"))
        let state = try #require(cookie.split(separator: ";").first?.split(separator: "=").last)
        let callback = try await server.request(
            "GET",
            "/api/user/oauth2/google/callback?state=\(state)&code=good",
            headers: [("Cookie", "oauthstate=\(state)")]
        )
        let sid = try #require(
            callback.headers(named: "Set-Cookie").first { $0.hasPrefix("sid=") }?.split(separator: ";").first?
                .dropFirst(4)
        )
        let me = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(sid)")])
        return (callback, String(sid), me)
    }

    @Test("The callback exchanges the code, stores name and picture, sets a session, and finds the user again")
    func callbackSuccess() async throws {
        try await Self.withLoginServer { server in
            var ids: [String] = []
            for _ in 0..<2 {
                let (callback, _, me) = try await Self.login(server)
                #expect(callback.status == 307 && callback.header("Location") == "/")
                let cookies = callback.headers(named: "Set-Cookie")
                #expect(cookies.contains { $0.hasPrefix("oauthstate=;") && $0.contains("Max-Age=0") })
                #expect(me.json["name"] as? String == "Ada")
                #expect(me.json["picture"] as? String == "https://img.example/ada.png")
                ids.append(try #require(me.json["id"] as? String))
            }
            #expect(ids[0] == ids[1])  // the returning user keeps their id

            let bad = try await server.request(
                "GET",
                "/api/user/oauth2/google/callback?state=s&code=bad",
                headers: [("Cookie", "oauthstate=s")]
            )
            #expect(bad.status == 307 && !bad.headers(named: "Set-Cookie").contains { $0.hasPrefix("sid=") })
        }
    }

    @Test("Deleting an OAuth account ends every session of it; the next login with the same e-mail is a new user")
    func deletedAccountSignsUpAnew() async throws {
        try await Self.withLoginServer { server in
            let phone = try await Self.login(server)
            let laptop = try await Self.login(server)
            let id = try #require(phone.me.json["id"] as? String)
            #expect(laptop.me.json["id"] as? String == id)
            let deleted = try await server.request(
                "DELETE",
                "/api/v2/user/me",
                headers: [("Cookie", "sid=\(phone.sid)")]
            )
            #expect(deleted.status == 204)
            for sid in [phone.sid, laptop.sid] {
                let me = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(sid)")])
                #expect(me.status == 401)
            }
            let again = try await Self.login(server)
            #expect(again.me.status == 200)
            #expect(again.me.json["id"] as? String != id)
        }
    }
}
