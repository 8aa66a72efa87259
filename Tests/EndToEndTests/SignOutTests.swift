import ChatClientSDK
import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("End to end: signing out through the SDK", .serialized, .timeLimit(.minutes(1)))
struct SignOutTests {
    @Test("signOut() ends the session on the server; the user's other sessions stay signed in")
    func signOutEndsTheServerSession() async throws {
        try await InProcessServer.with { server in
            let client = ChatClient(configuration: testConfiguration(server.baseURL))
            let user = try await client.signUp(name: "alice")
            let cookie = try #require(client.sessionCookie)
            try await server.state.storage.createSession("alice-tablet", user: user.id, now: Date())

            try await client.signOut()

            #expect(client.sessionCookie == nil)
            #expect(await chatErrorCode { _ = try await client.currentUser() } == .unauthorized)
            // The cookie no longer signs anyone in, wherever it was kept; the other device is still signed in.
            #expect(
                await chatErrorCode { _ = try await Self.client(server, cookie: cookie).currentUser() } == .unauthorized
            )
            #expect(try await Self.client(server, cookie: "alice-tablet").currentUser().id == user.id)
            // Signed out already, it does nothing.
            try await client.signOut()
            #expect(client.sessionCookie == nil)
        }
    }

    @Test("forgetSession() forgets the session on this device only: the server keeps it")
    func forgetSessionKeepsTheServerSession() async throws {
        try await InProcessServer.with { server in
            let client = ChatClient(configuration: testConfiguration(server.baseURL))
            let user = try await client.signUp(name: "bob")
            let cookie = try #require(client.sessionCookie)

            client.forgetSession()

            #expect(client.sessionCookie == nil)
            #expect(await chatErrorCode { _ = try await client.currentUser() } == .unauthorized)
            #expect(try await Self.client(server, cookie: cookie).currentUser().id == user.id)
        }
    }

    @Test("signing out from a server without the route (upstream's 404) forgets the session and succeeds")
    func serverWithoutTheRoute() async throws {
        try await withServerLackingRoutes { client in
            try await client.signOut()
            #expect(client.sessionCookie == nil)
        }
    }

    @Test("when the server cannot be told, signOut() throws a ChatError and the session is forgotten anyway")
    func serverUnreachable() async throws {
        var configuration = testConfiguration("http://127.0.0.1:1")
        configuration.sessionCookie = "a-session"
        configuration.requestTimeout = .seconds(2)
        let client = ChatClient(configuration: configuration)
        #expect(await chatErrorCode { try await client.signOut() } != nil)
        #expect(client.sessionCookie == nil)

        var shutDown = configuration
        shutDown.sessionCookie = "another-session"
        let stopped = try await withChatClient(configuration: shutDown) { $0 }
        #expect(await chatErrorCode { try await stopped.signOut() } == .invalidState)
        #expect(stopped.sessionCookie == nil)
    }

    @Test("a server error fails signOut() with its code, the session forgotten on this device")
    func serverError() async throws {
        try await TCPProxy.with(targetPort: 1) { upstream in
            let body = #"{"msg":"storage failed"}"#
            upstream.setAnswer(
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            )
            var configuration = testConfiguration("http://127.0.0.1:\(upstream.port)")
            configuration.sessionCookie = "a-session"
            let client = ChatClient(configuration: configuration)
            let error = await #expect(throws: ChatError.self) { try await client.signOut() }
            #expect(error?.httpStatus == 500)
            #expect(error?.message.contains("storage failed") == true)
            #expect(client.sessionCookie == nil)
            #expect(upstream.requestLines == ["POST /api/user/logout HTTP/1.1"])
        }
    }

    @Test("an answer that clears the sid cookie (Set-Cookie: sid=; Max-Age=0) signs the client out")
    func clearedCookieIsForgotten() async throws {
        try await TCPProxy.with(targetPort: 1) { upstream in
            let body = #"{"id":"7","name":"alice","picture":""}"#
            upstream.setAnswer(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + "Set-Cookie: sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            )
            var configuration = testConfiguration("http://127.0.0.1:\(upstream.port)")
            configuration.sessionCookie = "a-session"
            let client = ChatClient(configuration: configuration)
            let user = try await client.currentUser()
            #expect(user.name == "alice")
            #expect(client.sessionCookie == nil)
        }
    }

    private static func client(_ server: InProcessServer, cookie: String) -> ChatClient {
        var configuration = testConfiguration(server.baseURL)
        configuration.sessionCookie = cookie
        return ChatClient(configuration: configuration)
    }
}
