import Foundation
import Synchronization

/// What a running scenario can use: the configuration, HTTP and websocket helpers, and cleanup.
///
/// Websockets opened through the context run as child tasks of the scenario's task group, so they all end (and
/// their users leave the server's wait list and online sets) when the scenario ends, however it ends.
public final class ScenarioContext: Sendable {
    /// The suite's configuration.
    public let configuration: ConformanceConfiguration
    private let jobs: AsyncStream<@Sendable () async -> Void>.Continuation
    private let sessions = Mutex<[String]>([])
    private let notes = Mutex<[String]>([])
    private let sockets = Mutex<[RawSocket]>([])
    private let connections = Mutex<[WSConnection]>([])

    init(configuration: ConformanceConfiguration, jobs: AsyncStream<@Sendable () async -> Void>.Continuation) {
        self.configuration = configuration
        self.jobs = jobs
    }

    /// Runs `work` as a child task of the scenario; it is cancelled when the scenario ends.
    func spawn(_ work: @escaping @Sendable () async -> Void) {
        self.jobs.yield(work)
    }

    /// Records a session id to log out at the end of the scenario.
    func remember(session: String) {
        self.sessions.withLock { $0.append(session) }
    }

    /// Adds a note to the scenario's result (for example which upstream defect was observed).
    /// - Parameter note: The note.
    public func note(_ note: String) {
        self.notes.withLock { $0.append(note) }
    }

    var collectedNotes: [String] { self.notes.withLock { $0 } }

    /// Records a raw socket to drop at the end of the scenario.
    func remember(socket: RawSocket) {
        self.sockets.withLock { $0.append(socket) }
    }

    /// Records a websocket to close at the end of the scenario.
    func remember(connection: WSConnection) {
        self.connections.withLock { $0.append(connection) }
    }

    /// Closes the scenario's websockets (close frame 1000, then at most 2 s for the echo) and drops its raw sockets.
    func closeConnections() async {
        for socket in self.sockets.withLock({ $0 }) { socket.drop() }
        let open = self.connections.withLock { $0 }.filter { !$0.isEnded }
        for connection in open { try? await connection.close() }
        for connection in open { _ = try? await connection.closeCode(within: .seconds(2)) }
    }

    /// Drops the scenario's raw sockets and logs out every user it created (best effort; upstream has no logout).
    func cleanUp() async {
        for socket in self.sockets.withLock({ $0 }) { socket.drop() }
        for sid in self.sessions.withLock({ $0 }) {
            _ = try? await self.http("POST", "/api/user/logout", headers: [("Cookie", "sid=\(sid)")])
        }
    }

    /// Accepts a documented upstream behaviour (defect-aware v1 profile): returns `note` for the report, or, with
    /// ``ConformanceConfiguration/strict``, fails with it.
    /// - Parameter note: What was seen, naming the defect (e.g. "upstream D4: …").
    /// - Returns: The note.
    /// - Throws: ``ScenarioFailure`` in strict mode.
    public func upstream(_ note: String) throws -> String {
        if self.configuration.strict { throw ScenarioFailure("\(note) (fails under --strict)") }
        return note
    }

    /// Skips the scenario unless `value` was configured.
    /// - Parameters:
    ///   - value: The configured value.
    ///   - option: The suite option that provides it.
    /// - Returns: The value.
    /// - Throws: ``ScenarioSkip``.
    public func require<T>(_ value: T?, _ option: String) throws -> T {
        guard let value else { throw ScenarioSkip("needs \(option) (the server's configured value)") }
        return value
    }

    /// Waits for `duration`.
    /// - Parameter duration: How long.
    /// - Throws: `CancellationError` when the scenario is cancelled.
    public func pause(_ duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes.
    /// - Parameters:
    ///   - timeout: The longest wait.
    ///   - condition: The condition.
    /// - Returns: Whether it held.
    /// - Throws: Errors of `condition`.
    public func eventually(
        within timeout: Duration = .seconds(10),
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
