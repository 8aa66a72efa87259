import ChatProtocol
import Foundation
import Testing

@testable import ChatReferenceServer

/// `openapi/openapi.yaml` against the server: the embedded copy, the routes, the examples, and the served documents.
@Suite struct OpenAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func specText() throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent("openapi/openapi.yaml"), encoding: .utf8)
    }

    /// The operations of the spec's `paths` (`METHOD /path`), read from its layout: a path is a two-space-indented
    /// key starting with `/`, an operation a four-space-indented HTTP method key under it.
    static func specOperations(_ text: String) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                path = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path {
                let key = String(line.dropFirst(4).dropLast())
                if methods.contains(key) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }

    /// The server embeds the YAML byte for byte (regenerate with `openapi/generate.py`).
    @Test func embeddedYAMLIsTheFile() throws {
        #expect(OpenAPIDocument.yaml == (try Self.specText()), "run openapi/generate.py")
    }

    /// Every route of the router is in the spec, and every operation of the spec is a route (both ways).
    @Test func routesMatchSpec() async throws {
        let spec = Self.specOperations(try Self.specText())
        #expect(spec.count > 20)
        let routes = try await TestServer.with { server in Set(server.server.routes.routes.map(\.description)) }
        #expect(routes.subtracting(spec).sorted() == [], "server routes missing from openapi/openapi.yaml")
        #expect(spec.subtracting(routes).sorted() == [], "operations in openapi/openapi.yaml the server does not have")
    }

    /// Every example that names a fixture is that fixture, byte for byte; every error example is the body the
    /// server renders for its code; and every example is one of the two.
    @Test func examplesEqualFixtures() throws {
        let lines = try Self.specText().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var checked = 0
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("value: ") {
                let previous = lines[index - 1].trimmingCharacters(in: .whitespaces)
                #expect(
                    previous.hasPrefix("x-fixture: ") || previous.hasPrefix("x-error-code: "),
                    "line \(index + 1): an example without x-fixture or x-error-code"
                )
                continue
            }
            let value = index + 1 < lines.count ? lines[index + 1].trimmingCharacters(in: .whitespaces) : ""
            #expect(!trimmed.hasPrefix("x-") || trimmed.hasPrefix("x-websocket") || value.hasPrefix("value: "))
            let example = String(value.dropFirst("value: ".count))
            if trimmed.hasPrefix("x-fixture: ") {
                let path = String(trimmed.dropFirst("x-fixture: ".count))
                #expect(
                    path.hasPrefix("Tests/ChatProtocolTests/Fixtures/json/v1/")
                        || path.hasPrefix("Tests/ChatProtocolTests/Fixtures/json/v2/")
                )
                let fixture = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
                #expect(example == fixture.trimmingCharacters(in: .newlines), "\(path) differs from its example")
                checked += 1
            } else if trimmed.hasPrefix("x-error-code: ") {
                let name = String(trimmed.dropFirst("x-error-code: ".count))
                let code = try #require(ChatError.Code(wireName: name))
                let body = String(decoding: V1.ErrorBody(ChatError(code: code)).jsonBytes(), as: UTF8.self)
                #expect(example == body, "example of \(name)")
                checked += 1
            }
        }
        #expect(checked >= 30)
    }

    /// `info.version` follows the protocol version the server speaks (v1).
    @Test func versionFollowsProtocol() throws {
        let line = try Self.specText().split(separator: "\n").first { $0.hasPrefix("  version: ") }
        #expect(line == "  version: \(ProtocolVersion.v1.rawValue).0.0")
    }

    /// The server serves the YAML, the JSON and an offline reference page.
    @Test func servesSpecAndReference() async throws {
        try await TestServer.with { server in
            let yaml = try await server.request("GET", "/openapi.yaml")
            #expect(yaml.status == 200 && yaml.text == OpenAPIDocument.yaml)
            #expect(yaml.header("Content-Type")?.hasPrefix("application/yaml") == true)
            let json = try await server.request("GET", "/openapi.json")
            #expect(json.status == 200 && json.json["openapi"] as? String == "3.1.0")
            #expect((json.json["paths"] as? [String: Any])?.count == 25)
            let docs = try await server.request("GET", "/docs")
            #expect(docs.status == 200 && docs.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(docs.text.contains("/api/uploader/objects/{channel}/{file}"))
            #expect(!docs.text.contains("<script") && !docs.text.contains("src=") && !docs.text.contains("<link"))
        }
    }

    /// Unknown paths are 404 `not_found`; a known path with another method is 405 with `Allow`; both JSON.
    @Test func unknownPathsAndMethods() async throws {
        try await TestServer.with { server in
            let missing = try await server.request("GET", "/nope")
            #expect(
                missing.status == 404 && missing.text == #"{"msg":"not found","code":"not_found","temporary":false}"#
            )
            #expect(missing.header("Content-Type") == "application/json; charset=utf-8")
            let wrong = try await server.request("POST", "/health")
            #expect(
                wrong.status == 405 && wrong.header("Allow") == "GET"
                    && wrong.json["code"] as? String == "invalid_parameter"
            )
            let object = try await server.request("DELETE", "/api/uploader/objects/1/a.png")
            #expect(object.status == 405 && object.header("Allow") == "GET, PUT")
            let user = try await server.request("PUT", "/api/user")
            #expect(user.status == 405 && user.header("Allow") == "GET, POST")
            let big = try await server.request(
                "POST",
                "/api/user",
                body: Array(repeating: UInt8(ascii: " "), count: 5000)
            )
            #expect(big.status == 400 && big.msg == "invalid parameter")
        }
    }

    /// Findings of schemathesis, kept as regressions: ids above `Int64.max` crashed the SQLite storage.
    @Test func largestIdsAreNotFoundNotACrash() async throws {
        try await TestServer.with { server in
            let (user, sid) = try await server.signUp("max")
            let cookie = [("Cookie", "sid=\(sid)")]
            let lookUp = try await server.request("GET", "/api/user?uid=18446744073709551615", headers: cookie)
            #expect(lookUp.status == 404 && lookUp.msg == "error user not found")
            let (_, token) = try await server.makeChannel([user])
            let delete = try await server.request(
                "DELETE",
                "/api/chat/channel?delby=18446744073709551615",
                headers: server.bearer(token)
            )
            #expect(delete.status == 400 && delete.msg == "error channel or user not found")
        }
    }

    /// Page states are 12 characters, every such string decodes, and they round-trip.
    @Test(arguments: [UInt64(0), 1, 5, 4999, 1 << 62, .max])
    func historyPageState(_ seq: UInt64) throws {
        let text = HistoryPageState.encode(seq)
        #expect(text.count == 12 && text.hasSuffix("="))
        #expect(HistoryPageState.decode(text) == seq)
        #expect(HistoryPageState.encode(5) == "AAAAAAAAAAU=")
        #expect(HistoryPageState.decode("AAAAAAAAAAV=") == nil)  // non-zero padding bits
        #expect(HistoryPageState.decode("c2VxOjU=") == nil)
    }
}
