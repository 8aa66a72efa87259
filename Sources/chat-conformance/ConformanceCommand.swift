import ArgumentParser
import ChatConformance
import Foundation

/// `chat-conformance`: checks a server against docs/PROTOCOL.md.
@main
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-conformance",
        abstract: "Checks a RandomChat server against docs/PROTOCOL.md (v1 or v2 profile).",
        discussion: """
            Limits a scenario must exceed are not discovered from the server: pass the values it was started with \
            (small ones keep the run short); scenarios whose value is missing are skipped with a reason. \
            Exit status: 0 when nothing failed, 1 when a scenario failed, 2 on a usage error.
            """
    )

    @Option(help: "The server's base URL, e.g. http://127.0.0.1:8080.") var server: String
    @Option(help: "Profile to run: v1 or v2.") var profile: String = "v1"
    @Option(help: "The server's JWT secret, to mint expired tokens (expiry scenarios skip without it).")
    var jwtSecret: String?
    @Option(help: "The server's per-channel message cap (--max-messages-per-channel).") var messageCap: Int?
    @Option(help: "The server's largest upload in bytes (--max-upload-size).") var maxUploadSize: Int?
    @Option(help: "The server's upload token-bucket burst (--upload-burst).") var uploadBurst: Int?
    @Option(help: "The server's websocket ping interval in seconds (--ping-interval).") var pingInterval: Int?
    @Option(help: "The server's v1 history page size (--history-page-size).") var historyPageSize: Int?
    @Option(help: "Skip-list file: one 'scenario-id reason' a line (default: conformance-skip.txt if present).")
    var skipList: String?
    @Option(help: "Run only scenarios whose id starts with this (repeatable).") var only: [String] = []
    @Option(help: "Write the JSON report here.") var json: String?
    @Option(help: "Write the JUnit XML report here.") var junit: String?
    @Flag(help: "Fail where the server shows a documented upstream defect (default: pass with a note).")
    var strict = false
    @Flag(help: "List the scenarios of the profile and exit.") var list = false

    func run() async throws {
        guard let profile = ConformanceProfile(rawValue: self.profile) else {
            throw ValidationError("--profile must be v1 or v2")
        }
        guard self.server.hasPrefix("http://") || self.server.hasPrefix("https://") else {
            throw ValidationError("--server must be an http:// or https:// URL")
        }
        var configuration = ConformanceConfiguration(serverURL: self.server, profile: profile)
        configuration.jwtSecret = self.jwtSecret
        configuration.messageCap = self.messageCap
        configuration.maxUploadSize = self.maxUploadSize
        configuration.uploadBurst = self.uploadBurst
        configuration.pingInterval = self.pingInterval.map { .seconds($0) }
        configuration.historyPageSize = self.historyPageSize
        configuration.only = self.only
        configuration.strict = self.strict
        let skipPath = self.skipList ?? "conformance-skip.txt"
        if let text = try? String(contentsOfFile: skipPath, encoding: .utf8) {
            configuration.skipList = SkipList(parsing: text)
        } else if self.skipList != nil {
            throw ValidationError("cannot read skip list \(skipPath)")
        }
        let runner = ConformanceRunner(configuration: configuration)
        if self.list {
            for scenario in runner.selectedScenarios {
                print("\(scenario.id)  \(scenario.section)  \(scenario.summary)")
            }
            return
        }
        let results = await runner.run { result in
            let line = "\(result.status.rawValue.uppercased()) \(result.id)"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let report = ConformanceReport(serverURL: self.server, profile: profile, results: results)
        print(report.table, terminator: "")
        if let path = self.json { try report.json.write(toFile: path, atomically: true, encoding: .utf8) }
        if let path = self.junit { try report.junitXML.write(toFile: path, atomically: true, encoding: .utf8) }
        if report.hasFailures { throw ExitCode(1) }
    }
}
