import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Testing

@testable import ChatClientSDK

/// ``HTTPClientGenerations``: the SDK's process-wide HTTP client, replaced after a network change
/// (``ChatClient/reconnectNow()``) without failing the requests that run on the old one.
@Suite("SDK: replacing the HTTP client after a network change", .timeLimit(.minutes(1)))
struct HTTPClientGenerationsTests {
    static func health(_ client: HTTPClient, _ baseURL: String) async throws -> UInt {
        let response = try await client.execute(HTTPClientRequest(url: baseURL + "/health"), timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return response.status.code
    }

    @Test("a request running on the replaced client finishes; the old client is shut down after it")
    func replaceWhileRunning() async throws {
        let clients = HTTPClientGenerations { AsyncHTTPClientTransport.makeClient() }
        do {
            try await self.replaceWhileRunning(clients)
        } catch {
            await clients.shutDown()  // AsyncHTTPClient traps when a client goes away running
            throw error
        }
        await clients.shutDown()
    }

    func replaceWhileRunning(_ clients: HTTPClientGenerations) async throws {
        try await InProcessServer.with { server in
            let old = try await clients.withClient { client in
                clients.replace()
                clients.replace()  // within the minimum interval of the first: nothing
                #expect(clients.generation == 2)
                let status = try await Self.health(client, server.baseURL)
                #expect(status == 200, "not shut down under the request")
                return client
            }
            let status = try await clients.withClient { try await Self.health($0, server.baseURL) }
            #expect(status == 200)
            // The old client is shut down in a task once its last request ended.
            var shutDown = false
            for _ in 0..<100 where !shutDown {
                do {
                    _ = try await Self.health(old, server.baseURL)
                    try await Task.sleep(for: .milliseconds(20))
                } catch {
                    shutDown = true
                }
            }
            #expect(shutDown)
        }
    }
}
