import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

@Suite("Uploads and the rate limiter", .serialized, .timeLimit(.minutes(1)))
struct UploadTests {
    @Test(
        "Unsafe extensions are refused with 400 and every key has the generated shape",
        arguments: [
            "", "../x", "a/b", "png?x=1", ".png", "%2e%2e", "PNG%20", String(repeating: "a", count: 300), "p%C3%A9",
        ]
    )
    func extensions(ext: String) async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let result = try await server.request(
                "GET",
                "/api/uploader/upload/presigned?ext=\(ext)",
                headers: server.bearer(token)
            )
            #expect(result.status == 400 && result.msg == "invalid parameter")
        }
    }

    @Test("Presigned URLs are bound to key, operation, size and expiry; other channels' keys are refused")
    func signatures() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxUploadSize = 16
        } _: { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let (_, otherToken) = try await server.makeChannel([alice.id])
            let presign = try await server.request(
                "GET",
                "/api/uploader/upload/presigned?ext=PNG",
                headers: server.bearer(token)
            )
            let key = try #require(presign.json["object_key"] as? String)
            #expect(key.wholeMatch(of: /\d+\/[0-9a-f-]{36}\.png/) != nil && key.hasPrefix("\(channel)/"))
            let url = try #require(presign.json["url"] as? String)
            // Too large: refused while streaming, nothing stored.
            let big = try await server.request("PUT", url, body: Array(repeating: 1, count: 17))
            #expect(big.status == 413)
            #expect(!FileManager.default.fileExists(atPath: server.state.objects.path(of: key).path))
            // Tampered signature, swapped operation, changed size: 403.
            for bad in [
                url.replacingOccurrences(of: "sig=", with: "sig=0"),
                url.replacingOccurrences(of: "op=put", with: "op=get"),
                url.replacingOccurrences(of: "max=16", with: "max=17"),
            ] {
                #expect(try await server.request("PUT", bad, body: [1]).status == 403)
            }
            #expect(try await server.request("PUT", url, body: [1, 2, 3]).status == 200)
            // Another channel's token cannot get a download URL for this key (upstream: 401 unauthorized).
            let okb64 = Data(key.utf8).base64URLEncodedString(padded: true)
            let foreign = try await server.request(
                "GET",
                "/api/uploader/download/presigned?okb64=\(okb64)",
                headers: server.bearer(otherToken)
            )
            #expect(foreign.status == 401 && foreign.msg == "unauthorized")
            for bad in ["", "!!!", Data("\(channel)/../x".utf8).base64URLEncodedString(padded: true)] {
                let result = try await server.request(
                    "GET",
                    "/api/uploader/download/presigned?okb64=\(bad)",
                    headers: server.bearer(token)
                )
                #expect(result.status == 400)
            }
            // Path tricks on the object endpoint never reach the file system.
            #expect(try await server.request("GET", "/api/uploader/objects/..%2F..%2Fjwt-secret/x").status == 404)
        }
    }

    @Test("An expired presigned URL is refused")
    func expiry() async throws {
        try await TestServer.with { configuration in
            configuration.limits.presignLifetime = .seconds(-1)
        } _: { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let presign = try await server.request(
                "GET",
                "/api/uploader/upload/presigned?ext=txt",
                headers: server.bearer(token)
            )
            let url = try #require(presign.json["url"] as? String)
            #expect(try await server.request("PUT", url, body: [1]).status == 403)
        }
    }

    @Test("The token bucket answers 429 with a body and Retry-After, per channel (D27)")
    func rateLimiter() async throws {
        try await TestServer.with { configuration in
            configuration.limits.uploadRate = 0.5
            configuration.limits.uploadBurst = 3
        } _: { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let (_, other) = try await server.makeChannel([alice.id])
            let path = "/api/uploader/upload/presigned?ext=png"
            for _ in 0..<3 {
                #expect(try await server.request("GET", path, headers: server.bearer(token)).status == 200)
            }
            let limited = try await server.request("GET", path, headers: server.bearer(token))
            #expect(limited.status == 429 && limited.msg == "too many requests")
            #expect(limited.header("Retry-After") == "2")
            #expect(try await server.request("GET", path, headers: server.bearer(other)).status == 200)
        }
    }

    @Test("Token bucket refill is continuous, not whole-second")
    func bucketRefill() {
        let limiter = RateLimiter(rate: 10, burst: 1)
        let start = ContinuousClock.now
        let channel = ChannelID(1)
        #expect(limiter.acquire(channel, now: start) == nil)
        #expect(limiter.acquire(channel, now: start + .milliseconds(50)) != nil)
        #expect(limiter.acquire(channel, now: start + .milliseconds(160)) == nil)
    }

    @Test("The deprecated multipart upload stores each file privately and answers 201")
    func multipart() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let boundary = "XyZ"
            var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
            body += "Content-Type: text/plain\r\n\r\nhello\r\n--\(boundary)--\r\n"
            let result = try await server.request(
                "POST",
                "/api/uploader/upload/files",
                headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                body: Array(body.utf8)
            )
            #expect(result.status == 201)
            let files = try #require(result.json["uploaded_files"] as? [[String: Any]])
            #expect(files.first?["name"] as? String == "a.txt")
            let fetched = try await server.request("GET", try #require(files.first?["url"] as? String))
            #expect(fetched.text == "hello")
            let empty = try await server.request(
                "POST",
                "/api/uploader/upload/files",
                headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                body: Array("--\(boundary)--\r\n".utf8)
            )
            #expect(empty.status == 400 || empty.text == #"{"uploaded_files":null}"#)
            let notMultipart = try await server.request(
                "POST",
                "/api/uploader/upload/files",
                headers: server.bearer(token)
            )
            #expect(notMultipart.status == 400)
        }
    }
}
