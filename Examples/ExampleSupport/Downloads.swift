import AsyncHTTPClient
public import ChatClientSDK
import NIOCore
import NIOHTTP1

extension ChatSession {
    /// Downloads a shared file's bytes (resolving its short-lived URL first).
    /// - Parameters:
    ///   - file: A file from a message of this session.
    ///   - maxSize: The largest body accepted, in bytes.
    /// - Returns: The file's contents.
    /// - Throws: `ChatError` from resolving the URL, or an error when the download fails or answers non-2xx.
    public func downloadBytes(of file: ChatFile, maxSize: Int = 64 * 1024 * 1024) async throws -> [UInt8] {
        let url = try await self.downloadURL(for: file)
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        guard (200..<300).contains(response.status.code) else {
            throw ChatError(
                code: .serverError,
                message: "downloading \(file.name) answered \(response.status.code)",
                httpStatus: Int(response.status.code)
            )
        }
        let body = try await response.body.collect(upTo: maxSize)
        return Array(buffer: body)
    }
}
