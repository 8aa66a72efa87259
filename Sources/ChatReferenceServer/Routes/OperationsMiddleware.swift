import Hummingbird
import HummingbirdWebSocket
import Logging
import Prometheus

/// Records request latency, logs each request at debug level (method, path and status only: never the query,
/// which may hold a token, D43), and answers CORS as upstream does: any origin, no credentials, 12 h preflight cache.
struct MetricsAndCORSMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext
    let metrics: ServerMetrics
    let logger: Logger

    func handle(
        _ request: Request,
        context: Context,
        next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            self.metrics.httpDuration.record(ContinuousClock.now - start)
            self.logger.debug(
                "request",
                metadata: [
                    "http.method": "\(request.method)", "http.path": "\(request.uri.path)", "http.status": "\(status)",
                ]
            )
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .noContent)
            Self.addCORS(to: &response.headers)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Origin, Content-Length, Content-Type, Authorization"
            response.headers[.accessControlMaxAge] = "43200"
            return response
        }
        do {
            var response = try await next(request, context)
            status = response.status.code
            Self.addCORS(to: &response.headers)
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            status = response.status.code
            Self.addCORS(to: &response.headers)
            return response
        }
    }

    private static func addCORS(to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
    }
}
