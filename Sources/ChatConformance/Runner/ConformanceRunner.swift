/// Runs a catalogue of scenarios one after another (they share the server's wait list) and collects results.
public struct ConformanceRunner: Sendable {
    /// The configuration.
    public var configuration: ConformanceConfiguration

    /// Creates a runner.
    /// - Parameter configuration: The configuration.
    public init(configuration: ConformanceConfiguration) {
        self.configuration = configuration
    }

    /// The scenarios of the configured profile that pass the `only` filter.
    public var selectedScenarios: [Scenario] {
        Catalogue.all.filter { scenario in
            scenario.profile == self.configuration.profile
                && (self.configuration.only.isEmpty || self.configuration.only.contains { scenario.id.hasPrefix($0) })
        }
    }

    /// Runs every selected scenario.
    /// - Parameter progress: Called after each scenario with its result.
    /// - Returns: The results, in catalogue order.
    public func run(progress: (ScenarioResult) -> Void = { _ in }) async -> [ScenarioResult] {
        var results: [ScenarioResult] = []
        for scenario in self.selectedScenarios {
            let result = await self.run(scenario)
            progress(result)
            results.append(result)
        }
        return results
    }

    /// Runs one scenario with its timeout; its websockets are closed and its users logged out afterwards.
    /// - Parameter scenario: The scenario.
    /// - Returns: Its result.
    public func run(_ scenario: Scenario) async -> ScenarioResult {
        var result = ScenarioResult(
            id: scenario.id,
            area: scenario.area,
            section: scenario.section,
            summary: scenario.summary,
            status: .pass,
            detail: "",
            duration: .zero
        )
        if let reason = self.configuration.skipList.reason(for: scenario.id) {
            result.status = .skip
            result.detail = "skip list: \(reason)"
            return result
        }
        let start = ContinuousClock.now
        let (jobs, jobContinuation) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        let context = ScenarioContext(configuration: self.configuration, jobs: jobContinuation)
        let outcome: Result<String?, any Error> = await withTaskGroup(of: Result<String?, any Error>?.self) { group in
            group.addTask {
                defer { jobContinuation.finish() }
                let first = await withTaskGroup(of: Result<String?, any Error>?.self) { inner in
                    inner.addTask {
                        do { return .success(try await scenario.run(context)) } catch { return .failure(error) }
                    }
                    inner.addTask {
                        try? await Task.sleep(for: scenario.timeout)
                        if Task.isCancelled { return nil }
                        return .failure(ScenarioFailure("timed out after \(scenario.timeout)"))
                    }
                    let first = await inner.next() ?? nil
                    inner.cancelAll()
                    return first
                }
                await context.closeConnections()
                return first
            }
            var outcome: Result<String?, any Error>?
            // Host the scenario's websockets as children of this group, so they end with it.
            for await job in jobs {
                group.addTask {
                    await job()
                    return nil
                }
            }
            while let next = await group.next() {
                if let next, outcome == nil {
                    outcome = next
                    group.cancelAll()
                }
            }
            return outcome ?? .failure(ScenarioFailure("scenario produced no result"))
        }
        await context.cleanUp()
        result.duration = ContinuousClock.now - start
        var notes = context.collectedNotes
        switch outcome {
        case .success(let note):
            if let note { notes.insert(note, at: 0) }
        case .failure(let error as ScenarioSkip):
            result.status = .skip
            notes.insert(error.description, at: 0)
        case .failure(let error):
            result.status = .fail
            notes.insert("\(error)", at: 0)
        }
        result.detail = notes.joined(separator: "; ")
        return result
    }
}
