import ChatProtocol
import Crypto
import Foundation
import Testing

@testable import ChatReferenceServer

/// Hand-made JWTs for the attack table.
enum Forge {
    static func b64(_ text: String) -> String { Data(text.utf8).base64URLEncodedString(padded: false) }

    static func hs256(_ header: String, _ payload: String, key: String) -> String {
        let input = b64(header) + "." + b64(payload)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return input + "." + Data(mac).base64URLEncodedString(padded: false)
    }

    static func hs384(_ header: String, _ payload: String, key: String) -> String {
        let input = b64(header) + "." + b64(payload)
        let mac = HMAC<SHA384>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(key.utf8)))
        return input + "." + Data(mac).base64URLEncodedString(padded: false)
    }
}

@Suite("Channel token attack table", .serialized, .timeLimit(.minutes(1)))
struct TokenAttackTests {
    static let secret = "attack-table-secret-0123456789abcdef"

    /// Every token-guarded HTTP surface, and the chat websocket handshake as a plain GET.
    static func surfaces(_ user: UserID) -> [(String, String)] {
        [
            ("GET", "/api/chat/users"), ("GET", "/api/chat/users/online"), ("GET", "/api/chat/channel/messages"),
            ("DELETE", "/api/chat/channel?delby=\(user)"), ("GET", "/api/chat/forwardauth"),
            ("POST", "/api/chat/forwardauth"), ("GET", "/api/uploader/upload/presigned?ext=png"),
            ("GET", "/api/uploader/download/presigned?okb64=eA=="), ("POST", "/api/uploader/upload/files"),
        ]
    }

