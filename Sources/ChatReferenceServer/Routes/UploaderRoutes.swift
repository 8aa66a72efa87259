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
        try self.state.limiter.acquireOrThrow(channel)
        return channel
    }

    /// `ext` names the object; v2's optional `size` binds the URL to at most that many bytes (413 past
    /// `max_upload_bytes`) and `content_type` to that media type. The channel's upload quota is checked here too, so
    /// a full channel is told before any byte is sent.
    private func presignUpload(_ request: Request) async throws -> Response {
        let channel = try await self.authorizeLimited(request)
        guard let ext = request.query("ext").flatMap(ObjectStore.normalizedExtension) else {
            throw ChatHTTPError(.invalidParameter)
        }
        var maxSize = self.state.configuration.limits.maxUploadSize
        let size = request.query("size")
        if let size {
            guard size.utf8.allSatisfy({ (48...57).contains($0) }), let bytes = UInt64(size) else {
                throw ChatHTTPError(.invalidParameter)
            }
            guard bytes <= UInt64(maxSize) else { throw ChatHTTPError(.uploadTooLarge) }
            maxSize = Int(bytes)
        }
        var contentType: String?
        if let text = request.query("content_type") {
            guard let normalized = ObjectStore.normalizedContentType(text) else {
                throw ChatHTTPError(.invalidParameter)
            }
            contentType = normalized
        }
        // Without `size` only a channel that cannot take even the smallest object is refused here.
        try await self.state.uploadQuota.check(adding: size == nil ? 0 : maxSize, in: channel)
        let key = ObjectStore.newKey(channel: channel, ext: ext)
        let url = self.presignedURL(.put, key: key, maxSize: maxSize, contentType: contentType, request: request)
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

    /// `<base>/api/uploader/objects/<key>?op=&max=&exp=[&ct=]&sig=`, signed over operation, key (which names the
    /// channel), maximum size, expiry and the bound content type, if any.
    private func presignedURL(
        _ operation: ObjectStore.Operation,
        key: String,
        maxSize: Int? = nil,
        contentType: String? = nil,
        request: Request
    ) -> String {
        let limits = self.state.configuration.limits
        let maxSize = maxSize ?? limits.maxUploadSize
        let expires = Int64(Date().timeIntervalSince1970) + limits.presignLifetime.components.seconds
        let signature = self.state.objects.signature(
            operation,
            key: key,
            maxSize: maxSize,
            expires: expires,
            contentType: contentType
        )
        var url = "\(self.baseURL(request))/api/uploader/objects/\(key)?op=\(operation.rawValue)"
        url += "&max=\(maxSize)&exp=\(expires)"
        if let contentType {
            url += "&ct=" + (contentType.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        return url + "&sig=\(signature)"
    }

    private func baseURL(_ request: Request) -> String {
        if let base = self.state.configuration.publicBaseURL { return base }
        let host = request.head.authority ?? "\(self.state.configuration.host):\(self.state.configuration.port)"
        return "http://\(host)"
    }

    /// Checks a presigned request; returns the key, its channel and the signed maximum size. 403 for a bad or
    /// expired signature, 400 for a PUT whose `Content-Type` is not the one the URL binds, 404 for a malformed key.
    private func verifyPresigned(
        _ operation: ObjectStore.Operation,
        _ request: Request,
        _ context: ChatRequestContext
    ) async throws -> (key: String, channel: ChannelID, maxSize: Int) {
        let key = "\(context.parameters.get("channel") ?? "")/\(context.parameters.get("file") ?? "")"
        guard let channel = ObjectStore.channel(ofKey: key) else { throw ChatHTTPError(.notFound) }
        let contentType = request.query("ct")
        guard request.query("op") == operation.rawValue, let maxSize = request.query("max").flatMap({ Int($0) }),
            let expires = request.query("exp").flatMap({ Int64($0) }), let signature = request.query("sig"),
            self.state.objects.isValid(
                signature,
                operation,
                key: key,
                maxSize: maxSize,
                expires: expires,
                contentType: contentType
            ),
            Int64(Date().timeIntervalSince1970) < expires
        else { throw ChatHTTPError(.unauthorized, status: .forbidden) }
        if let contentType {
            let sent = request.headers[.contentType].map {
                String($0.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard sent == contentType else { throw ChatHTTPError(.invalidParameter) }
        }
        guard try await self.state.storage.channelState(channel) == .active else {
            throw ChatHTTPError(.channelClosed, status: .forbidden)
        }
        return (key, channel, maxSize)
    }

    /// Stores an object. The upload holds a reservation of the channel's quota while it streams in; an object that
    /// lands after its channel ended is deleted again (403 `channel_closed`), so the end's clean-up misses none.
    private func putObject(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (key, channel, maxSize) = try await self.verifyPresigned(.put, request, context)
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > maxSize {
            throw ChatHTTPError(.uploadTooLarge)
        }
        try await self.state.uploadQuota.withReservation(of: length ?? maxSize, in: channel) { reservation in
            try await self.whileOpen(channel, keys: [key], closed: .forbidden) {
                let (file, size) = try await self.state.objects.writeTemporary(
                    key: key,
                    body: request.body,
                    maxSize: maxSize
                )
                try await self.state.uploadQuota.store(file, size: size, as: key, for: reservation)
            }
        }
        return Response(status: .ok)
    }

    /// Runs `body`, which stores `keys` of `channel`, and makes sure nothing of them stays when the channel ended
    /// meanwhile, however `body` ended (the retention sweep may already have passed the channel, or removed the
    /// folder under the upload): then the objects are deleted, with their folder if that is left empty, and the
    /// request is answered `channel_closed` with the status `closed`. Otherwise `ObjectStore.WriteError.tooLarge`
    /// becomes 413 `upload_too_large` and other errors pass through.
    private func whileOpen<T>(
        _ channel: ChannelID,
        keys: @autoclosure () -> [String],
        closed: HTTPResponse.Status,
        _ body: () async throws -> T
    ) async throws -> T {
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        guard try await self.state.storage.channelState(channel) == .active else {
            await self.state.uploadQuota.remove(keys(), in: channel)
            self.state.objects.removeFolderIfEmpty(of: channel)
            throw ChatHTTPError(.channelClosed, status: closed)
        }
        switch outcome {
        case .success(let value): return value
        case .failure(ObjectStore.WriteError.tooLarge): throw ChatHTTPError(.uploadTooLarge)
        case .failure(let error): throw error
        }
    }

    private func getObject(_ request: Request, _ context: ChatRequestContext) async throws -> Response {
        let (key, _, _) = try await self.verifyPresigned(.get, request, context)
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
        let length = request.headers[.contentLength].flatMap { Int($0) }
        if let length, length > maxSize {
            throw ChatHTTPError(.uploadTooLarge)
        }
        let files = try await self.state.uploadQuota.withReservation(of: length ?? maxSize, in: channel) {
            reservation in
            try await self.storeParts(of: request, boundary: boundary, maxSize: maxSize, reservation: reservation)
        }
        return .json(V1.UploadedFiles(files: files.isEmpty ? nil : files).jsonBytes(), status: .created)
    }

    /// Streams the `files` parts of a multipart body to the object store, each counted against `reservation`;
    /// returns the answer's entries. On any failure none of the request's files is kept; when the channel ended
    /// meanwhile the answer is 401 `channel_closed`, as for any request with its token.
    private func storeParts(
        of request: Request,
        boundary: String,
        maxSize: Int,
        reservation: UploadQuota.Reservation
    ) async throws -> [V1.UploadedFiles.File] {
        let channel = reservation.channel
        let reader = MultipartReader(body: request.body, boundary: boundary, maxBytes: maxSize)
        var files: [V1.UploadedFiles.File] = []
        var stored: [String] = []
        do {
            return try await self.whileOpen(channel, keys: stored, closed: .unauthorized) {
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
                        pieces.count > 1
                        ? ObjectStore.normalizedExtension(String(pieces.last ?? "")) ?? "bin" : "bin"
                    let key = ObjectStore.newKey(channel: channel, ext: ext)
                    let (file, size) = try await self.state.objects.writeTemporary(
                        key: key,
                        body: reader.content,
                        maxSize: maxSize
                    )
                    try await self.state.uploadQuota.store(file, size: size, as: key, for: reservation)
                    stored.append(key)
                    files.append(.init(name: fileName, url: self.presignedURL(.get, key: key, request: request)))
                }
                return files
            }
        } catch {
            await self.state.uploadQuota.remove(stored, in: channel)
            switch error {
            case let error as ChatHTTPError: throw error
            case is MultipartReader<RequestBody>.TooLarge: throw ChatHTTPError(.uploadTooLarge)
            case is MultipartParser.ParseError: throw ChatHTTPError(.invalidParameter)
            default: throw ChatHTTPError(.uploadFailed)
            }
        }
    }
}
