/// Every scenario of the suite, in the order they run.
public enum Catalogue {
    /// The v1 and v2 scenarios.
    public static var all: [Scenario] {
        AccountScenarios.all + MatchScenarios.all + ChatHandshakeScenarios.all + ChatEventScenarios.all
            + ChatRESTScenarios.all + UploadScenarios.all + LimitScenarios.all + WebSocketScenarios.all
            + FaultScenarios.all + V2Scenarios.all
    }
}
