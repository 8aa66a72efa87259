import Hummingbird
import NIOCore

/// `GET /openapi.yaml`, `GET /openapi.json` and `GET /docs`: the HTTP contract, embedded at build time from
/// `openapi/openapi.yaml` (see `openapi/generate.py`), and its reference page (plain HTML, no scripts, works offline).
struct OpenAPIRoutes {
    func register(on router: Router<ChatRequestContext>) {
        router.get("openapi.yaml") { _, _ in
            Self.document(OpenAPIDocument.yaml, type: "application/yaml; charset=utf-8")
        }
        router.get("openapi.json") { _, _ in
            Self.document(OpenAPIDocument.json, type: "application/json; charset=utf-8")
        }
        router.get("docs") { _, _ in Self.document(OpenAPIDocument.html, type: "text/html; charset=utf-8") }
    }

    private static func document(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
