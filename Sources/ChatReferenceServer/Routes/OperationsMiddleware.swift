import ChatProtocol
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// Records request latency, logs each request at debug level (method, path and status only: never the query,
/// which may hold a token, D43), answers CORS as upstream does (any origin, no credentials, 12 h preflight cache),
/// and gives every error the JSON error body (docs/PROTOCOL.md §1.5): the router's own 404 becomes `not_found`, or
/// 405 with `Allow` when the path exists with other methods (§1.7, §2.4); any other error becomes `server_error`.
struct MetricsAndCORSMiddleware: RouterMiddleware {
    typealias Context = ChatRequestContext
    let metrics: ServerMetrics
    let logger: Logger
    /// The routes, filled in once every route is registered (the middleware is added first).
    let routes: RouteTable

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
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as ChatHTTPError {
            response = try error.response(from: request, context: context)
        } catch let error as HTTPError {
            response = try self.chatError(for: error, path: request.uri.path).response(from: request, context: context)
        } catch {
            self.logger.error("request failed", metadata: ["error.type": "\(type(of: error))"])
            response = try ChatHTTPError(.serverError).response(from: request, context: context)
        }
        status = response.status.code
        Self.addCORS(to: &response.headers)
        return response
    }

    /// Hummingbird's own errors (router misses, body limits) as ``ChatHTTPError``s with the same status.
    private func chatError(for error: HTTPError, path: String) -> ChatHTTPError {
        switch error.status.code {
        case 404:
            let allowed = self.routes.allowedMethods(forPath: path)
            guard !allowed.isEmpty else { return ChatHTTPError(.notFound) }
            return ChatHTTPError(.invalidParameter, status: .methodNotAllowed, headers: [.allow: allowed])
        case 401: return ChatHTTPError(.unauthorized)
        case 413: return ChatHTTPError(.uploadTooLarge)
        case 429: return ChatHTTPError(.rateLimited, headers: error.headers)
        case 500...: return ChatHTTPError(.serverError, status: error.status)
        default: return ChatHTTPError(.invalidParameter, status: error.status, headers: error.headers)
        }
    }

    private static func addCORS(to headers: inout HTTPFields) {
        headers[.accessControlAllowOrigin] = "*"
    }
}

/// The method and path (`/a/{param}/b`) of every registered route: answers 405 with `Allow` for a known path and
/// lets tests compare the routes with `openapi/openapi.yaml`.
final class RouteTable: Sendable {
    /// One route.
    struct Route: Hashable, Sendable, CustomStringConvertible {
        /// The method, upper case.
        var method: String
        /// The path, parameters as `{name}`.
        var path: String
        var description: String { "\(self.method) \(self.path)" }
    }

    private let storage = Mutex<[Route]>([])

    /// Every route, sorted by path, then method.
    var routes: [Route] { self.storage.withLock { $0 } }

    /// Replaces the table with a router's routes.
    func fill(from router: Router<ChatRequestContext>) {
        let routes = router.routes.map { Route(method: $0.method.rawValue, path: $0.path.description) }
        self.storage.withLock { $0 = routes.sorted { ($0.path, $0.method) < ($1.path, $1.method) } }
    }

    /// The methods served on a request path, comma-separated for `Allow`, or `""` when no route has that path.
    func allowedMethods(forPath requestPath: String) -> String {
        let segments = requestPath.split(separator: "/")
        let methods = self.routes.filter { route in
            let pattern = route.path.split(separator: "/")
            guard pattern.count == segments.count else { return false }
            return zip(pattern, segments).allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") || $0 == $1 }
        }
        .map(\.method)
        return Array(Set(methods)).sorted().joined(separator: ", ")
    }
}
