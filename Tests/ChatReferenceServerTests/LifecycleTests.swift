import ArgumentParser
import ChatProtocol
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import ChatReferenceServer

@Suite("Restart, shutdown and configuration", .serialized, .timeLimit(.minutes(1)))
struct LifecycleTests {
    @Test("A restart on the same data directory keeps users, sessions, channels, messages, files and the secret")
    func restartKeepsData() async throws {
        let directory = TestServer.makeDataDirectory()
        struct Saved: Sendable {
            var user: UserID
            var sid: String
            var token: String
            var downloadPath: String
        }
        let saved = try await TestServer.with(dataDirectory: directory) { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            try await server.withSocket("/api/chat?uid=\(alice.id)&access_token=\(token)") { socket in
                try await socket.expectAction("waiting", by: alice.id)
                try await socket.send(#"{"event":0,"user_id":"\#(alice.id)","payload":"persisted"}"#)
                _ = try await socket.next()
            }
            let presign = try await server.request(
                "GET",
                "/api/uploader/upload/presigned?ext=txt",
                headers: server.bearer(token)
            )
            let key = try #require(presign.json["object_key"] as? String)
            _ = try await server.request("PUT", try #require(presign.json["url"] as? String), body: Array("file".utf8))
            let okb64 = Data(key.utf8).base64URLEncodedString(padded: true)
            return Saved(
                user: alice.id,
                sid: alice.sid,
                token: token,
                downloadPath: "/api/uploader/download/presigned?okb64=\(okb64)"
            )
        }
        try await TestServer.with(dataDirectory: directory) { server in
            let me = try await server.request("GET", "/api/user/me", headers: [("Cookie", "sid=\(saved.sid)")])
            #expect(me.status == 200 && me.json["id"] as? String == saved.user.description)
            let members = try await server.request("GET", "/api/chat/users", headers: server.bearer(saved.token))
            #expect(members.json["user_ids"] as? [String] == [saved.user.description])
            let history = try await server.request(
                "GET",
                "/api/chat/channel/messages",
                headers: server.bearer(saved.token)
            )
            let messages = try #require(history.json["messages"] as? [[String: Any]])
            #expect(messages.first?["payload"] as? String == "persisted")
            let download = try await server.request("GET", saved.downloadPath, headers: server.bearer(saved.token))
            let file = try await server.request("GET", try #require(download.json["url"] as? String))
            #expect(file.text == "file")
        }
    }

    @Test("Graceful shutdown closes chat and match websockets with 1001")
    func gracefulShutdown() async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = TestServer.makeDataDirectory().path
        configuration.logLevel = .error
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let chatServer = try await buildApplication(configuration: configuration) { portContinuation.yield($0) }
        let group = ServiceGroup(
            configuration: .init(
                services: [chatServer],
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let server = TestServer(port: port, server: chatServer, dataDirectory: URL(fileURLWithPath: "/"))
            let alice = try await server.signUp("alice")
            let bob = try await server.signUp("bob")
            let (_, token) = try await server.makeChannel([alice.id])
            let chat = try #require(
                await RawSocket.connect(port: port, path: "/api/chat?uid=\(alice.id)&access_token=\(token)")
            )
            let match = try #require(await RawSocket.connect(port: port, path: "/api/match", cookie: bob.sid))
            #expect(try await server.eventually { await chatServer.state.matchmaker.waitingUsers == [bob.id] })
            await group.triggerGracefulShutdown()
            #expect(await chat.readCloseCode() == 1001)
            #expect(await match.readCloseCode() == 1001)
            chat.drop()
            match.drop()
            try await tasks.waitForAll()
        }
    }

    @Test("by default servers share a group of half the cores' event loops, at least one")
    func defaultEventLoops() async throws {
        #expect(ServerConfiguration.defaultEventLoopThreads == max(1, System.coreCount / 2))
        try await TestServer.with { server in
            #expect(server.server.ownedEventLoopGroup == nil)
            #expect(server.server.eventLoopGroup === ChatServer.defaultEventLoopGroup)
            let loops = Array(server.server.eventLoopGroup.makeIterator()).count
            #expect(loops == ServerConfiguration.defaultEventLoopThreads)
        }
    }

    @Test("--event-loop-threads 1: the server runs every connection on a group of its own with one loop")
    func oneEventLoop() async throws {
        let command = try ChatServerCommand.parse(["--event-loop-threads", "1"])
        #expect(try command.serverConfiguration(environment: [:]).eventLoopThreads == 1)
        #expect(try ChatServerCommand.parse([]).serverConfiguration(environment: [:]).eventLoopThreads == nil)
        #expect(throws: (any Error).self) {
            try ChatServerCommand.parse(["--event-loop-threads", "0"]).serverConfiguration(environment: [:])
        }
        try await TestServer.with { configuration in
            configuration.eventLoopThreads = 1
        } _: { server in
            let group = try #require(server.server.ownedEventLoopGroup)
            #expect(Array(group.makeIterator()).count == 1)
            #expect(server.server.eventLoopGroup === group)
            try await server.withJoinedPair { a, b, pair in
                try await b.send(#"{"event":0,"user_id":"\#(pair.bob)","payload":"hi"}"#)
                #expect(try await a.next()?["payload"] as? String == "hi")
            }
        }
    }

    @Test("Flags win over CHAT_* variables, which win over the --config file")
    func configurationPrecedence() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("chat-config-\(UUID()).json")
        try Data(#"{"port": 9001, "data-dir": "/from/file", "upload-burst": 7, "secure-cookies": true}"#.utf8)
            .write(to: file)
        let command = try ChatServerCommand.parse(["--config", file.path, "--port", "9003"])
        let configuration = try command.serverConfiguration(environment: [
            "CHAT_PORT": "9002", "CHAT_DATA_DIR": "/from/env", "CHAT_LOG_LEVEL": "debug",
        ])
        #expect(configuration.port == 9003)
        #expect(configuration.dataDirectory == "/from/env")
        #expect(configuration.limits.uploadBurst == 7)
        #expect(configuration.secureCookies)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.host == "127.0.0.1")
        #expect(throws: (any Error).self) {
            try command.serverConfiguration(environment: ["CHAT_DATA_DIR": "x", "CHAT_UPLOAD_RATE": "fast"])
        }
    }

    @Test("An HTTP connection idle for the idle timeout is closed: silent from the start, or after a response")
    func idleConnectionsClosed() async throws {
        try await TestServer.with { configuration in
            configuration.limits.idleTimeout = .seconds(1)
            configuration.conformanceEcho = true
        } _: { server in
            let clock = ContinuousClock()
            // Silent from the start: no request, no byte.
            let silent = try #require(await RawSocket.plain(port: server.port))
            let silentStart = clock.now
            #expect(await silent.readToEnd().isEmpty)
            let silentFor = clock.now - silentStart
            #expect(silentFor >= .milliseconds(900) && silentFor < .seconds(8), "closed after \(silentFor)")
            silent.drop()
            // Kept alive after a response, then idle.
            let kept = try #require(await RawSocket.plain(port: server.port))
            kept.write(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            let keptStart = clock.now
            let answer = String(decoding: await kept.readToEnd(), as: UTF8.self)
            let keptFor = clock.now - keptStart
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(keptFor >= .milliseconds(900) && keptFor < .seconds(8), "closed after \(keptFor)")
            kept.drop()
            // A websocket is not an HTTP connection any more: it outlives the timeout (its pings keep it).
            let socket = try #require(await RawSocket.connect(port: server.port, path: "/conformance/echo"))
            try await Task.sleep(for: .milliseconds(2500))
            socket.write(WebSocketConnectionTests.maskedFrame(0x1, Array("still here".utf8)))
            #expect(await socket.readTextFrames(1, containing: "still here").matched == 1)
            socket.drop()
        }
    }

    @Test("--idle-timeout sets the HTTP idle timeout (75 s by default)")
    func idleTimeoutFlag() throws {
        let defaults = try ChatServerCommand.parse([]).serverConfiguration(environment: [:])
        #expect(defaults.limits.idleTimeout == .seconds(75))
        let command = try ChatServerCommand.parse(["--idle-timeout", "20"])
        #expect(try command.serverConfiguration(environment: [:]).limits.idleTimeout == .seconds(20))
    }

    @Test("The first start generates a JWT secret of at least 32 bytes in the data directory and reuses it")
    func generatedSecret() async throws {
        let directory = TestServer.makeDataDirectory()
        let first = try await TestServer.with(dataDirectory: directory) { $0.server.configuration.jwtSecret }
        let second = try await TestServer.with(dataDirectory: directory) { $0.server.configuration.jwtSecret }
        let stored = try String(contentsOf: directory.appendingPathComponent("jwt-secret"), encoding: .utf8)
        #expect(first == second && first == stored && stored.utf8.count >= 32)
    }
}
