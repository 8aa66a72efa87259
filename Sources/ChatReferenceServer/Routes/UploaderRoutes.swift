import ChatProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/uploader`: presigned upload/download URLs pointing at the server's own object endpoint, the deprecated
/// multipart upload, and the object endpoint itself (upstream §3.5, §7).
///
/// The uploader checks the Bearer token itself instead of trusting `X-Channel-Id` (D29).
struct UploaderRoutes {
    let state: ServerState

    func register(on router: Router<ChatRequestContext>) {
        let group = router.group("api/uploader")
        group.get("upload/presigned") { request, _ in try await self.presignUpload(request) }
        group.get("download/presigned") { request, _ in try await self.presignDownload(request) }
        group.post("upload/files") { request, context in try await self.multipartUpload(request, context) }
        group.put("objects/{channel}/{file}") { request, context in try await self.putObject(request, context) }
        group.get("objects/{channel}/{file}") { request, context in try await self.getObject(request, context) }
    }

    /// Bearer auth plus the per-channel token bucket; 429 with a JSON body and `Retry-After` (D27).
    private func authorizeLimited(_ request: Request) async throws -> ChannelID {
        let channel = try await self.state.bearerChannel(request)
        if let wait = self.state.limiter.acquire(channel) {
            let seconds = max(1, wait.components.seconds + (wait.components.attoseconds > 0 ? 1 : 0))
            throw ChatHTTPError(.rateLimited, headers: [.retryAfter: "\(seconds)"])
        }
        return channel
    }

    private func presignUpload(_ request: Request) async throws -> Response {
        let channel = try await self.authorizeLimited(request)
        guard let ext = request.query("ext").flatMap(ObjectStore.normalizedExtension) else {
            throw ChatHTTPError(.invalidParameter)
        }
        let key = ObjectStore.newKey(channel: channel, ext: ext)
        let url = self.presignedURL(.put, key: key, request: request)
        return .json(V1.PresignedUpload(objectKey: key, url: url).jsonBytes(), headers: [.cacheControl: "no-store"])
    }

    private func presignDownload(_ request: Request) async throws -> Response {
        let channel = try await self.authorizeLimited(request)
        guard let okb64 = request.query("okb64"),
            let data = Data(
                base64URLEncoded: okb64.replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_")
            ),
            let key = String(data: data, encoding: .utf8), let owner = ObjectStore.channel(ofKey: key)
        else { throw ChatHTTPError(.invalidParameter) }
        guard owner == channel else { throw ChatHTTPError(.unauthorized) }
        let url = self.presignedURL(.get, key: key, request: request)
        return .json(V1.PresignedDownload(url: url).jsonBytes(), headers: [.cacheControl: "no-store"])
    }

    /// `<base>/api/uploader/objects/<key>?op=&max=&exp=&sig=`, signed over operation, key (which names the
    /// channel), maximum size and expiry.
    private func presignedURL(_ operation: ObjectStore.Operation, key: String, request: Request) -> String {
        let limits = self.state.configuration.limits
        let expires = Int64(Date().timeIntervalSince1970) + limits.presignLifetime.components.seconds
        let signature = self.state.objects.signature(
            operation,
            key: key,
            maxSize: limits.maxUploadSize,
            expires: expires
        )
        return "\(self.baseURL(request))/api/uploader/objects/\(key)?op=\(operation.rawValue)"
            + "&max=\(limits.maxUploadSize)&exp=\(expires)&sig=\(signature)"
    }

    private func baseURL(_ request: Request) -> String {
        if let base = self.state.configuration.publicBaseURL { return base }
        let host = request.head.authority ?? "\(self.state.configuration.host):\(self.state.configuration.port)"
        return "http://\(host)"
    }

    /// Checks a presigned request; returns the key and the signed maximum size. 403 for a bad or expired
    /// signature, 404 for a malformed key.
    private func verifyPresigned(
        _ operation: ObjectStore.Operation,
        _ request: Request,
        _ context: ChatRequestContext
    ) async throws -> (key: String, maxSize: Int) {
        let key = "\(context.parameters.get("channel") ?? "")/\(context.parameters.get("file") ?? "")"
        guard let channel = ObjectStore.channel(ofKey: key) else { throw ChatHTTPError(.notFound) }
        guard request.query("op") == operation.rawValue, let maxSize = request.query("max").flatMap({ Int($0) }),
            let expires = request.query("exp").flatMap({ Int64($0) }), let signature = request.query("sig"),
            self.state.objects.isValid(signature, operation, key: key, maxSize: maxSize, expires: expires),
            Int64(Date().timeIntervalSince1970) < expires
        else { throw ChatHTTPError(.unauthorized, status: .forbidden) }
        guard try await self.state.storage.channelState(channel) == .active else {
            throw ChatHTTPError(.channelClosed, status: .forbidden)
        }
        return (key, maxSize)
    }

    private func putObject(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (key, maxSize) = try await self.verifyPresigned(.put, request, context)
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxSize {
            throw ChatHTTPError(.uploadTooLarge)
        }
        do {
            _ = try await self.state.objects.write(key: key, body: request.body, maxSize: maxSize)
        } catch ObjectStore.WriteError.tooLarge {
            throw ChatHTTPError(.uploadTooLarge)
        }
        return Response(status: .ok)
    }

    private func getObject(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (key, _) = try await self.verifyPresigned(.get, request, context)
        let path = self.state.objects.path(of: key).path
        guard FileManager.default.fileExists(atPath: path) else { throw ChatHTTPError(.notFound) }
        let ext = String(key.split(separator: ".").last ?? "")
        let inline = ["png", "jpg", "jpeg", "gif", "webp"].contains(ext)
        var headers: HTTPFields = [
            .contentType: MediaType.getMediaType(forExtension: ext)?.description ?? "application/octet-stream",
            .contentTypeOptions: "nosniff",
        ]
        if !inline { headers[.contentDisposition] = "attachment" }
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The deprecated `POST /api/uploader/upload/files` (multipart, field `files`). The body is parsed while it
    /// streams in and each file is streamed to the object store; the whole body is capped at the upload limit (413
    /// past it, by `Content-Length` or while streaming), the files at `Limits.maxFilesPerUpload` (400 past it), and
    /// nothing is kept when the request fails. Objects are private and the answer carries presigned GET URLs instead
    /// of public ones (D28).
    private func multipartUpload(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let channel = try await self.authorizeLimited(request)
        guard let contentType = request.headers[.contentType],
            let boundary = MultipartParser.boundary(of: contentType)
        else { throw ChatHTTPError(.invalidParameter) }
        let maxSize = self.state.configuration.limits.maxUploadSize
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxSize {
            throw ChatHTTPError(.uploadTooLarge)
        }
        let reader = MultipartReader(body: request.body, boundary: boundary, maxBytes: maxSize)
        var files: [V1.UploadedFiles.File] = []
        var stored: [String] = []
        do {
            while let event = try await reader.next() {
                guard case .partHeaders(let headers) = event else { continue }
                guard headers.name == "files" else {
                    try await reader.skipPart()
                    continue
                }
                guard let fileName = headers.fileName else { throw ChatHTTPError(.fileNotReadable) }
                guard stored.count < self.state.configuration.limits.maxFilesPerUpload else {
                    throw ChatHTTPError(.invalidParameter)
                }
                let pieces = fileName.split(separator: ".")
                let ext =
                    pieces.count > 1 ? ObjectStore.normalizedExtension(String(pieces.last ?? "")) ?? "bin" : "bin"
                let key = ObjectStore.newKey(channel: channel, ext: ext)
                _ = try await self.state.objects.write(key: key, body: reader.content, maxSize: maxSize)
                stored.append(key)
                files.append(.init(name: fileName, url: self.presignedURL(.get, key: key, request: request)))
            }
        } catch {
            for key in stored { try? FileManager.default.removeItem(at: self.state.objects.path(of: key)) }
            switch error {
            case let error as ChatHTTPError: throw error
            case is MultipartReader<RequestBody>.TooLarge, ObjectStore.WriteError.tooLarge:
                throw ChatHTTPError(.uploadTooLarge)
            case is MultipartParser.ParseError: throw ChatHTTPError(.invalidParameter)
            default: throw ChatHTTPError(.uploadFailed)
            }
        }
        return .json(V1.UploadedFiles(files: files.isEmpty ? nil : files).jsonBytes(), status: .created)
    }
}
