enum ChatEventScenarios {
    static var all: [Scenario] { [] }
}
