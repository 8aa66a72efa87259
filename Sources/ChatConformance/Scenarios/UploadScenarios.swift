enum UploadScenarios {
    static var all: [Scenario] { [] }
}
