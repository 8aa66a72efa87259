enum LimitScenarios {
    static var all: [Scenario] { [] }
}
