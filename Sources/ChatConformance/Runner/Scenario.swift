/// The protocol profile a scenario belongs to.
public enum ConformanceProfile: String, Sendable, CaseIterable {
    /// go-random-chat's wire protocol: JSON text frames, no subprotocol (`docs/PROTOCOL.md`, profile [v1]).
    case v1
    /// The acknowledged, resumable protocol negotiated as `rc.v2.proto` / `rc.v2.json`.
    case v2
}

/// One conformance check, named after the spec point or section of `docs/PROTOCOL.md` it exercises.
public struct Scenario: Sendable {
    /// A stable id such as `RC-CHAT1-SEEN-1_author_in_user_id`; the spec point comes first.
    public var id: String
    /// The area of the catalogue ("accounts", "matching", …), used to group the report.
    public var area: String
    /// The section of `docs/PROTOCOL.md` the scenario checks, e.g. `§6.3`.
    public var section: String
    /// What the scenario proves, in one sentence.
    public var summary: String
    /// The profile the scenario belongs to.
    public var profile: ConformanceProfile
    /// The longest the scenario may run before it fails with a timeout.
    public var timeout: Duration
    /// The scenario itself: throws ``ScenarioFailure`` to fail, ``ScenarioSkip`` to skip; returns a note.
    public var run: @Sendable (ScenarioContext) async throws -> String?

    /// Creates a scenario.
    /// - Parameters:
    ///   - id: The stable id.
    ///   - area: The catalogue area.
    ///   - section: The spec section.
    ///   - summary: What it proves.
    ///   - profile: The profile.
    ///   - timeout: The time limit.
    ///   - run: The body.
    public init(
        _ id: String,
        area: String,
        section: String,
        _ summary: String,
        profile: ConformanceProfile = .v1,
        timeout: Duration = .seconds(30),
        run: @escaping @Sendable (ScenarioContext) async throws -> String?
    ) {
        self.id = id
        self.area = area
        self.section = section
        self.summary = summary
        self.profile = profile
        self.timeout = timeout
        self.run = run
    }
}

/// Thrown by a scenario whose server did not behave as the spec requires.
public struct ScenarioFailure: Error, CustomStringConvertible {
    /// What was expected and what was seen.
    public var description: String
    /// Creates a failure.
    /// - Parameter description: What was expected and what was seen.
    public init(_ description: String) { self.description = description }
}

/// Thrown by a scenario that cannot run against this server or configuration.
public struct ScenarioSkip: Error, CustomStringConvertible {
    /// Why the scenario did not run.
    public var description: String
    /// Creates a skip.
    /// - Parameter description: Why the scenario did not run.
    public init(_ description: String) { self.description = description }
}

/// The outcome of one scenario.
public struct ScenarioResult: Sendable {
    /// Pass, fail or skip.
    public enum Status: String, Sendable {
        /// The server behaved as required (possibly as a documented upstream defect, see `detail`).
        case pass
        /// The server did not behave as required.
        case fail
        /// The scenario did not run.
        case skip
    }

    /// The scenario's id.
    public var id: String
    /// The scenario's area.
    public var area: String
    /// The spec section.
    public var section: String
    /// The scenario's summary.
    public var summary: String
    /// The outcome.
    public var status: Status
    /// The failure or skip reason, or a note on a pass (for example which upstream defect was seen).
    public var detail: String
    /// How long the scenario ran.
    public var duration: Duration

    /// Creates a result.
    /// - Parameters:
    ///   - id: The scenario's id.
    ///   - area: Its area.
    ///   - section: Its spec section.
    ///   - summary: Its summary.
    ///   - status: The outcome.
    ///   - detail: The reason or note.
    ///   - duration: How long it ran.
    public init(
        id: String,
        area: String,
        section: String,
        summary: String,
        status: Status,
        detail: String,
        duration: Duration
    ) {
        self.id = id
        self.area = area
        self.section = section
        self.summary = summary
        self.status = status
        self.detail = detail
        self.duration = duration
    }
}

/// Checks a condition inside a scenario; throws ``ScenarioFailure`` with `message` when it does not hold.
/// - Parameters:
///   - condition: The condition.
///   - message: What was expected, and what was seen.
/// - Throws: ``ScenarioFailure``.
public func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw ScenarioFailure(message()) }
}

/// Unwraps `value` inside a scenario; throws ``ScenarioFailure`` naming `what` when it is `nil`.
/// - Parameters:
///   - value: The value.
///   - what: What was expected.
/// - Returns: The value.
/// - Throws: ``ScenarioFailure``.
public func must<T>(_ value: T?, _ what: @autoclosure () -> String) throws -> T {
    guard let value else { throw ScenarioFailure("missing: \(what())") }
    return value
}
