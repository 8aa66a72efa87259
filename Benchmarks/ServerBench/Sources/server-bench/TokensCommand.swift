import ChatClientSDK
import Foundation

/// `tokens --conns K --out FILE`: signs up and matches K guests (K/2 channels) and writes one line per member,
/// `<user id> <channel token>`, the two members of each channel on adjacent lines. For B4's C load generator
/// (`Benchmarks/c/wsload.c`), which opens the chat websockets itself. The match sockets close once matched; the
/// tokens stay valid for the server's token lifetime.
enum TokensCommand {
    static func run(_ arguments: Arguments) async throws {
        let bots = try arguments.int("conns", 1000) / 2 * 2
        let configuration = try arguments.clientConfiguration()
        let limit = Semaphore(try arguments.int("concurrency", 128))
        let start = ContinuousClock.now
        let matches = try await withThrowingTaskGroup(of: ChatMatch.self, returning: [ChatMatch].self) { group in
            for index in 0..<bots {
                group.addTask {
                    try await withClient(configuration) { client in
                        _ = try await limit.withPermit { try await client.signUp(name: "load-\(index)") }
                        return try await client.match()
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var channels: [ChannelID: [ChatMatch]] = [:]
        for match in matches { channels[match.channelID, default: []].append(match) }
        let pairs = channels.values.filter { $0.count == 2 }
        guard pairs.count * 2 == bots else {
            throw BenchError("\(bots) guests matched into \(channels.count) channels, \(pairs.count) of them pairs")
        }
        var lines = ""
        for pair in pairs {
            for member in pair { lines += "\(member.userID.rawValue) \(member.token)\n" }
        }
        try lines.write(toFile: arguments.string("out", "tokens.txt"), atomically: true, encoding: .utf8)
        log("\(bots) guests matched into \(pairs.count) channels in \(seconds(ContinuousClock.now - start)) s")
    }
}
