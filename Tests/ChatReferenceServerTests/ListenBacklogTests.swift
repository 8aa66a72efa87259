import Foundation
import Hummingbird
import Testing

@testable import ChatReferenceServer

/// A thousand match sockets opened at once must not overflow the accept queue (each dropped connect costs its
/// client a one-second TCP retry, B6).
@Suite("Listen backlog")
struct ListenBacklogTests {
    @Test("the listening socket's backlog is the configured one, 4096 by default (not Hummingbird's 256)")
    func backlog() async throws {
        for (value, expected) in [(Int?.none, 4096), (512, 512)] {
            var configuration = ServerConfiguration()
            let directory = TestServer.makeDataDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            configuration.dataDirectory = directory.path
            configuration.jwtSecret = "listen-backlog-secret-0123456789abcdef"
            if let value { configuration.listenBacklog = value }
            let server = try await buildApplication(configuration: configuration)
            #expect(server.application.configuration.backlog == expected)
        }
    }
}
