public import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The `chat-server` command: parses flags, `CHAT_*` environment variables and an optional JSON file into a
/// ``ServerConfiguration``, then runs the server until SIGTERM or SIGINT.
///
/// Precedence: flag, then environment (`--data-dir` ↔ `CHAT_DATA_DIR`), then the `--config` file (keys are the
/// flag names without dashes, e.g. `{"port": 9000, "data-dir": "/var/lib/chat"}`), then the default.
public struct ChatServerCommand: AsyncParsableCommand {
    /// The command's name, abstract and help.
    public static let configuration = CommandConfiguration(
        commandName: "chat-server",
        abstract: "RandomChat reference server (v1 API of go-random-chat) with embedded SQLite.",
        discussion: """
            Every option can also be set with an environment variable (CHAT_ + the option name in upper case with \
            '_' for '-', e.g. CHAT_PORT, CHAT_DATA_DIR) or a key in the JSON file given with --config (the option \
            name, e.g. "port"). Flags win over the environment, which wins over the file.
            """
    )

    @Option(help: "JSON configuration file (optional).") var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free port (default 8080).") var port: Int?
    @Option(help: "Data directory: SQLite database, uploads, generated JWT secret (default ./data).")
    var dataDir: String?
    @Option(help: "JWT secret, at least 32 bytes (default: generated once into <data-dir>/jwt-secret).")
    var jwtSecret: String?
    @Option(help: "Channel token lifetime in seconds (default 86400).") var tokenLifetime: Int?
    @Option(help: "Seconds a session may stay unused before it expires; use extends it (default 2592000).")
    var sessionIdleTimeout: Int?
    @Option(help: "Max-Age of the sid cookie in seconds, refreshed by GET /api/user/me (default 86400).")
    var cookieMaxAge: Int?
    @Option(help: "Domain attribute of cookies (default: none, the serving host).") var cookieDomain: String?
    @Option(help: "Mark cookies Secure: true behind TLS (default false).") var secureCookies: Bool?
    @Option(help: "Public origin used in presigned URLs, e.g. https://chat.example (default: request Host).")
    var publicBaseUrl: String?
    @Option(help: "OAuth2 client id.") var oauthClientId: String?
    @Option(help: "OAuth2 client secret.") var oauthClientSecret: String?
    @Option(help: "OAuth2 authorization endpoint (default Google's).") var oauthAuthUrl: String?
    @Option(help: "OAuth2 token endpoint (default Google's).") var oauthTokenUrl: String?
    @Option(help: "OAuth2/OIDC userinfo endpoint returning email, name, picture (default Google's).")
    var oauthUserinfoUrl: String?
    @Option(help: "OAuth2 redirect URL (default http://localhost:8080/api/user/oauth2/google/callback).")
    var oauthRedirectUrl: String?
    @Option(help: "OAuth2 scopes, comma separated (default Google userinfo email and profile).")
    var oauthScopes: String?
    @Option(help: "Largest chat websocket message in bytes; larger closes with 1009 (default 4096).")
    var maxChatFrameSize: Int?
    @Option(help: "Largest match websocket message in bytes (default 512).") var maxMatchFrameSize: Int?
    @Option(help: "Messages a channel may store (default 5000).") var maxMessagesPerChannel: Int?
    @Option(help: "Messages per history page (default 5000).") var historyPageSize: Int?
    @Option(help: "Frames queued per websocket before closing it with 4001 (default 256).")
    var maxQueuedFrames: Int?
    @Option(help: "Seconds between server pings; a peer missing a pong is dropped (default 30).")
    var pingInterval: Int?
    @Option(help: "Largest upload in bytes (default 67108864).") var maxUploadSize: Int?
    @Option(help: "Bytes a channel's uploads may add up to; 0 = no quota (default 1073741824).")
    var maxChannelUploadBytes: Int?
    @Option(help: "Files one multipart upload request may carry (default 100).") var maxFilesPerUpload: Int?
    @Option(help: "Users one block list may hold; 0 turns blocking off (default 1000).") var maxBlocksPerUser: Int?
    @Option(help: "Block-list writes per second per user (default 5).") var blockWriteRate: Double?
    @Option(help: "Token-bucket burst of block-list writes per user (default 50).") var blockWriteBurst: Int?
    @Option(help: "Seconds an ended channel's messages and files are kept, or 'forever' (default 86400).")
    var endedChannelRetention: String?
    @Option(help: "Lifetime of presigned URLs in seconds (default 900).") var presignLifetime: Int?
    @Option(help: "Seconds an HTTP connection may stay idle, before its first request or between two (default 75).")
    var idleTimeout: Int?
    @Option(help: "Upload/download presigns per second per channel (default 200).") var uploadRate: Double?
    @Option(help: "Token-bucket burst per channel (default 50).") var uploadBurst: Int?
    @Option(help: "v2 sends per connection per second; more are refused with RATE_LIMITED (default 20).")
    var maxSendsPerSecond: Int?
    @Option(help: "Seconds a v2 match ticket may wait unmatched; 0 = forever (default 300).")
    var matchWaitTimeout: Int?
    @Option(help: "Seconds both peers of a v2 match proposal have to confirm (default 10).")
    var matchConfirmTimeout: Int?
    @Option(
        help: "Websocket protocol versions: v1,v2 (default), v1 (refuse v2 offers with 400), v1-legacy (ignore them)."
    )
    var protocols: String?
    @Option(help: "Expose the loopback-only /conformance/echo websocket for Autobahn (default false).")
    var conformanceEcho: Bool?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?
    @Option(help: "Event-loop threads for connections (default: half the cores, at least 1).")
    var eventLoopThreads: Int?
    @Option(help: "Seconds between checks that return freed heap memory to the kernel (glibc); 0 = off (default 10).")
    var memoryReclaimInterval: Int?
    @Option(help: "Freed heap bytes (and unexplained resident growth) that make a check trim (default 8388608).")
    var memoryReclaimThreshold: Int?

