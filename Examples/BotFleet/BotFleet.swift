import ArgumentParser
import ChatClientSDK
import ExampleSupport
import Foundation

/// Load generator: bots pair up and send on a fixed schedule; reports delivery and one-way latency.
@main
struct BotFleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "BotFleet",
        abstract: "Pairs --bots bots into channels, sends on a fixed open-loop schedule, and reports delivery and "
            + "one-way latency.",
        discussion: """
            Every bot signs up and matches; once all channels are connected, both members of each channel send \
            --rate/2 messages per second each (--rate per channel), on a fixed schedule that does not wait for \
            answers, for --duration seconds. The fleet then waits up to --drain seconds for messages in flight. \
            It reports messages sent, confirmed and delivered, losses, duplicates, and the one-way latency \
            distribution (p50, p90, p99, p99.9, max), measured from each message's scheduled send time to its \
            arrival at the peer. Exit status 1 when any message was lost or duplicated. Run it against a server \
            that no one else uses: a bot matched with a stranger counts that stranger's silence as losses.
            """
    )

    @Option(help: "The chat server's base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "How many bots; they pair up into bots/2 channels (must be even).") var bots = 20
    @Option(help: "Messages per second per channel (each member sends half).") var rate: Double = 10
    @Option(help: "Seconds of sending.") var duration: Double = 10
    @Option(help: "Seconds to wait for messages in flight after the sending ends.") var drain: Double = 5
    @Option(help: "Seconds the sign-up, matching and connecting of all bots may take.") var setupTimeout: Double = 60
    @Option(name: .customLong("protocol"), help: "Chat protocol: v1 or v2.") var wireProtocol: WireProtocol = .v1
    @Option(help: "Frame encoding: json or protobuf.") var encoding: WireEncoding = .json
    @Flag(
        help: ArgumentHelp(
            "Give every bot its own random phase within the send interval, instead of all channels sending at the "
                + "same instants (which makes each tick a burst of one message per channel)."
        )
    ) var stagger = false
    @Flag(help: "Print the report as JSON instead of text.") var json = false

    func validate() throws {
        guard self.bots >= 2, self.bots.isMultiple(of: 2) else {
            throw ValidationError("--bots must be an even number, at least 2")
        }
        guard self.rate > 0, self.duration > 0, self.drain >= 0, self.setupTimeout > 0 else {
            throw ValidationError("--rate, --duration and --setup-timeout must be positive, --drain not negative")
        }
        _ = try WireOptions.clientConfiguration(
            server: self.server,
            protocol: self.wireProtocol,
            encoding: self.encoding
        )
    }

    func run() async throws {
        let plan = Fleet.Plan(
            bots: self.bots,
            rate: self.rate,
            duration: self.duration,
            drain: self.drain,
            setupTimeout: self.setupTimeout,
            wireProtocol: self.wireProtocol,
            encoding: self.encoding,
            stagger: self.stagger,
            configuration: try WireOptions.clientConfiguration(
                server: self.server,
                protocol: self.wireProtocol,
                encoding: self.encoding
            )
        )
        let report = try await GracefulShutdown.run { shutdown in
            try await Fleet(plan: plan, shutdown: shutdown).run()
        }
        if self.json {
            Console.print(try report.jsonText())
        } else {
            Console.print(report.text)
        }
        // An interrupted run (Ctrl-C) exits 0: its "lost" count includes messages still in flight.
        if !report.passed && !report.interrupted { throw ExitCode.failure }
    }
}
