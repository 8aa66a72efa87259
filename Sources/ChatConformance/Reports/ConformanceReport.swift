import Foundation

/// The results of one run, rendered as a table, JSON or JUnit XML.
public struct ConformanceReport: Sendable {
    /// The server that was tested.
    public var serverURL: String
    /// The profile that was run.
    public var profile: ConformanceProfile
    /// The results, in catalogue order.
    public var results: [ScenarioResult]

    /// Creates a report.
    /// - Parameters:
    ///   - serverURL: The server.
    ///   - profile: The profile.
    ///   - results: The results.
    public init(serverURL: String, profile: ConformanceProfile, results: [ScenarioResult]) {
        self.serverURL = serverURL
        self.profile = profile
        self.results = results
    }

    /// How many scenarios have `status`.
    /// - Parameter status: A status.
    /// - Returns: The count.
    public func count(_ status: ScenarioResult.Status) -> Int { self.results.filter { $0.status == status }.count }

    /// Whether any scenario failed.
    public var hasFailures: Bool { self.count(.fail) > 0 }

    /// A plain-text table: status, id, section, and the reason or note.
    public var table: String {
        let idWidth = min(self.results.map(\.id.count).max() ?? 10, 60)
        var lines = ["chat-conformance \(self.profile.rawValue) against \(self.serverURL)"]
        lines.append(
            "STATUS  " + "SCENARIO".padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  SECTION  DETAIL"
        )
        for result in self.results {
            let status = result.status.rawValue.uppercased().padding(toLength: 6, withPad: " ", startingAt: 0)
            let id = result.id.padding(toLength: idWidth, withPad: " ", startingAt: 0)
            let section = result.section.padding(toLength: 7, withPad: " ", startingAt: 0)
            lines.append("\(status)  \(id)  \(section)  \(result.detail)")
        }
        lines.append(
            "\(self.results.count) scenarios: \(self.count(.pass)) passed, \(self.count(.fail)) failed, "
                + "\(self.count(.skip)) skipped"
        )
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as JSON: `{"server","profile","summary":{…},"scenarios":[{"id","area","section","summary",
    /// "status","detail","duration_ms"}]}`.
    public var json: String {
        let scenarios: [[String: Any]] = self.results.map { result in
            [
                "id": result.id, "area": result.area, "section": result.section, "summary": result.summary,
                "status": result.status.rawValue, "detail": result.detail,
                "duration_ms": Self.milliseconds(result.duration),
            ]
        }
        let document: [String: Any] = [
            "server": self.serverURL,
            "profile": self.profile.rawValue,
            "summary": [
                "total": self.results.count, "passed": self.count(.pass), "failed": self.count(.fail),
                "skipped": self.count(.skip),
            ],
            "scenarios": scenarios,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]))
        return String(decoding: data ?? Data(), as: UTF8.self) + "\n"
    }

    /// The report as JUnit XML: one `<testsuite>` per area, one `<testcase>` per scenario.
    public var junitXML: String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        let total = Self.seconds(self.results.reduce(Duration.zero) { $0 + $1.duration })
        xml +=
            #"<testsuites name="chat-conformance \#(self.profile.rawValue)" tests="\#(self.results.count)" "#
            + #"failures="\#(self.count(.fail))" skipped="\#(self.count(.skip))" time="\#(total)">"# + "\n"
        var areas: [String] = []
        for result in self.results where !areas.contains(result.area) { areas.append(result.area) }
        for area in areas {
            let members = self.results.filter { $0.area == area }
            let failures = members.filter { $0.status == .fail }.count
            let skipped = members.filter { $0.status == .skip }.count
            let name = Self.escape("\(self.profile.rawValue).\(area)")
            xml +=
                #"  <testsuite name="\#(name)" tests="\#(members.count)" failures="\#(failures)" "#
                + #"skipped="\#(skipped)">"# + "\n"
            for result in members {
                let time = Self.seconds(result.duration)
                xml +=
                    #"    <testcase classname="\#(name)" name="\#(Self.escape(result.id))" time="\#(time)">"#
                switch result.status {
                case .pass:
                    if !result.detail.isEmpty {
                        xml += "<system-out>\(Self.escape(result.detail))</system-out>"
                    }
                case .fail:
                    xml += #"<failure message="\#(Self.escape(result.detail))">"#
                    xml += Self.escape("\(result.section): \(result.summary)") + "</failure>"
                case .skip:
                    xml += #"<skipped message="\#(Self.escape(result.detail))"/>"#
                }
                xml += "</testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                // XML 1.0 forbids other control characters, even escaped.
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "?"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(Self.milliseconds(duration)) / 1000)
    }
}
