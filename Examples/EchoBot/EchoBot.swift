import ArgumentParser
import ChatClientSDK
import ExampleSupport
import Foundation

/// Signs up, waits for a stranger, and sends every text and file back; matches again when the stranger leaves.
@main
struct EchoBot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "EchoBot",
        abstract: "A RandomChat bot that echoes every text and file message back to the stranger it is matched with.",
        discussion: """
            Each bot signs up as a guest, waits for a match, and echoes messages until the stranger leaves or stays \
            offline longer than --offline-grace; then it leaves the channel and waits for the next stranger. \
            Ctrl-C makes every bot leave its channel and exit with status 0.
            """
    )

    @Option(help: "The chat server's base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "How many bots to run (bots that are matched with each other part at once).") var count = 1
    @Option(help: "The bots' display name; bot n > 1 is named <name>-<n>.") var name = "EchoBot"
    @Option(help: "Seconds to wait for a stranger who went offline to come back before matching again.")
    var offlineGrace: Double = 5
    @Flag(help: "Log every message.") var verbose = false

    func validate() throws {
        guard self.count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard self.offlineGrace >= 0 else { throw ValidationError("--offline-grace must not be negative") }
    }

    func run() async throws {
        let settings = Bot.Settings(
            server: self.server,
            offlineGrace: .milliseconds(Int64(self.offlineGrace * 1000)),
            verbose: self.verbose
        )
        let names = (1...self.count).map { $0 == 1 ? self.name : "\(self.name)-\($0)" }
        try await GracefulShutdown.run { shutdown in
            try await withThrowingDiscardingTaskGroup { group in
                for name in names {
                    group.addTask { try await Bot(name: name, settings: settings, shutdown: shutdown).run() }
                }
            }
        }
        Console.log("all bots stopped")
    }
}

/// One echo bot: its own client and account.
struct Bot: Sendable {
    struct Settings: Sendable {
        var server: String
        var offlineGrace: Duration
        var verbose: Bool
    }

    /// Why a chat ended.
    enum Ending: Sendable {
        case peerLeft
        case peerGone
        case peerIsABot
        case sessionEnded
    }

    let name: String
    let settings: Settings
    let shutdown: GracefulShutdown

    func log(_ line: String) { Console.log("[\(self.name)] \(line)") }

    func run() async throws {
        try await withChatClient(configuration: .init(baseURL: self.settings.server)) { client in
            let me = try await client.signUp(name: self.name)
            self.log("signed up as user \(me.id)")
            while !self.shutdown.isRequested {
                do {
                    try await self.chatOnce(client: client, me: me)
                } catch let error as ChatError where error.code == .channelClosed {
                    self.log("the stranger left before the chat started")
                } catch {
                    if self.shutdown.isRequested { break }
                    self.log("chat failed: \(error); matching again in 1 s")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    /// Waits for one match and echoes until that chat is over.
    private func chatOnce(client: ChatClient, me: ChatUser) async throws {
        self.log("waiting for a match")
        guard let match = try await self.shutdown.cancellingOnShutdown({ try await client.match() }) else { return }
        var peerName = "a stranger"
        if let peerID = match.peerID, let peer = try? await client.user(peerID) { peerName = peer.name }
        self.log("matched with \(peerName) in channel \(match.channelID)")
        // Two echo bots would wait for each other forever: the one with the higher id ends the chat, and both
        // pause a little before queueing again, so that people waiting get a turn.
        let peerIsABot = peerName.hasPrefix("EchoBot") || peerName.hasPrefix(self.name)
        try await client.withSession(match) { session in
            let ending: Ending?
            if peerIsABot, let peerID = match.peerID, me.id > peerID {
                ending = .peerIsABot
            } else {
                ending = try await self.shutdown.cancellingOnShutdown { try await self.echo(in: session, me: me) }
            }
            switch ending {
            case nil, .peerGone, .peerIsABot:
                // Ctrl-C, or a stranger who is gone for good: end the channel so they are not left hanging.
                do {
                    try await session.leave()
                    self.log("left channel \(match.channelID)")
                } catch let error as ChatError where error.code == .channelClosed {
                    self.log("the chat in channel \(match.channelID) is over")
                } catch {
                    self.log("could not leave channel \(match.channelID): \(error)")
                }
            case .peerLeft, .sessionEnded:
                self.log("the chat in channel \(match.channelID) is over")
            }
        }
        if peerIsABot {
            self.log("the stranger was an echo bot too; pausing before queueing again")
            try? await Task.sleep(for: .milliseconds(Int.random(in: 500...2000)))
        }
    }

    /// Echoes the stranger's messages until the chat ends.
    private func echo(in session: ChatSession, me: ChatUser) async throws -> Ending {
        for try await event in session.events {
            switch event {
            case .message(let message) where message.senderID != me.id:
                try await session.markSeen(message)
                switch message.content {
                case .text(let text):
                    if self.settings.verbose { self.log("echo text: \(text)") }
                    try await session.send(text: text)
                case .file(let file):
                    if self.settings.verbose { self.log("echo file: \(file.name)") }
                    do {
                        let bytes = try await session.downloadBytes(of: file)
                        try await session.sendFile(bytes, named: file.name)
                    } catch let error as ChatError where error.code == .cancelled {
                        throw error
                    } catch {
                        self.log("could not echo the file \(file.name): \(error)")
                        try await session.send(text: "(could not echo your file \(file.name))")
                    }
                }
            case .offline(let user) where user != me.id:
                // A dropped connection often comes back: give the stranger a moment before moving on.
                self.log("the stranger went offline; waiting \(self.settings.offlineGrace) for them")
                try await Task.sleep(for: self.settings.offlineGrace)
                if try await !session.onlineMembers().contains(user) {
                    self.log("the stranger did not come back")
                    return .peerGone
                }
            case .left(let user) where user != me.id:
                return .peerLeft
            case .connection(.reconnecting(let attempt, let delay)):
                self.log("connection lost; reconnect attempt \(attempt) in \(delay)")
            default:
                break
            }
        }
        return .sessionEnded
    }
}
