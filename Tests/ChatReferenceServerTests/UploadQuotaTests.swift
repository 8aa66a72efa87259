import AsyncHTTPClient
import ChatProtocol
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import ChatReferenceServer

/// The presign's v2 `size` and `content_type` bindings (PROTOCOL.md §4.4.1) and the per-channel upload quota.
@Suite("Upload sizes, content types and the channel quota", .serialized, .timeLimit(.minutes(1)))
struct UploadQuotaTests {
    /// A presign for `token`'s channel with the extra query `query`; the answer, and the key and URL when it is 200.
    static func presign(
        _ server: TestServer,
        _ token: String,
        _ query: String = ""
    ) async throws -> (result: TestServer.HTTPResult, key: String?, url: String?) {
        let result = try await server.request(
            "GET",
            "/api/uploader/upload/presigned?ext=bin\(query)",
            headers: server.bearer(token)
        )
        return (result, result.json["object_key"] as? String, result.json["url"] as? String)
    }

    /// Whether `channel` has a folder in the object store.
    static func hasFolder(_ server: TestServer, _ channel: ChannelID) -> Bool {
        FileManager.default.fileExists(atPath: server.state.objects.folder(of: channel).path)
    }

    @Test("size binds the URL to at most that many bytes; over max_upload_bytes or malformed is refused")
    func sizeBinding() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxUploadSize = 1000
        } _: { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let bound = try await Self.presign(server, token, "&size=10")
            let url = try #require(bound.url)
            #expect(url.contains("max=10&"))
            let tooMany = try await server.request("PUT", url, body: Array(repeating: 1, count: 11))
            #expect(tooMany.status == 413 && tooMany.msg == "file too large")
            #expect(
                !FileManager.default.fileExists(atPath: server.state.objects.path(of: try #require(bound.key)).path)
            )
            #expect(try await server.request("PUT", url, body: Array(repeating: 1, count: 10)).status == 200)

            let over = try await Self.presign(server, token, "&size=1001")
            #expect(over.result.status == 413 && over.result.msg == "file too large")
            #expect(try await Self.presign(server, token, "&size=1000").result.status == 200)
            for bad in ["-1", "+5", "ten", "", "18446744073709551616"] {
                let result = try await Self.presign(server, token, "&size=\(bad)")
                #expect(result.result.status == 400 && result.result.msg == "invalid parameter", "\(bad)")
            }
        }
    }

    @Test("content_type binds the PUT's Content-Type; a malformed one is refused")
    func contentTypeBinding() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (_, token) = try await server.makeChannel([alice.id])
            let bound = try await Self.presign(server, token, "&content_type=Image/SVG%2BXML")
            let url = try #require(bound.url)
            #expect(url.contains("&ct=image%2Fsvg%2Bxml&"))
            let wrong = try await server.request("PUT", url, headers: [("Content-Type", "text/html")], body: [1])
            #expect(wrong.status == 400 && wrong.msg == "invalid parameter")
            let missing = try await server.request("PUT", url, body: [1])
            #expect(missing.status == 400)
            // The signature covers the type: the URL cannot be re-bound to another.
            let swapped = url.replacingOccurrences(of: "ct=image%2Fsvg%2Bxml", with: "ct=text%2Fhtml")
            #expect(
                try await server.request("PUT", swapped, headers: [("Content-Type", "text/html")], body: [1]).status
                    == 403
            )
            let right = try await server.request(
                "PUT",
                url,
                headers: [("Content-Type", "image/svg+xml; charset=utf-8")],
                body: [1]
            )
            #expect(right.status == 200)
            for bad in ["text", "text/", "/html", "text/html;%20charset=utf-8", "a/b/c", "t%20t/x", "-x/y"] {
                let result = try await Self.presign(server, token, "&content_type=\(bad)")
                #expect(result.result.status == 400, "\(bad)")
            }
        }
    }

    @Test("a channel's uploads stop at its quota with 413 upload_quota_exceeded; tiny files count 4 KiB")
    func quota() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxChannelUploadBytes = 3 * UploadQuota.minimumCharge + 100
        } _: { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let (_, other) = try await server.makeChannel([alice.id])
            // Two one-byte files count 8 KiB.
            for _ in 0..<2 {
                let url = try #require(try await Self.presign(server, token).url)
                #expect(try await server.request("PUT", url, body: [1]).status == 200)
            }
            #expect(server.state.objects.usage(of: channel) == 2 * UploadQuota.minimumCharge)
            // A presign whose size does not fit is refused before any byte is sent.
            let big = try await Self.presign(server, token, "&size=\(UploadQuota.minimumCharge + 101)")
            #expect(big.result.status == 413)
            #expect(big.result.msg == "channel upload quota exceeded")
            #expect(big.result.json["code"] as? String == "upload_quota_exceeded")
            // Without size the PUT's Content-Length is checked: over → 413 and nothing stored.
            let unbound = try await Self.presign(server, token)
            let url = try #require(unbound.url)
            let refused = try await server.request(
                "PUT",
                url,
                body: Array(repeating: 1, count: UploadQuota.minimumCharge + 101)
            )
            #expect(refused.status == 413 && refused.msg == "channel upload quota exceeded")
            #expect(
                !FileManager.default.fileExists(atPath: server.state.objects.path(of: try #require(unbound.key)).path)
            )
            #expect(server.state.uploadQuota.reservedBytes(in: channel) == 0)
            // What fits still goes in; then the channel is full, even for a presign without size.
            #expect(
                try await server.request("PUT", url, body: Array(repeating: 1, count: UploadQuota.minimumCharge + 100))
                    .status == 200
            )
            let full = try await Self.presign(server, token)
            #expect(full.result.status == 413 && full.result.msg == "channel upload quota exceeded")
            // The multipart upload counts too.
            let boundary = "XyZ"
            let body = UploadTests.part("files", file: "a.txt", [1], boundary: boundary) + Array("--XyZ--\r\n".utf8)
            let multipart = try await server.request(
                "POST",
                "/api/uploader/upload/files",
                headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                body: body
            )
            #expect(multipart.status == 413 && multipart.msg == "channel upload quota exceeded")
            // The quota is per channel.
            let elsewhere = try #require(try await Self.presign(server, other, "&size=4000").url)
            #expect(try await server.request("PUT", elsewhere, body: Array(repeating: 1, count: 4000)).status == 200)
        }
    }

    @Test("an upload in flight holds its bytes: a second one that would not fit beside it is refused")
    func reservations() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxChannelUploadBytes = 6000 + UploadQuota.minimumCharge
        } _: { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let first = try #require(try await Self.presign(server, token).url)
            let second = try #require(try await Self.presign(server, token).url)
            let slow = FedRequest(.PUT, first, length: 6000)
            slow.send(Array(repeating: 1, count: 1000))
            #expect(try await server.eventually { server.state.uploadQuota.reservedBytes(in: channel) == 6000 })
            let refused = try await server.request("PUT", second, body: Array(repeating: 2, count: 6000))
            #expect(refused.status == 413 && refused.msg == "channel upload quota exceeded")
            slow.send(Array(repeating: 1, count: 5000))
            #expect(try await slow.finish().status == 200)
            #expect(server.state.uploadQuota.reservedBytes(in: channel) == 0)
            #expect(server.state.objects.usage(of: channel) == 6000)
            #expect(try await server.request("PUT", second, body: Array(repeating: 2, count: 4000)).status == 200)
        }
    }

    @Test("a multipart upload's tiny files count 4 KiB each: past the quota it is refused whole, nothing kept")
    func multipartCharges() async throws {
        try await TestServer.with { configuration in
            configuration.limits.maxChannelUploadBytes = 3 * UploadQuota.minimumCharge
        } _: { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let boundary = "XyZ"
            func upload(_ files: Int) async throws -> TestServer.HTTPResult {
                var body: [UInt8] = []
                for index in 0..<files {
                    body += UploadTests.part("files", file: "\(index).txt", [1], boundary: boundary)
                }
                return try await server.request(
                    "POST",
                    "/api/uploader/upload/files",
                    headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                    body: body + Array("--XyZ--\r\n".utf8)
                )
            }
            // Four one-byte files in a body of a few hundred bytes: the fourth does not fit.
            let refused = try await upload(4)
            #expect(refused.status == 413 && refused.msg == "channel upload quota exceeded")
            #expect(UploadTests.storedFiles(server).isEmpty)
            #expect(server.state.uploadQuota.storedBytes(in: channel) == 0)
            #expect(server.state.uploadQuota.reservedBytes(in: channel) == 0)
            // Three fit exactly.
            #expect(try await upload(3).status == 201)
            #expect(server.state.uploadQuota.storedBytes(in: channel) == 3 * UploadQuota.minimumCharge)
            #expect(server.state.objects.usage(of: channel) == 3 * UploadQuota.minimumCharge)
        }
    }

    @Test("an object replaced under its key counts once; after a restart usage is read from the folder")
    func usageAcrossRestarts() async throws {
        let directory = TestServer.makeDataDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let quota: (inout ServerConfiguration) -> Void = {
            $0.limits.maxChannelUploadBytes = 20_000
        }
        let (channel, token) = try await TestServer.with(dataDirectory: directory, configure: quota) { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let url = try #require(try await Self.presign(server, token).url)
            for _ in 0..<2 {
                #expect(try await server.request("PUT", url, body: Array(repeating: 1, count: 6000)).status == 200)
            }
            #expect(server.state.uploadQuota.storedBytes(in: channel) == 6000)
            return (channel, token)
        }
        try await TestServer.with(dataDirectory: directory, configure: quota) { server in
            #expect(server.state.uploadQuota.storedBytes(in: channel) == nil)
            let over = try await Self.presign(server, token, "&size=14001")
            #expect(over.result.status == 413)
            #expect(server.state.uploadQuota.storedBytes(in: channel) == 6000)
            let fits = try await Self.presign(server, token, "&size=14000")
            #expect(fits.result.status == 200)
        }
    }

    @Test("a multipart upload whose channel ends meanwhile answers 401 channel_closed and keeps nothing")
    func multipartAfterTheEnd() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let boundary = "XyZ"
            let whole =
                UploadTests.part("files", file: "a.txt", [1, 2, 3], boundary: boundary)
                + UploadTests.part("files", file: "b.txt", [4], boundary: boundary) + Array("--XyZ--\r\n".utf8)
            // The first part and the next delimiter, so the first file is complete; then the rest.
            let split = UploadTests.part("files", file: "a.txt", [1, 2, 3], boundary: boundary).count + 12
            let (first, rest) = (Array(whole[..<split]), Array(whole[split...]))
            let post = FedRequest(
                .POST,
                server.base + "/api/uploader/upload/files",
                headers: server.bearer(token) + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                length: whole.count
            )
            post.send(first)
            // The first file is in place once the quota counts it.
            #expect(try await server.eventually { server.state.uploadQuota.storedBytes(in: channel) ?? 0 > 0 })
            try await server.state.storage.deleteChannel(channel, now: Date())
            post.send(rest)
            let response = try await post.finish()
            #expect(response.status == 401 && response.body.contains("channel closed"))
            #expect(UploadTests.storedFiles(server).isEmpty)
            #expect(!Self.hasFolder(server, channel))
        }
    }

    @Test("a PUT that runs over its size after its channel ended answers 403 channel_closed and leaves no folder")
    func oversizeAfterTheEnd() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let url = try #require(try await Self.presign(server, token, "&size=5").url)
            let put = FedRequest(.PUT, url, length: nil)
            put.send([1, 2])
            #expect(try await server.eventually { server.state.uploadQuota.reservedBytes(in: channel) > 0 })
            try await server.state.storage.deleteChannel(channel, now: Date())
            try server.state.objects.removeObjects(of: channel)  // the sweep passed meanwhile
            put.send(Array(repeating: 3, count: 10))
            let response = try await put.finish()
            #expect(response.status == 403 && response.body.contains("channel closed"))
            #expect(!Self.hasFolder(server, channel))
        }
    }

    @Test("an object that lands after its channel ended is deleted and the PUT answers 403 channel_closed")
    func putAfterTheEnd() async throws {
        try await TestServer.with { server in
            let alice = try await server.signUp("alice")
            let (channel, token) = try await server.makeChannel([alice.id])
            let presign = try await Self.presign(server, token)
            let url = try #require(presign.url)
            let key = try #require(presign.key)
            let put = FedRequest(.PUT, url, length: 10)
            put.send([1, 2, 3])
            #expect(try await server.eventually { server.state.uploadQuota.reservedBytes(in: channel) > 0 })
            try await server.state.storage.deleteChannel(channel, now: Date())
            put.send(Array(repeating: 4, count: 7))
            let response = try await put.finish()
            #expect(response.status == 403 && response.body.contains("channel closed"))
            #expect(!FileManager.default.fileExists(atPath: server.state.objects.path(of: key).path))
            #expect(!Self.hasFolder(server, channel), "no empty folder left behind")
        }
    }
}

/// A request whose body the test sends piece by piece, so it can act while the server is in the middle of it.
struct FedRequest {
    private let feed: AsyncStream<ByteBuffer>.Continuation
    private let response: Task<(status: Int, body: String), any Error>

    /// Starts the request; `length` is its `Content-Length` (`nil`: chunked).
    init(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], length: Int?) {
        let (chunks, feed) = AsyncStream.makeStream(of: ByteBuffer.self)
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .stream(chunks, length: length.map { .known(Int64($0)) } ?? .unknown)
        let started = request
        self.feed = feed
        self.response = Task {
            let response = try await TestServer.client.execute(started, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 16)
            return (Int(response.status.code), String(buffer: body))
        }
    }

    /// Sends the next piece of the body.
    func send(_ bytes: [UInt8]) { self.feed.yield(ByteBuffer(bytes: bytes)) }

    /// Ends the body and waits for the answer.
    func finish() async throws -> (status: Int, body: String) {
        self.feed.finish()
        return try await self.response.value
    }
}
