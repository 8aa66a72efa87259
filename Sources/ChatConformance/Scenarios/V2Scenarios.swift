enum V2Scenarios {
    static var all: [Scenario] { [] }
}
