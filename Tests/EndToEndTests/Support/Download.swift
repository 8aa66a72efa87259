import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Fetches a URL's body (the download half of the upload round-trip).
func download(_ url: String) async throws -> [UInt8] {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
    guard response.status.code == 200 else { throw E2EFailure("download answered \(response.status.code)") }
    return Array(buffer: try await response.body.collect(upTo: 1 << 26))
}
