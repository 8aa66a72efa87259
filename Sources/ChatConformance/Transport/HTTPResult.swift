import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An HTTP answer, fully collected.
public struct HTTPResult: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields, in order.
    public var headerList: [(String, String)]
    /// The body bytes.
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    /// - Parameter name: The header name.
    /// - Returns: Its first value.
    public func header(_ name: String) -> String? {
        self.headerList.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body as text.
    public var text: String { String(decoding: self.body, as: UTF8.self) }
    /// The body as a JSON object, or `nil`.
    public var json: [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(self.body)) as? [String: Any]
    }
    /// The error body's `msg`, or `nil`.
    public var msg: String? { self.json?["msg"] as? String }

    /// "status 401 body {…}", for failure messages.
    public var summary: String {
        let shown = self.text.count > 200 ? String(self.text.prefix(200)) + "…" : self.text
        return "status \(self.status) body \(shown.isEmpty ? "(empty)" : shown)"
    }
}

extension ScenarioContext {
    /// Sends one HTTP request to the server under test.
    /// - Parameters:
    ///   - method: The method.
    ///   - path: A path on the server, or an absolute URL.
    ///   - headers: Extra headers.
    ///   - body: The body.
    /// - Returns: The collected answer.
    /// - Throws: Transport errors.
    public func http(
        _ method: String,
        _ path: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) async throws -> HTTPResult {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : self.configuration.serverURL + path)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let collected = try await response.body.collect(upTo: 1 << 26)
        return HTTPResult(
            status: Int(response.status.code),
            headerList: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer: collected)
        )
    }
}
