enum MatchScenarios {
    static var all: [Scenario] { [] }
}
