enum ChatHandshakeScenarios {
    static var all: [Scenario] { [] }
}
