import Foundation

/// What the suite needs to know about the server under test.
///
/// Limits a scenario must exceed are not discovered from a v1 server; give the values the server was started with
/// (small ones keep the run short). A scenario whose limit is not given is skipped with a reason.
public struct ConformanceConfiguration: Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    public var serverURL: String
    /// The profile to run.
    public var profile: ConformanceProfile
    /// The server's JWT secret, to mint expired tokens; expiry scenarios are skipped without it.
    public var jwtSecret: String?
    /// The server's per-channel message cap.
    public var messageCap: Int?
    /// The server's largest accepted upload in bytes.
    public var maxUploadSize: Int?
    /// The server's upload token-bucket burst per channel.
    public var uploadBurst: Int?
    /// The server's websocket ping interval.
    public var pingInterval: Duration?
    /// The server's v1 history page size.
    public var historyPageSize: Int?
    /// The largest inbound chat websocket message (v1: 4096 bytes).
    public var maxChatFrameSize: Int = 4096
    /// The largest inbound match websocket message (v1: 512 bytes).
    public var maxMatchFrameSize: Int = 512
    /// Fail, instead of pass with a note, where the server shows a documented upstream defect (for servers that
    /// claim to fix them, like the reference server).
    public var strict: Bool = false
    /// Only scenarios whose id starts with one of these run (all when empty).
    public var only: [String] = []
    /// Scenario ids to skip, with the reason (see ``SkipList``).
    public var skipList: SkipList = SkipList()

    /// Creates a configuration for `serverURL` and `profile`.
    /// - Parameters:
    ///   - serverURL: The server's base URL.
    ///   - profile: The profile to run.
    public init(serverURL: String, profile: ConformanceProfile) {
        self.serverURL = serverURL.hasSuffix("/") ? String(serverURL.dropLast()) : serverURL
        self.profile = profile
    }

    /// The websocket base URL (`ws://` or `wss://`).
    var webSocketBase: String {
        if self.serverURL.hasPrefix("https://") { return "wss://" + self.serverURL.dropFirst(8) }
        return "ws://" + self.serverURL.dropFirst(7)
    }

    /// Host and port for raw TCP, or `nil` for TLS servers.
    var tcpAddress: (host: String, port: Int)? {
        guard self.serverURL.hasPrefix("http://") else { return nil }
        let authority = self.serverURL.dropFirst(7).split(separator: "/").first.map(String.init) ?? ""
        let parts = authority.split(separator: ":")
        let host = parts.first.map(String.init) ?? "127.0.0.1"
        let port = parts.count > 1 ? Int(parts[1]) ?? 80 : 80
        return (host == "localhost" ? "127.0.0.1" : host, port)
    }
}

/// Known gaps: scenario ids the run reports as `skip` with a reason instead of running them.
///
/// File format (`conformance-skip.txt`): one entry a line, the scenario id, whitespace, then the reason; blank lines
/// and lines starting with `#` are ignored. An id ending in `*` skips every id with that prefix.
public struct SkipList: Sendable {
    /// The entries: id (or prefix ending in `*`) and reason.
    public var entries: [(id: String, reason: String)] = []

    /// An empty list.
    public init() {}

    /// Parses the file format described on the type.
    /// - Parameter text: The file's contents.
    public init(parsing text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            let reason = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "listed in the skip list"
            self.entries.append((String(parts[0]), reason))
        }
    }

    /// The reason `id` is skipped, or `nil`.
    /// - Parameter id: A scenario id.
    /// - Returns: The reason, if listed.
    public func reason(for id: String) -> String? {
        for entry in self.entries {
            if entry.id == id || (entry.id.hasSuffix("*") && id.hasPrefix(entry.id.dropLast())) { return entry.reason }
        }
        return nil
    }
}
