enum FaultScenarios {
    static var all: [Scenario] { [] }
}
