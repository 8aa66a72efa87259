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

    @Test("The callback exchanges the code, stores name and picture, sets a session, and finds the user again")
    func callbackSuccess() async throws {
        try await Self.withProvider { idp in
            try await TestServer.with { configuration in
                configuration.oauth.clientID = "client"
                configuration.oauth.clientSecret = "s3cret"
                configuration.oauth.tokenURL = "http://127.0.0.1:\(idp)/token"
                configuration.oauth.userInfoURL = "http://127.0.0.1:\(idp)/userinfo"
            } _: { server in
                var ids: [String] = []
                for _ in 0..<2 {
                    let login = try await server.request("GET", "/api/user/oauth2/google/login")
                    let cookie = try #require(login.header("Set-Cookie"))
                    let state = try #require(cookie.split(separator: ";").first?.split(separator: "=").last)
                    let callback = try await server.request(
                        "GET",
                        "/api/user/oauth2/google/callback?state=\(state)&code=good",
                        headers: [("Cookie", "oauthstate=\(state)")]
                    )
                    #expect(callback.status == 307 && callback.header("Location") == "/")
                    let cookies = callback.headers(named: "Set-Cookie")
                    #expect(cookies.contains { $0.hasPrefix("oauthstate=;") && $0.contains("Max-Age=0") })
                    let sid = try #require(
                        cookies.first { $0.hasPrefix("sid=") }?.split(separator: ";").first?.dropFirst(4)
                    )
                    let me = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(sid)")])
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
    }

    @Test("Deleting an OAuth account ends every session of it; the next login with the same e-mail is a new user")
    func deletedAccountSignsUpAnew() async throws {
        try await Self.withProvider { idp in
            try await TestServer.with { configuration in
                configuration.oauth.clientID = "client"
                configuration.oauth.clientSecret = "s3cret"
                configuration.oauth.tokenURL = "http://127.0.0.1:\(idp)/token"
                configuration.oauth.userInfoURL = "http://127.0.0.1:\(idp)/userinfo"
            } _: { server in
                /// Logs in through the provider; returns the session and the user's id.
                func login() async throws -> (sid: String, id: String) {
                    let start = try await server.request("GET", "/api/user/oauth2/google/login")
                    let cookie = try #require(start.header("Set-Cookie"))
                    let state = try #require(cookie.split(separator: ";").first?.split(separator: "=").last)
                    let callback = try await server.request(
                        "GET",
                        "/api/user/oauth2/google/callback?state=\(state)&code=good",
                        headers: [("Cookie", "oauthstate=\(state)")]
                    )
                    let sid = try #require(
                        callback.headers(named: "Set-Cookie").first { $0.hasPrefix("sid=") }?.split(separator: ";")
                            .first?.dropFirst(4)
                    )
                    let me = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(sid)")])
                    return (String(sid), try #require(me.json["id"] as? String))
                }
                let phone = try await login()
                let laptop = try await login()
                #expect(phone.id == laptop.id)
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
                let again = try await login()
                #expect(again.id != phone.id)
            }
        }
    }
}
