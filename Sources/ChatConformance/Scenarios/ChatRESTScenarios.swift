enum ChatRESTScenarios {
    static var all: [Scenario] { [] }
}
