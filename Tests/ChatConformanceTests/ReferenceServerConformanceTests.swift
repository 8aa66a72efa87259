import ChatConformance
import ChatReferenceServer
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Runs the whole conformance catalogue against the reference server, in-process on a free port, with the small
/// limits the limit scenarios need. This is how CI proves "all pass"; `conformance-skip.txt` next to this file lists
/// the reference server's known gaps, each with its reason.
@Suite("Conformance catalogue against the reference server", .serialized)
struct ReferenceServerConformanceTests {
    static let secret = "conformance-secret-0123456789abcdef-0123456789"

    static let skipList: SkipList = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "conformance-skip.txt"
        )
        return SkipList(parsing: (try? String(contentsOf: url, encoding: .utf8)) ?? "")
    }()

    /// Starts the reference server with the suite's limits, runs `body` with its base URL, then stops it.
    static func withServer<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-conformance-\(UUID().uuidString)").path
        configuration.logLevel = .critical
        configuration.jwtSecret = Self.secret
        configuration.limits.maxMessagesPerChannel = 20
        configuration.limits.historyPageSize = 4
        configuration.limits.maxUploadSize = 4096
        configuration.limits.uploadBurst = 5
        // A slow refill, so RC-UPL-RATE-1 sees its 429 however slowly a loaded machine answers the presigns.
        configuration.limits.uploadRate = 5
        configuration.limits.pingInterval = .seconds(2)
        configuration.limits.matchConfirmTimeout = .seconds(3)
        configuration.limits.matchWaitTimeout = .seconds(8)
        configuration.limits.maxSendsPerSecond = 10
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = try await buildApplication(configuration: configuration) { port in portContinuation.yield(port) }
        let group = ServiceGroup(
            configuration: .init(
                services: [server],
                logger: Logger(label: "conformance", factory: { _ in SwiftLogNoOpLogHandler() })
            )
        )
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body("http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    static func configuration(_ url: String, _ profile: ConformanceProfile) -> ConformanceConfiguration {
        var configuration = ConformanceConfiguration(serverURL: url, profile: profile)
        configuration.jwtSecret = Self.secret
        configuration.messageCap = 20
        configuration.historyPageSize = 4
        configuration.maxUploadSize = 4096
        configuration.uploadBurst = 5
        configuration.pingInterval = .seconds(2)
        configuration.skipList = Self.skipList
        configuration.strict = true  // the reference server claims the D-fixes of PROTOCOL.md
        return configuration
    }

    @Test("The v1 catalogue has at least 60 scenarios with unique ids, each naming a section")
    func catalogueShape() {
        let v1 = Catalogue.all.filter { $0.profile == .v1 }
        #expect(v1.count >= 60)
        #expect(Set(Catalogue.all.map(\.id)).count == Catalogue.all.count)
        #expect(Catalogue.all.allSatisfy { $0.section.hasPrefix("§") })
    }

    @Test("Every v1 scenario passes (or is skip-listed with a reason)", .timeLimit(.minutes(10)))
    func v1() async throws {
        let report = try await Self.withServer { url in
            let results = await ConformanceRunner(configuration: Self.configuration(url, .v1)).run()
            return ConformanceReport(serverURL: url, profile: .v1, results: results)
        }
        for result in report.results where result.status == .fail {
            Issue.record("\(result.id) (\(result.section)): \(result.detail)")
        }
        let unexplained = report.results.filter { $0.status == .skip && !$0.detail.hasPrefix("skip list:") }
        #expect(unexplained.isEmpty, "skipped without a skip-list entry: \(unexplained.map(\.id))")
        #expect(report.count(.pass) >= 60)
    }

    @Test("Every v2 scenario passes", .timeLimit(.minutes(10)))
    func v2() async throws {
        let report = try await Self.withServer { url in
            let results = await ConformanceRunner(configuration: Self.configuration(url, .v2)).run()
            return ConformanceReport(serverURL: url, profile: .v2, results: results)
        }
        for result in report.results where result.status != .pass {
            Issue.record("\(result.id) (\(result.section)): \(result.status) \(result.detail)")
        }
        #expect(report.count(.pass) == Catalogue.all.filter { $0.profile == .v2 }.count)
        #expect(report.count(.pass) >= 25)
    }
}
