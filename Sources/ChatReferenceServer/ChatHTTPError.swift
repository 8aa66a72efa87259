public import ChatProtocol
public import Hummingbird

/// A ``ChatError`` as an HTTP response: the table's status (or an override) with the `{"msg": …}` body.
///
/// Used instead of Hummingbird's `HTTPError`, whose body has a different shape.
public struct ChatHTTPError: HTTPResponseError {
    /// The error carried.
    public var error: ChatError
    /// The status sent.
    public var status: HTTPResponse.Status
    /// Extra headers, for example `Retry-After`.
    public var headers: HTTPFields

    /// Wraps an error code.
    /// - Parameters:
    ///   - code: The code; its table row gives the default status and message.
    ///   - status: A status that overrides the table's (upstream sends some codes with other statuses).
    ///   - headers: Extra response headers.
    public init(_ code: ChatError.Code, status: HTTPResponse.Status? = nil, headers: HTTPFields = [:]) {
        self.error = ChatError(code: code)
        self.status = status ?? HTTPResponse.Status(code: code.mapping.httpStatus ?? 500)
        self.headers = headers
    }

    /// Renders the status and the JSON error body.
    /// - Parameters:
    ///   - request: The request.
    ///   - context: The request context.
    /// - Returns: The response.
    /// - Throws: Nothing in practice; the signature is `HTTPResponseError`'s.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let bytes = V1.ErrorBody(self.error).jsonBytes()
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
