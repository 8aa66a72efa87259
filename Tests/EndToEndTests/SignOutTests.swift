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

    @Test(
        "a match that was waiting when the client signed out still pairs (the server keeps its socket)",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf]
    )
    func waitingMatchSurvivesSignOut(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            let scene = try await WaitingMatch(on: server, speaking: wire)
            try await scene.alice.signOut()
            let bobMatch = try await scene.bob.match()
            let aliceMatch = try await scene.waiting.value
            #expect(aliceMatch.userID == scene.aliceID)
            #expect(aliceMatch.peerID == scene.bobID)
            #expect(aliceMatch.channelID == bobMatch.channelID)
        }
    }

    @Test(
        "a waiting match whose socket opens again after a sign-out fails with unauthorized, though another user signed in",
        arguments: [NegotiatedProtocol.v1, .v2Protobuf]
    )
    func waitingMatchReopensAsItsOwnUser(wire: NegotiatedProtocol) async throws {
        try await InProcessServer.with { server in
            try await TCPProxy.with(targetPort: server.port) { proxy in
                let alice = ChatClient(
                    configuration: testConfiguration("http://127.0.0.1:\(proxy.port)", speaking: wire)
                )
                let aliceID = try await alice.signUp(name: "alice").id
                let waiting = Task { try await alice.match() }
                #expect(try await eventually { await server.state.matchmaker.waitingUsers == [aliceID] })
                try await alice.signOut()
                _ = try await alice.signUp(name: "carol")
                proxy.dropAll()
                // Opened again with Carol's session, the wait would go on as hers and end in a match naming Alice.
                let outcome = try await firstResult(within: .seconds(10)) {
                    await withTaskCancellationHandler {
                        await waiting.result
                    } onCancel: {
                        waiting.cancel()
                    }
                }
                let result = try #require(outcome, "the match did not end")
                #expect(await chatErrorCode { _ = try result.get() } == .unauthorized)
            }
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

    @Test(
        "signing out from a server without the route (upstream's 404, or 405) forgets the session and succeeds",
        arguments: ["404 Not Found", "405 Method Not Allowed"]
    )
    func serverWithoutTheRoute(status: String) async throws {
        try await TCPProxy.with(targetPort: 1) { upstream in
            let text = "404 page not found"
            upstream.setAnswer(
                "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\n"
                    + "Connection: close\r\n\r\n\(text)"
            )
            let client = Self.client(port: upstream.port, cookie: "a-session")
            try await client.signOut()
            #expect(client.sessionCookie == nil)
            #expect(upstream.requestLines == ["POST /api/user/logout HTTP/1.1"])
        }
    }

    @Test("a request that was running when the client signed out cannot sign it back in, nor can the logout's answer")
    func answersAfterSignOutAreIgnored() async throws {
        try await TCPProxy.with(targetPort: 1) { upstream in
            let (release, releasing) = AsyncStream.makeStream(of: Void.self)
            upstream.setAnswer { line in
                guard line.hasPrefix("GET /api/user/me") else {
                    // The logout's answer: a cookie in it must not sign the client in.
                    return "HTTP/1.1 204 No Content\r\nSet-Cookie: sid=from-logout; Path=/\r\n"
                        + "Connection: close\r\n\r\n"
                }
                for await _ in release {}
                // The `/me` answer refreshes the session it was asked with (D23).
                let body = #"{"id":"7","name":"alice","picture":""}"#
                return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: sid=a-session; Path=/\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            }
            defer { releasing.finish() }
            let client = Self.client(port: upstream.port, cookie: "a-session")
            async let user = client.currentUser()
            for _ in 0..<500 where upstream.requestLines.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            try await client.signOut()
            #expect(client.sessionCookie == nil)
            releasing.finish()
            #expect(try await user.name == "alice")
            #expect(client.sessionCookie == nil)
            #expect(upstream.requestLines == ["GET /api/user/me HTTP/1.1", "POST /api/user/logout HTTP/1.1"])
        }
    }

    @Test("when the server cannot be told, signOut() throws a ChatError and the session is forgotten anyway")
    func serverUnreachable() async throws {
        var configuration = testConfiguration("http://127.0.0.1:1")
        configuration.sessionCookie = "a-session"
        configuration.requestTimeout = .seconds(2)
        let client = ChatClient(configuration: configuration)
        #expect(await chatErrorCode { try await client.signOut() } == .connectionClosed)
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

    private static func client(port: Int, cookie: String) -> ChatClient {
        var configuration = testConfiguration("http://127.0.0.1:\(port)")
        configuration.sessionCookie = cookie
        return ChatClient(configuration: configuration)
    }
}