    @Test("Forged, tampered, expired and foreign tokens always get 401, never 5xx")
    func attackTable() async throws {
        try await TestServer.with { configuration in
            configuration.jwtSecret = Self.secret
        } _: { server in
            let alice = try await server.signUp("alice")
            let (channel, valid) = try await server.makeChannel([alice.id])
            let future = Int(Date().timeIntervalSince1970) + 3600
            let payload = #"{"ChannelID":\#(channel),"exp":\#(future)}"#
            let header = #"{"alg":"HS256","typ":"JWT"}"#
            let parts = valid.split(separator: ".").map(String.init)
            let expired = try await server.state.tokens.issue(for: channel, expiresAt: Date(timeIntervalSinceNow: -5))
            let (deletedChannel, deletedToken) = try await server.makeChannel([alice.id])
            try await server.state.storage.deleteChannel(deletedChannel, now: Date())

            let rows: [(String, String, String)] = [
                ("alg none", Forge.b64(#"{"alg":"none","typ":"JWT"}"#) + "." + Forge.b64(payload) + ".", "invalid"),
                ("alg None", Forge.b64(#"{"alg":"None"}"#) + "." + Forge.b64(payload) + ".", "invalid"),
                ("alg missing", Forge.hs256(#"{"typ":"JWT"}"#, payload, key: Self.secret), "invalid"),
                ("HS384 with the right key", Forge.hs384(#"{"alg":"HS384"}"#, payload, key: Self.secret), "invalid"),
                ("wrong key", Forge.hs256(header, payload, key: "another-secret-of-sufficient-length!!"), "invalid"),
                (
                    "tampered payload",
                    parts[0] + "." + Forge.b64(#"{"ChannelID":1,"exp":\#(future)}"#) + "." + parts[2], "invalid"
                ),
                ("truncated signature", parts[0] + "." + parts[1] + "." + parts[2].dropLast(4), "invalid"),
                ("empty signature", parts[0] + "." + parts[1] + ".", "invalid"),
                ("two segments", parts[0] + "." + parts[1], "invalid"),
                ("four segments", valid + ".x", "invalid"),
                ("garbage", "not-a-token", "invalid"),
                ("exp missing", Forge.hs256(header, #"{"ChannelID":\#(channel)}"#, key: Self.secret), "invalid"),
                (
                    "exp as string",
                    Forge.hs256(header, #"{"ChannelID":\#(channel),"exp":"\#(future)"}"#, key: Self.secret), "invalid"
                ),
                (
                    "ChannelID string",
                    Forge.hs256(header, #"{"ChannelID":"\#(channel)","exp":\#(future)}"#, key: Self.secret), "invalid"
                ),
                (
                    "ChannelID 2^64",
                    Forge.hs256(header, #"{"ChannelID":18446744073709551616,"exp":\#(future)}"#, key: Self.secret),
                    "invalid"
                ),
                (
                    "ChannelID negative", Forge.hs256(header, #"{"ChannelID":-1,"exp":\#(future)}"#, key: Self.secret),
                    "invalid"
                ),
                ("crit header", Forge.hs256(#"{"alg":"HS256","crit":["x"]}"#, payload, key: Self.secret), "invalid"),
                (
                    "kid injection", Forge.hs256(#"{"alg":"HS256","kid":"../../dev/null"}"#, payload, key: "x"),
                    "invalid"
                ),
                ("64 KiB token", String(repeating: "a", count: 65_536), "invalid"),
                ("expired", expired, "expired"),
                ("deleted channel", deletedToken, "closed"),
            ]
            for (name, token, kind) in rows {
                for (method, path) in Self.surfaces(alice.id) {
                    let result = try await server.request(method, path, headers: server.bearer(token))
                    #expect(result.status == 401, "\(name) on \(method) \(path): \(result.status) \(result.text)")
                    if kind == "expired" { #expect(result.msg == "token expired", "\(name) on \(path)") }
                    if kind == "closed" { #expect(result.msg == "channel closed", "\(name) on \(path)") }
                }
                let ws = try await server.request("GET", "/api/chat?uid=\(alice.id)&access_token=\(token)")
                #expect(ws.status == 401, "\(name) on the chat handshake: \(ws.status)")
                // One JSON object, not upstream's two concatenated ones (D1).
                #expect((try? JSONSerialization.jsonObject(with: Data(ws.body))) != nil, "\(name): \(ws.text)")
                if kind == "expired" { #expect(ws.msg == "token expired") }
            }
            // No token, and a non-Bearer scheme.
            for (method, path) in Self.surfaces(alice.id) {
                #expect(try await server.request(method, path).status == 401)
                #expect(
                    try await server.request(method, path, headers: [("Authorization", "Basic \(valid)")]).status == 401
                )
            }
        }
    }

    @Test("A token from the Go server's format (HS256, ChannelID above 2^53) is accepted")
    func goInterop() async throws {
        try await TestServer.with { configuration in
            configuration.jwtSecret = Self.secret
        } _: { server in
            let alice = try await server.signUp("alice")
            let channel = ChannelID(1_847_563_543_227_432_961)
            try await server.state.storage.createChannel(channel, members: [alice.id], now: Date())
            let future = Int(Date().timeIntervalSince1970) + 3600
            let token = Forge.hs256(
                #"{"alg":"HS256","typ":"JWT"}"#,
                #"{"ChannelID":\#(channel),"exp":\#(future)}"#,
                key: Self.secret
            )
            let result = try await server.request("GET", "/api/chat/forwardauth", headers: server.bearer(token))
            #expect(result.status == 200 && result.body.isEmpty)
            #expect(result.header("X-Channel-Id") == "1847563543227432961")
        }
    }

    @Test("Minted tokens carry exactly ChannelID and an integral exp")
    func mintedShape() async throws {
        let tokens = try await ChannelTokens(secret: Self.secret, lifetime: .seconds(86_400))
        let token = try await tokens.issue(for: ChannelID(1_847_563_543_227_432_961))
        let payload = try #require(Data(base64URLEncoded: token.split(separator: ".")[1]))
        let object = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        #expect(Set(object.keys) == ["ChannelID", "exp"])
        let text = String(decoding: payload, as: UTF8.self)
        #expect(text.contains(#""ChannelID":1847563543227432961"#))
        #expect(!text.contains("."))  // exp is an integer
    }

    @Test("A JWT secret shorter than 32 bytes is a clear start-up error, not a crash")
    func shortSecret() async throws {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = TestServer.makeDataDirectory().path
        configuration.jwtSecret = "replaceme"
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await buildApplication(configuration: configuration)
        }
        #expect(error?.description.contains("at least 32") == true)
    }
}
