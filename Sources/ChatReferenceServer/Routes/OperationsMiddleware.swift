import Hummingbird
import HummingbirdWebSocket
import Prometheus

/// Records request latency and answers CORS as upstream does: any origin, no credentials, 12 h preflight cache.
struct MetricsAndCORSMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext
    let metrics: ServerMetrics

    func handle(
        _ request: Request,
        context: Context,
        next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        defer { self.metrics.httpDuration.record(ContinuousClock.now - start) }
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
            Self.addCORS(to: &response.headers)
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            Self.addCORS(to: &response.headers)
            return response
        }
    }

    private static func addCORS(to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
    }
}
