import ChatConformance
import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Conformance reports and skip list")
struct ReportTests {
    static let results = [
        ScenarioResult(
            id: "RC-A-1_pass",
            area: "accounts",
            section: "§4.1",
            summary: "passes",
            status: .pass,
            detail: "upstream D41 seen",
            duration: .milliseconds(12)
        ),
        ScenarioResult(
            id: "RC-A-2_fail",
            area: "accounts",
            section: "§4.1",
            summary: "fails <&>",
            status: .fail,
            detail: "expected 401, got \"200\" <body> & \u{1}",
            duration: .milliseconds(1500)
        ),
        ScenarioResult(
            id: "RC-B-1_skip",
            area: "limits",
            section: "§7",
            summary: "skips",
            status: .skip,
            detail: "needs --message-cap",
            duration: .zero
        ),
    ]

    @Test("The JSON report parses and carries the summary and every scenario")
    func json() throws {
        let report = ConformanceReport(serverURL: "http://x", profile: .v1, results: Self.results)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary == ["total": 3, "passed": 1, "failed": 1, "skipped": 1])
        let scenarios = try #require(object["scenarios"] as? [[String: Any]])
        #expect(scenarios.map { $0["status"] as? String } == ["pass", "fail", "skip"])
        #expect(scenarios[1]["duration_ms"] as? Int == 1500)
        #expect(report.hasFailures)
    }

    @Test("The JUnit report is well-formed XML with failures and skips counted")
    func junit() throws {
        let report = ConformanceReport(serverURL: "http://x", profile: .v1, results: Self.results)
        let document = try XMLDocument(xmlString: report.junitXML)
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "failures")?.stringValue == "1")
        #expect(root.attribute(forName: "skipped")?.stringValue == "1")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.count == 2)
        let cases = suites.flatMap { $0.elements(forName: "testcase") }
        #expect(cases.count == 3)
        #expect(
            cases[1].elements(forName: "failure").first?.attribute(forName: "message")?.stringValue?.contains("<body>")
                == true
        )
        #expect(cases[2].elements(forName: "skipped").count == 1)
    }

    @Test("The table lists every scenario and the totals")
    func table() {
        let report = ConformanceReport(serverURL: "http://x", profile: .v1, results: Self.results)
        #expect(report.table.contains("FAIL    RC-A-2_fail"))
        #expect(report.table.contains("3 scenarios: 1 passed, 1 failed, 1 skipped"))
    }

    @Test("The skip list matches ids and prefixes, ignoring comments")
    func skipList() {
        let list = SkipList(parsing: "# known gaps\n\nRC-A-1_pass   not yet\nRC-V2-*\tv2 later\nRC-X-1\n")
        #expect(list.reason(for: "RC-A-1_pass") == "not yet")
        #expect(list.reason(for: "RC-V2-HELLO-1_x") == "v2 later")
        #expect(list.reason(for: "RC-X-1") == "listed in the skip list")
        #expect(list.reason(for: "RC-A-2_fail") == nil)
    }
}
