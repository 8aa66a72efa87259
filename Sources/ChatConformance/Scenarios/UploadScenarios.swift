import Foundation

/// §4.4: presigned uploads and downloads, the deprecated multipart upload, sizes and the rate limit.
enum UploadScenarios {
    static let area = "files"

    static func okb64(_ key: String) -> String {
        Data(key.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    /// Presigns, PUTs `bytes` and returns the object key.
    static func upload(_ context: ScenarioContext, _ token: String, bytes: [UInt8], ext: String) async throws -> String
    {
        let presign = try await context.http(
            "GET",
            "/api/uploader/upload/presigned?ext=\(ext)",
            headers: context.bearer(token)
        )
        try check(presign.status == 200, "presign: \(presign.summary)")
        let key = try must(presign.json?["object_key"] as? String, "object_key")
        let url = try must(presign.json?["url"] as? String, "url")
        let put = try await context.http("PUT", url, body: bytes)
        try check((200..<300).contains(put.status), "PUT to the presigned URL: \(put.summary)")
        return key
    }

    static var all: [Scenario] {
        [
            Scenario(
                "RC-UPL-PRESIGN-1_round_trip",
                area: area,
                section: "§4.4.1",
                "Presign a PUT, upload, presign a GET with okb64 and download the same bytes; the key names the channel"
            ) { context in
                let pair = try await context.matchedPair()
                let bytes = Array("conformance bytes".utf8)
                let key = try await upload(context, pair.token, bytes: bytes, ext: "txt")
                let pattern = #"^[0-9]+/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.txt$"#
                try check(key.range(of: pattern, options: .regularExpression) != nil, "object key shape: \(key)")
                try check(key.hasPrefix(pair.channelID + "/"), "key \(key) does not name channel \(pair.channelID)")
                let download = try await context.http(
                    "GET",
                    "/api/uploader/download/presigned?okb64=\(okb64(key))",
                    headers: context.bearer(pair.token)
                )
                try check(download.status == 200, "download presign: \(download.summary)")
                let url = try must(download.json?["url"] as? String, "url")
                let get = try await context.http("GET", url)
                try check(get.status == 200 && get.body == bytes, "GET: \(get.summary)")
                return nil
            },
            Scenario(
                "RC-UPL-PRESIGN-1_missing_ext_400",
                area: area,
                section: "§4.4.1",
                "Presign without ext answers 400"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "GET",
                    "/api/uploader/upload/presigned",
                    headers: context.bearer(pair.token)
                )
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-UPL-PRESIGN-1_unsafe_ext_400",
                area: area,
                section: "§4.4.1",
                "Presign with ext containing / or .. answers 400 (upstream accepts it, D28)"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "GET",
                    "/api/uploader/upload/presigned?ext=..%2Fx",
                    headers: context.bearer(pair.token)
                )
                if result.status == 200 { return try context.upstream("upstream D28: unsafe ext accepted") }
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return "fixed: 400"
            },
            Scenario(
                "RC-UPL-DOWNLOAD_other_channel_401",
                area: area,
                section: "§4.4.2",
                "A download presign for another channel's key answers 401"
            ) { context in
                let pair = try await context.matchedPair()
                let other = try await context.matchedPair()
                let key = try await upload(context, other.token, bytes: [1, 2, 3], ext: "bin")
                let result = try await context.http(
                    "GET",
                    "/api/uploader/download/presigned?okb64=\(okb64(key))",
                    headers: context.bearer(pair.token)
                )
                try check(result.status == 401, "expected 401, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-UPL-DOWNLOAD_bad_okb64_400",
                area: area,
                section: "§4.4.2",
                "A download presign with undecodable okb64 answers 400"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "GET",
                    "/api/uploader/download/presigned?okb64=%%%",
                    headers: context.bearer(pair.token)
                )
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return nil
            },
            Scenario(
                "RC-UPL_presign_without_token_401",
                area: area,
                section: "§4.4",
                "Upload and download presigns without a token answer 401, never trusting X-Channel-Id (§3.7)"
            ) { context in
                let pair = try await context.matchedPair()
                for path in ["/api/uploader/upload/presigned?ext=png", "/api/uploader/download/presigned?okb64=eA=="] {
                    let result = try await context.http("GET", path, headers: [("X-Channel-Id", pair.channelID)])
                    try check(result.status == 401, "\(path): expected 401, got \(result.summary)")
                }
                return nil
            },
            Scenario(
                "RC-UPL_multipart_upload",
                area: area,
                section: "§4.4.3",
                "The deprecated multipart upload answers 201 with uploaded_files [{name, url}]"
            ) { context in
                let pair = try await context.matchedPair()
                let boundary = "conformance-boundary"
                var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
                body += "Content-Type: text/plain\r\n\r\nhello\r\n--\(boundary)--\r\n"
                let result = try await context.http(
                    "POST",
                    "/api/uploader/upload/files",
                    headers: context.bearer(pair.token)
                        + [("Content-Type", "multipart/form-data; boundary=\(boundary)")],
                    body: Array(body.utf8)
                )
                try check(result.status == 201, "expected 201, got \(result.summary)")
                let files = try must(result.json?["uploaded_files"] as? [[String: Any]], "uploaded_files")
                try check(files.first?["name"] as? String == "a.txt", "files \(files)")
                try check(files.first?["url"] is String, "no url: \(files)")
                return nil
            },
            Scenario(
                "RC-UPL_multipart_not_multipart_400",
                area: area,
                section: "§4.4.3",
                "The multipart upload with a non-multipart body answers 400 (upstream 500, D28)"
            ) { context in
                let pair = try await context.matchedPair()
                let result = try await context.http(
                    "POST",
                    "/api/uploader/upload/files",
                    headers: context.bearer(pair.token) + [("Content-Type", "application/json")],
                    body: Array("{}".utf8)
                )
                if result.status == 500 { return try context.upstream("upstream D28: 500") }
                try check(result.status == 400, "expected 400, got \(result.summary)")
                return "fixed: 400"
            },
            Scenario(
                "RC-UPL-OBJ-1_oversize_put_413",
                area: area,
                section: "§4.4.4",
                "A PUT larger than the upload limit is refused with 413 and leaves no object"
            ) { context in
                let limit = try context.require(context.configuration.maxUploadSize, "--max-upload-size")
                let pair = try await context.matchedPair()
                let presign = try await context.http(
                    "GET",
                    "/api/uploader/upload/presigned?ext=bin",
                    headers: context.bearer(pair.token)
                )
                try check(presign.status == 200, "presign: \(presign.summary)")
                let key = try must(presign.json?["object_key"] as? String, "object_key")
                let url = try must(presign.json?["url"] as? String, "url")
                let put = try await context.http("PUT", url, body: [UInt8](repeating: 7, count: limit + 1))
                try check(put.status == 413, "expected 413, got \(put.summary)")
                let download = try await context.http(
                    "GET",
                    "/api/uploader/download/presigned?okb64=\(okb64(key))",
                    headers: context.bearer(pair.token)
                )
                if download.status == 200, let getURL = download.json?["url"] as? String {
                    let get = try await context.http("GET", getURL)
                    try check(get.status == 404, "a partial object was stored: \(get.status), \(get.body.count) bytes")
                }
                let exact = try await upload(
                    context,
                    pair.token,
                    bytes: [UInt8](repeating: 7, count: limit),
                    ext: "bin"
                )
                try check(!exact.isEmpty, "an upload of exactly the limit was refused")
                return nil
            },
            Scenario(
                "RC-UPL-RATE-1_rate_limited_429",
                area: area,
                section: "§4.4",
                "More presigns than the burst in a channel get 429 with Retry-After; other channels are unaffected"
            ) { context in
                let burst = try context.require(context.configuration.uploadBurst, "--upload-burst")
                let pair = try await context.matchedPair()
                var limited: HTTPResult?
                for _ in 0..<(burst * 2 + 5) {
                    let result = try await context.http(
                        "GET",
                        "/api/uploader/upload/presigned?ext=png",
                        headers: context.bearer(pair.token)
                    )
                    if result.status == 429 {
                        limited = result
                        break
                    }
                    try check(result.status == 200, "presign: \(result.summary)")
                }
                let denied = try must(limited, "a 429 within \(burst * 2 + 5) presigns")
                try check(denied.header("Retry-After") != nil, "429 without Retry-After (RC-HTTP-ERR-3)")
                let other = try await context.matchedPair()
                let fine = try await context.http(
                    "GET",
                    "/api/uploader/upload/presigned?ext=png",
                    headers: context.bearer(other.token)
                )
                try check(fine.status == 200, "another channel was limited too: \(fine.summary)")
                return denied.body.isEmpty ? try context.upstream("upstream: empty 429 body (D27)") : nil
            },
        ]
    }
}
