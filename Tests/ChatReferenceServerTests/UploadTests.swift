import AsyncHTTPClient
import ChatProtocol
import Foundation
import NIOCore
import NIOHTTP1
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
        let limiter = RateLimiter<ChannelID>(rate: 10, burst: 1)
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

    /// Sends a multipart body to the upload endpoint as a chunked stream (no `Content-Length`), in `chunkSize` pieces.
    static func streamedUpload(
        _ server: TestServer,
        token: String,
        boundary: String,
        body: [UInt8],
        chunkSize: Int
    ) async throws -> TestServer.HTTPResult {
        var request = HTTPClientRequest(url: server.base + "/api/uploader/upload/files")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        let chunks = stride(from: 0, to: body.count, by: chunkSize).map {
            ByteBuffer(bytes: body[$0..<min($0 + chunkSize, body.count)])
        }
        request.body = .stream(chunks.asyncChunks, length: .unknown)
        let response = try await TestServer.client.execute(request, timeout: .seconds(20))
        let collected = try await response.body.collect(upTo: 1 << 20)
        return .init(
            status: Int(response.status.code),
            headerList: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer: collected)
        )
    }

    static func part(_ name: String, file: String?, _ content: [UInt8], boundary: String) -> [UInt8] {
        let disposition = "form-data; name=\"\(name)\"" + (file.map { "; filename=\"\($0)\"" } ?? "")
        return Array("--\(boundary)\r\nContent-Disposition: \(disposition)\r\n\r\n".utf8) + content + [13, 10]
    }

    /// The regular files under the object store.
    static func storedFiles(_ server: TestServer) -> [String] {
        let root = server.state.objects.root
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        return (enumerator?.allObjects as? [URL] ?? []).filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }.map(\.path)
    }

    @Test("A multipart upload larger than a chunk streams to disk, boundary lookalikes and all")
    func multipartStreamed() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let boundary = "----chunky7"
            // 300 KiB of varied bytes with boundary prefixes sprinkled in, including at chunk edges.
            var big = (0..<(300 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            for offset in stride(from: 4090, to: big.count - 64, by: 8192) {
                big.replaceSubrange(offset..<(offset + 14), with: Array("\r\n------chunk".utf8))
            }
            let body =
                Self.part("note", file: nil, Array("skipped".utf8), boundary: boundary)
                + Self.part("files", file: "big.PNG", big, boundary: boundary)
                + Self.part("files", file: "noext", Array("small".utf8), boundary: boundary)
                + Array("--\(boundary)--\r\n".utf8)
            let result = try await Self.streamedUpload(
                server,
                token: token,
                boundary: boundary,
                body: body,
                chunkSize: 4096
            )
            #expect(result.status == 201)
            let files = try #require(result.json["uploaded_files"] as? [[String: Any]])
            #expect(files.map { $0["name"] as? String } == ["big.PNG", "noext"])
            let urls = files.compactMap { $0["url"] as? String }
            #expect(urls.count == 2 && urls[0].contains(".png?") && urls[1].contains(".bin?"))
            #expect(try await server.request("GET", urls[0]).body == big)
            #expect(try await server.request("GET", urls[1]).text == "small")
            #expect(Self.storedFiles(server).count == 2)
        }
    }

    @Test("An over-limit multipart upload answers 413 while streaming and leaves no file behind")
    func multipartTooLarge() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxUploadSize = 4096
        } _: { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let boundary = "XyZ"
            // One small file that fits, then one that pushes the body past the cap: neither is kept.
            let body =
                Self.part("files", file: "ok.txt", Array("fits".utf8), boundary: boundary)
                + Self.part("files", file: "big.bin", Array(repeating: 7, count: 64 * 1024), boundary: boundary)
                + Array("--\(boundary)--\r\n".utf8)
            let streamed = try await Self.streamedUpload(
                server,
                token: token,
                boundary: boundary,
                body: body,
                chunkSize: 1024
            )
            #expect(streamed.status == 413 && streamed.msg == "file too large")
            #expect(Self.storedFiles(server).isEmpty)
            // With a Content-Length the answer comes before any byte is read.
            let declared = try await server.request(
                "POST",
                "/api/uploader/upload/files",
                headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                body: body
            )
            #expect(declared.status == 413 && declared.msg == "file too large")
            #expect(Self.storedFiles(server).isEmpty)
        }
    }

    @Test("A multipart upload of more files than the limit answers 400 and keeps none; the limit itself is fine")
    func multipartTooManyFiles() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let boundary = "XyZ"
            let limit = server.state.configuration.limits.maxFilesPerUpload
            func upload(_ count: Int) async throws -> TestServer.HTTPResult {
                var body: [UInt8] = []
                for index in 0..<count { body += Self.part("files", file: "f\(index).txt", [1], boundary: boundary) }
                body += Array("--\(boundary)--\r\n".utf8)
                return try await server.request(
                    "POST",
                    "/api/uploader/upload/files",
                    headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                    body: body
                )
            }
            let tooMany = try await upload(limit + 1)
            #expect(tooMany.status == 400 && tooMany.msg == "invalid parameter")
            #expect(Self.storedFiles(server).isEmpty, "the first \(limit) files are removed again")
            let atLimit = try await upload(limit)
            #expect(atLimit.status == 201)
            #expect((atLimit.json["uploaded_files"] as? [[String: Any]])?.count == limit)
            #expect(Self.storedFiles(server).count == limit)
        }
    }

    static let malformedBodies = [
        "truncated": "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\ntruncated",
        "garbage": "garbage",
        "bad boundary line": "--XyZ?\r\n",
        "header without colon": "--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--\r\n",
        "headers over 16 KiB": "--XyZ\r\nX: \(String(repeating: "h", count: 17 * 1024))\r\n\r\nx\r\n--XyZ--\r\n",
    ]

    @Test(
        "Malformed multipart bodies answer 400 invalid parameter and keep nothing",
        arguments: ["truncated", "garbage", "bad boundary line", "header without colon", "headers over 16 KiB"]
    )
    func multipartMalformed(kind: String) async throws {
        let body = try #require(Self.malformedBodies[kind])
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let result = try await Self.streamedUpload(
                server,
                token: token,
                boundary: "XyZ",
                body: Array(body.utf8),
                chunkSize: 5
            )
            #expect(result.status == 400 && result.msg == "invalid parameter")
            #expect(Self.storedFiles(server).isEmpty)
        }
    }
}
