import Synchronization

/// How far an upload has got.
public struct ChatUploadProgress: Hashable, Sendable {
    /// Bytes handed to the network so far.
    public var bytesSent: Int
    /// The file's size.
    public var totalBytes: Int

    /// Creates a progress value.
    /// - Parameters:
    ///   - bytesSent: Bytes sent so far.
    ///   - totalBytes: The total.
    public init(bytesSent: Int, totalBytes: Int) {
        self.bytesSent = bytesSent
        self.totalBytes = totalBytes
    }

    /// `bytesSent / totalBytes`, from 0 to 1.
    public var fractionCompleted: Double {
        self.totalBytes == 0 ? 1 : Double(self.bytesSent) / Double(self.totalBytes)
    }
}

extension ChatSession {
    /// Uploads a file and, once the upload succeeded, sends a file message that refers to it.
    ///
    /// The size is checked before anything is sent; the upload uses the presigned flow (ask for an upload URL bound
    /// to the file's size, `PUT` the bytes, then send the message). Cancelling the task cancels the upload, and no
    /// message is sent.
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - fileName: The name to show, for example `"cat.png"`; its extension names the stored object.
    ///   - progress: Called as the bytes go out.
    /// - Returns: The local id that the confirming ``ChatEvent/message(_:)`` will carry.
    /// - Throws: `ChatError` with `ChatError.Code.uploadTooLarge` above
    ///   ``ChatClient/Configuration/maxUploadSize``, `ChatError.Code.uploadQuotaExceeded` when the file does not
    ///   fit in what is left of the server's per-channel quota, `ChatError.Code.uploadFailed` when the storage refused the
    ///   bytes, `ChatError.Code.rateLimited` when the server throttles uploads, `ChatError.Code.tokenExpired`,
    ///   `ChatError.Code.invalidState` when the session has ended, or `ChatError.Code.cancelled`.
    @discardableResult
    public func sendFile(
        _ bytes: [UInt8],
        named fileName: String,
        progress: (@Sendable (ChatUploadProgress) -> Void)? = nil
    ) async throws -> ChatLocalMessageID {
        try await mappingErrors("uploading a file") {
            try self.checkOpen()
            var limit = self.client.configuration.maxUploadSize
            var limitName = "Configuration.maxUploadSize"
            if let advertised = self.serverLimits?.maxUploadBytes, advertised > 0, advertised < UInt64(limit) {
                limit = Int(advertised)
                limitName = "hello.limits.max_upload_bytes"
            }
            guard bytes.count <= limit else {
                throw ChatError(
                    code: .uploadTooLarge,
                    message: "the file is \(bytes.count) bytes; the limit is \(limit) (\(limitName))"
                )
            }
            guard !fileName.isEmpty else {
                throw ChatError(code: .invalidParameter, message: "the file needs a name")
            }
            try self.checkTokenNotExpired()
            var ext = ChatFile(name: fileName).fileExtension
            if ext.isEmpty || ext.count > 16 || !ext.allSatisfy({ $0.isLetter || $0.isNumber }) { ext = "bin" }
            let presign = try await self.client.send(
                "GET",
                "/api/uploader/upload/presigned",
                query: [("ext", ext), ("size", String(bytes.count))],
                auth: .bearer(self.match.token)
            )
            let upload = try V1.PresignedUpload(jsonBytes: presign.body)
            // The file message must fit the frame limit: check before spending the upload.
            let payload = V1.FilePayload(fileName: fileName, objectKey: upload.objectKey).payloadString()
            let usesV2 = self.state.withLock { $0.usesV2 }
            if !usesV2 { try self.checkFrameSize(event: .file, payload: payload) }
            var report: (@Sendable (Int, Int) -> Void)?
            if let progress {
                report = { sent, total in progress(ChatUploadProgress(bytesSent: sent, totalBytes: total)) }
            }
            let timeout = max(self.client.configuration.requestTimeout, .seconds(Int64(bytes.count / 100_000 + 30)))
            let request = HTTPRequestSpec(
                method: "PUT",
                url: upload.url,
                headers: [("Content-Type", "application/octet-stream")],
                body: bytes,
                timeout: timeout,
                progress: report
            )
            let response = try await self.client.http.execute(request, maxResponseBytes: 1 << 20)
            guard (200..<300).contains(response.status) else {
                throw Self.uploadRefusal(status: response.status, body: response.body)
            }
            try Task.checkCancellation()
            if usesV2 {
                let file = V2.FileRef(fileName: fileName, objectKey: upload.objectKey, size: UInt64(bytes.count))
                return try await self.enqueueV2(.file(file))
            }
            let localID = try self.enqueue(event: .file, payload: payload)
            await self.writeFromCaller()
            return localID
        }
    }

    /// The error for an upload `PUT` the storage answered with `status`: `uploadQuotaExceeded` or `uploadTooLarge`
    /// when the body is our server's JSON error saying so, `uploadFailed` otherwise (S3 answers XML).
    static func uploadRefusal(status: Int, body: [UInt8]) -> ChatError {
        if let error = try? V1.ErrorBody(jsonBytes: body),
            let code = error.code.flatMap(ChatError.Code.init(wireName:)),
            code == .uploadQuotaExceeded || code == .uploadTooLarge
        {
            return ChatError(
                code: code,
                message: "the storage answered \(status) (\(error.msg)); no file message was sent",
                httpStatus: status
            )
        }
        return ChatError(
            code: .uploadFailed,
            message: "the storage answered \(status) to the upload; no file message was sent",
            httpStatus: status
        )
    }

    /// Resolves where a shared file can be downloaded from.
    /// - Parameter file: A file from a ``ChatMessage``.
    /// - Returns: A URL to `GET` the file from (short-lived when presigned).
    /// - Throws: `ChatError` with `ChatError.Code.unauthorized` for a file of another channel,
    ///   `ChatError.Code.tokenExpired`, `ChatError.Code.invalidParameter` when the file has no location, or
    ///   `ChatError.Code.cancelled`.
    public func downloadURL(for file: ChatFile) async throws -> String {
        try await mappingErrors("resolving a download URL") {
            if let key = file.objectKey {
                try self.checkTokenNotExpired()
                let response = try await self.client.send(
                    "GET",
                    "/api/uploader/download/presigned",
                    query: [("okb64", base64URLPadded(key))],
                    auth: .bearer(self.match.token)
                )
                return try V1.PresignedDownload(jsonBytes: response.body).url
            }
            if let url = file.legacyURL { return url }
            throw ChatError(code: .invalidParameter, message: "the file message names neither an object key nor a URL")
        }
    }
}