    /// Creates the command (ArgumentParser fills the options).
    public init() {}

    /// Parses the process arguments and runs; exits with a message and a non-zero status on bad options or a
    /// start-up error (for example a JWT secret shorter than 32 bytes).
    public static func runFromCommandLine() async {
        await Self.main()
    }

    /// Builds the configuration and runs the server with graceful shutdown on SIGTERM/SIGINT.
    public func run() async throws {
        let configuration = try self.serverConfiguration()
        var logger = Logger(label: "chat-server")
        logger.logLevel = configuration.logLevel
        let server = try await buildApplication(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    /// The configuration these options, the environment and the file describe.
    func serverConfiguration(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> ServerConfiguration
    {
        let file = try self.config.map(Self.readFile) ?? [:]
        func value<T>(_ flag: T?, _ name: String, _ parse: (String) -> T?) throws -> T? {
            if let flag { return flag }
            let envName = "CHAT_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
            guard let text = environment[envName] ?? file[name] else { return nil }
            guard let parsed = parse(text) else {
                throw ValidationError("invalid value '\(text)' for \(name) (from \(envName) or the config file)")
            }
            return parsed
        }
        let string: (String) -> String? = { $0 }
        let int: (String) -> Int? = { Int($0) }
        let bool: (String) -> Bool? = { text in
            switch text.lowercased() {
            case "true", "1", "yes", "on": true
            case "false", "0", "no", "off": false
            default: nil
            }
        }
        func seconds(_ flag: Int?, _ name: String) throws -> Duration? {
            try value(flag, name, int).map { .seconds($0) }
        }

        var c = ServerConfiguration()
        c.host = try value(self.host, "host", string) ?? c.host
        c.port = try value(self.port, "port", int) ?? c.port
        c.dataDirectory = try value(self.dataDir, "data-dir", string) ?? c.dataDirectory
        c.jwtSecret = try value(self.jwtSecret, "jwt-secret", string)
        c.tokenLifetime = try seconds(self.tokenLifetime, "token-lifetime") ?? c.tokenLifetime
        c.sessionIdleTimeout = try seconds(self.sessionIdleTimeout, "session-idle-timeout") ?? c.sessionIdleTimeout
        c.cookieMaxAge = try value(self.cookieMaxAge, "cookie-max-age", int) ?? c.cookieMaxAge
        c.cookieDomain = try value(self.cookieDomain, "cookie-domain", string)
        c.secureCookies = try value(self.secureCookies, "secure-cookies", bool) ?? c.secureCookies
        c.publicBaseURL = try value(self.publicBaseUrl, "public-base-url", string)
        c.oauth.clientID = try value(self.oauthClientId, "oauth-client-id", string) ?? c.oauth.clientID
        c.oauth.clientSecret = try value(self.oauthClientSecret, "oauth-client-secret", string) ?? ""
        c.oauth.authorizationURL = try value(self.oauthAuthUrl, "oauth-auth-url", string) ?? c.oauth.authorizationURL
        c.oauth.tokenURL = try value(self.oauthTokenUrl, "oauth-token-url", string) ?? c.oauth.tokenURL
        c.oauth.userInfoURL = try value(self.oauthUserinfoUrl, "oauth-userinfo-url", string) ?? c.oauth.userInfoURL
        c.oauth.redirectURL = try value(self.oauthRedirectUrl, "oauth-redirect-url", string) ?? c.oauth.redirectURL
        if let scopes = try value(self.oauthScopes, "oauth-scopes", string) {
            c.oauth.scopes = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        c.limits.maxChatFrameSize =
            try value(self.maxChatFrameSize, "max-chat-frame-size", int)
            ?? c.limits.maxChatFrameSize
        c.limits.maxMatchFrameSize =
            try value(self.maxMatchFrameSize, "max-match-frame-size", int)
            ?? c.limits.maxMatchFrameSize
        c.limits.maxMessagesPerChannel =
            try value(self.maxMessagesPerChannel, "max-messages-per-channel", int)
            ?? c.limits.maxMessagesPerChannel
        c.limits.historyPageSize =
            try value(self.historyPageSize, "history-page-size", int)
            ?? c.limits.historyPageSize
        c.limits.maxQueuedFrames =
            try value(self.maxQueuedFrames, "max-queued-frames", int)
            ?? c.limits.maxQueuedFrames
        c.limits.pingInterval = try seconds(self.pingInterval, "ping-interval") ?? c.limits.pingInterval
        c.limits.maxUploadSize = try value(self.maxUploadSize, "max-upload-size", int) ?? c.limits.maxUploadSize
        if let quota = try value(self.maxChannelUploadBytes, "max-channel-upload-bytes", int) {
            guard quota >= 0 else { throw ValidationError("max-channel-upload-bytes must be 0 (no quota) or more") }
            c.limits.maxChannelUploadBytes = quota
        }
        if let files = try value(self.maxFilesPerUpload, "max-files-per-upload", int) {
            guard files >= 1 else { throw ValidationError("max-files-per-upload must be 1 or more") }
            c.limits.maxFilesPerUpload = files
        }
        if let blocks = try value(self.maxBlocksPerUser, "max-blocks-per-user", int) {
            guard blocks >= 0 else { throw ValidationError("max-blocks-per-user must be 0 or more") }
            c.limits.maxBlocksPerUser = blocks
        }
        if let retention = try value(self.endedChannelRetention, "ended-channel-retention", string) {
            if retention == "forever" {
                c.endedChannelRetention = nil
            } else if let seconds = Int(retention), seconds >= 0 {
                c.endedChannelRetention = .seconds(seconds)
            } else {
                throw ValidationError("invalid value '\(retention)' for ended-channel-retention: seconds or 'forever'")
            }
        }
        c.limits.presignLifetime = try seconds(self.presignLifetime, "presign-lifetime") ?? c.limits.presignLifetime
        c.limits.idleTimeout = try seconds(self.idleTimeout, "idle-timeout") ?? c.limits.idleTimeout
        c.limits.uploadRate = try value(self.uploadRate, "upload-rate", { Double($0) }) ?? c.limits.uploadRate
        c.limits.uploadBurst = try value(self.uploadBurst, "upload-burst", int) ?? c.limits.uploadBurst
        if let rate = try value(self.blockWriteRate, "block-write-rate", { Double($0) }) {
            guard rate > 0, rate.isFinite else { throw ValidationError("block-write-rate must be above 0") }
            c.limits.blockWriteRate = rate
        }
        if let burst = try value(self.blockWriteBurst, "block-write-burst", int) {
            guard burst >= 1 else { throw ValidationError("block-write-burst must be 1 or more") }
            c.limits.blockWriteBurst = burst
        }
        c.limits.maxSendsPerSecond =
            try value(self.maxSendsPerSecond, "max-sends-per-second", int) ?? c.limits.maxSendsPerSecond
        c.limits.matchWaitTimeout =
            try seconds(self.matchWaitTimeout, "match-wait-timeout") ?? c.limits.matchWaitTimeout
        c.limits.matchConfirmTimeout =
            try seconds(self.matchConfirmTimeout, "match-confirm-timeout") ?? c.limits.matchConfirmTimeout
        if let protocols = try value(self.protocols, "protocols", string) {
            guard let support = ServerConfiguration.ProtocolSupport(rawValue: protocols) else {
                throw ValidationError("invalid value '\(protocols)' for protocols: use v1,v2, v1 or v1-legacy")
            }
            c.protocols = support
        }
        c.conformanceEcho = try value(self.conformanceEcho, "conformance-echo", bool) ?? c.conformanceEcho
        if let threads = try value(self.eventLoopThreads, "event-loop-threads", int) {
            guard (1...256).contains(threads) else {
                throw ValidationError("invalid value '\(threads)' for event-loop-threads: use 1 to 256")
            }
            c.eventLoopThreads = threads
        }
        if let interval = try value(self.memoryReclaimInterval, "memory-reclaim-interval", int) {
            guard interval >= 0 else { throw ValidationError("memory-reclaim-interval must be 0 (off) or more") }
            c.memoryReclaimInterval = interval == 0 ? nil : .seconds(interval)
        }
        c.memoryReclaimThreshold =
            try value(self.memoryReclaimThreshold, "memory-reclaim-threshold", int) ?? c.memoryReclaimThreshold
        if let level = try value(
            self.logLevel,
            "log-level",
            { Logger.Level(rawValue: $0.lowercased()) != nil ? $0 : nil }
        ) {
            c.logLevel = Logger.Level(rawValue: level.lowercased()) ?? c.logLevel
        }
        return c
    }

    /// Reads a flat JSON object; every value is taken as its text (`9000` and `"9000"` are the same).
    private static func readFile(_ path: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("\(path) must contain a JSON object")
        }
        return object.mapValues { "\($0)" }  // JSON true reads as "1" or "true"; both parse as true
    }
}
