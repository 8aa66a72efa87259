import Foundation
import Histogram

/// What a fleet run measured; printed as text or JSON.
struct FleetReport: Codable, Sendable {
    struct Latency: Codable, Sendable {
        var count: UInt64
        var p50: Double
        var p90: Double
        var p99: Double
        var p999: Double
        var max: Double

        enum CodingKeys: String, CodingKey {
            case count
            case p50 = "p50_ms"
            case p90 = "p90_ms"
            case p99 = "p99_ms"
            case p999 = "p99_9_ms"
            case max = "max_ms"
        }

        init(_ histogram: Histogram<UInt64>) {
            func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
            self.count = histogram.totalCount
            self.p50 = ms(histogram.valueAtPercentile(50))
            self.p90 = ms(histogram.valueAtPercentile(90))
            self.p99 = ms(histogram.valueAtPercentile(99))
            self.p999 = ms(histogram.valueAtPercentile(99.9))
            self.max = ms(histogram.max)
        }
    }

    var channels: Int
    var bots: Int
    var ratePerChannel: Double
    var durationSeconds: Double
    var wireProtocol: String
    var encoding: String
    var stagger: Bool
    var sent: Int
    var sendErrors: Int
    var confirmed: Int
    var delivered: Int
    var lost: Int
    var duplicates: Int
    var outOfOrder: Int
    var foreignMessages: Int
    var reconnects: Int
    var interrupted: Bool
    var latency: Latency
    /// How late the bots' timers woke to send (included in `latency`).
    var sendLateness: Latency
    var passed: Bool

    enum CodingKeys: String, CodingKey {
        case channels, bots, sent, confirmed, delivered, lost, duplicates, reconnects, interrupted, latency, passed
        case encoding, stagger
        case wireProtocol = "protocol"
        case ratePerChannel = "rate_per_channel"
        case durationSeconds = "duration_seconds"
        case sendErrors = "send_errors"
        case sendLateness = "send_lateness"
        case outOfOrder = "out_of_order"
        case foreignMessages = "foreign_messages"
    }

    init(plan: Fleet.Plan, stats: FleetStats.Snapshot, interrupted: Bool) {
        self.channels = plan.bots / 2
        self.bots = plan.bots
        self.ratePerChannel = plan.rate
        self.durationSeconds = plan.duration
        self.wireProtocol = plan.wireProtocol.rawValue
        self.encoding = plan.encoding.rawValue
        self.stagger = plan.stagger
        self.sent = stats.sent
        self.sendErrors = stats.sendErrors
        self.confirmed = stats.confirmed
        self.delivered = stats.delivered
        self.lost = max(0, stats.sent - stats.delivered)
        self.duplicates = stats.duplicates
        self.outOfOrder = stats.outOfOrder
        self.foreignMessages = stats.foreign
        self.reconnects = stats.reconnects
        self.interrupted = interrupted
        self.latency = Latency(stats.latency)
        self.sendLateness = Latency(stats.sendLateness)
        self.passed = self.lost == 0 && self.duplicates == 0 && self.sendErrors == 0 && self.sent > 0
    }

    var text: String {
        func ms(_ value: Double) -> String { String(format: "%.3f", value) }
        return """
            BotFleet: \(self.channels) channels (\(self.bots) bots), \(self.ratePerChannel) msgs/s per channel \
            for \(self.durationSeconds) s, protocol \(self.wireProtocol)/\(self.encoding)\
            \(self.interrupted ? " (interrupted)" : "")
              sent          \(self.sent)  (send errors \(self.sendErrors))
              confirmed     \(self.confirmed)  (echoed back to the sender)
              delivered     \(self.delivered)  (received by the peer)
              lost          \(self.lost)
              duplicates    \(self.duplicates)
              out of order  \(self.outOfOrder)
              reconnects    \(self.reconnects)
              latency (one-way, ms, n=\(self.latency.count)): p50 \(ms(self.latency.p50))  p90 \(ms(self.latency.p90))  \
            p99 \(ms(self.latency.p99))  p99.9 \(ms(self.latency.p999))  max \(ms(self.latency.max))
              of which the bots' timers woke late to send: p50 \(ms(self.sendLateness.p50))  \
            p99 \(ms(self.sendLateness.p99))
            \(self.passed ? "PASS" : "FAIL"): \(self.lost) lost, \(self.duplicates) duplicates, \(self.sendErrors) send errors
            """
    }

    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
