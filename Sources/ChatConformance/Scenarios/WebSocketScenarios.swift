enum WebSocketScenarios {
    static var all: [Scenario] { [] }
}
