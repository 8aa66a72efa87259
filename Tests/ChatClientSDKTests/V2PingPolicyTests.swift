import Testing

@testable import ChatClientSDK

@Suite("v2 websocket pings: only when they notice a dead link sooner than the server's ping pushes")
struct V2PingPolicyTests {
    @Test(
        "websocket pings only when two intervals are shorter than ping_interval_ms + 10 s",
        arguments: [
            (Duration?.none, Duration.seconds(25), Duration?.none),
            (.seconds(25), .seconds(25), nil),  // the SDK's default against the protocol's: the pushes suffice
            (.seconds(25), .seconds(30), nil),
            (.seconds(20), .seconds(30), nil),  // 40 s either way
            (.seconds(19), .seconds(30), .seconds(19)),
            (.seconds(5), .seconds(25), .seconds(5)),  // an app that wants a dead link noticed sooner
            (.milliseconds(500), .seconds(30), .milliseconds(500)),
        ]
    )
    func policy(configured: Duration?, serverPings: Duration, expected: Duration?) {
        #expect(V2SessionState.webSocketPingInterval(configured: configured, serverPings: serverPings) == expected)
    }
}
