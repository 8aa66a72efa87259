import ArgumentParser
import ChatClientSDK
import ExampleSupport
import Foundation
import Synchronization

/// An interactive terminal client: match a stranger and chat, line by line.
@main
struct TerminalChat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "TerminalChat",
        abstract: "Chat with a random stranger from your terminal.",
        discussion: """
            Type a line and press Enter to send it. Commands: /file PATH uploads a file, /next leaves this stranger \
            and finds another, /quit (or Ctrl-C, or Ctrl-D) leaves and exits. The stranger's typing, seen \
            receipts, and the connection's state (reconnecting, reconnected) are shown as they happen; messages \
            missed while offline arrive after the reconnect.
            """
    )

    @Option(help: "The chat server's base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "Your display name.") var name = "guest"

    func run() async throws {
        let input = LineReader()
        input.start()
        let chat = Chat(server: self.server, name: self.name, input: input)
        try await GracefulShutdown.run { shutdown in try await chat.run(shutdown: shutdown) }
    }
}

/// What the user asked for, or what happened, to end a chat.
enum ChatEnding: Sendable {
    case next
    case quit
    case peerLeft
    case ended
}

/// Matched or quitting.
enum MatchOutcome: Sendable {
    case matched(ChatMatch)
    case quit
}

struct Chat: Sendable {
    var server: String
    var name: String
    var input: LineReader

    func show(_ line: String) { Console.print(line) }

    func run(shutdown: GracefulShutdown) async throws {
        var configuration = ChatClient.Configuration(baseURL: self.server)
        // Show a dropped network quickly: a ping every 5 s, and retries that never give up.
        configuration.pingInterval = .seconds(5)
        try await withChatClient(configuration: configuration) { client in
            let me = try await client.signUp(name: self.name)
            self.show("signed in as \(me.name). Commands: /file PATH, /next, /quit, /help")
            while true {
                self.show("looking for a stranger… (/quit to exit)")
                let outcome = try await shutdown.cancellingOnShutdown { try await self.waitForMatch(client) }
                guard case .matched(let match) = outcome else { break }
                var peer = "stranger"
                if let peerID = match.peerID, let user = try? await client.user(peerID) { peer = user.name }
                let peerName = peer
                self.show("matched with \(peerName). Say hi!")
                let ending = try await client.withSession(match) { session in
                    let ending = try await shutdown.cancellingOnShutdown {
                        try await self.chat(in: session, me: me, peerName: peerName)
                    }
                    if ending == nil || ending == .next || ending == .quit {
                        do {
                            try await session.leave()
                        } catch {
                            self.show("(could not leave the channel: \(error.localizedDescription))")
                        }
                    }
                    return ending ?? .quit
                }
                switch ending {
                case .quit: break
                case .next: self.show("you left the chat.")
                case .peerLeft: self.show("\(peerName) left the chat.")
                case .ended: self.show("the chat ended.")
                }
                if ending == .quit { break }
            }
        }
        self.show("bye!")
    }

    /// Waits for a match while still answering `/quit`.
    private func waitForMatch(_ client: ChatClient) async throws -> MatchOutcome {
        try await withThrowingTaskGroup(of: MatchOutcome.self) { group in
            group.addTask { .matched(try await client.match()) }
            group.addTask {
                while let line = await self.input.next() {
                    if line.trimmingCharacters(in: .whitespaces) == "/quit" { return .quit }
                    self.show("(still looking for a stranger; /quit to exit)")
                }
                return .quit  // end of input, or cancelled because the match arrived
            }
            defer { group.cancelAll() }
            return try await group.next() ?? .quit
        }
    }

    /// Runs one chat: prints events and sends what the user types, until one side ends it.
    private func chat(in session: ChatSession, me: ChatUser, peerName: String) async throws -> ChatEnding {
        let sentTexts = SentTexts()
        return try await withThrowingTaskGroup(of: ChatEnding.self) { group in
            group.addTask { try await self.printEvents(of: session, me: me, peerName: peerName, sent: sentTexts) }
            group.addTask { try await self.readCommands(into: session) }
            defer { group.cancelAll() }
            return try await group.next() ?? .ended
        }
    }

    private func printEvents(
        of session: ChatSession,
        me: ChatUser,
        peerName: String,
        sent: SentTexts
    ) async throws -> ChatEnding {
        var wasReconnecting = false
        for try await event in session.events {
            switch event {
            case .message(let message) where message.senderID != me.id:
                switch message.content {
                case .text(let text): self.show("\(peerName): \(text)")
                case .file(let file): self.show("\(peerName) sent a file: \(file.name)")
                }
                try await session.markSeen(message)
            case .message(let message):
                sent.record(message)
                if message.localID == nil {
                    // Sent from elsewhere (or recovered from history after a reconnect).
                    self.show("you: \(message.text ?? "a file (\(message.file?.name ?? ""))")")
                }
            case .seen(let messageID, let author) where author == me.id:
                self.show("  ✓✓ seen: \(sent.summary(of: messageID))")
            case .typingStarted(let user) where user != me.id:
                self.show("\(peerName) is typing…")
            case .joined(let user) where user != me.id:
                self.show("\(peerName) is online.")
            case .offline(let user) where user != me.id:
                self.show("\(peerName) went offline.")
            case .left(let user):
                return user == me.id ? .ended : .peerLeft
            case .connection(.reconnecting(let attempt, let delay)):
                wasReconnecting = true
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                self.show(
                    "[connection lost: reconnecting (attempt \(attempt)) in \(String(format: "%.1f", seconds)) s]"
                )
            case .connection(.connected) where wasReconnecting:
                wasReconnecting = false
                self.show("[reconnected; catching up on missed messages]")
            case .connection(.disconnected(let reason)) where reason.code != .channelClosed:
                self.show("[disconnected: \(reason.message)]")
            default:
                break
            }
        }
        return .ended
    }

    private func readCommands(into session: ChatSession) async throws -> ChatEnding {
        while let line = await self.input.next() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            switch trimmed {
            case "": continue
            case "/quit": return .quit
            case "/next": return .next
            case "/help":
                self.show("commands: /file PATH (send a file), /next (new stranger), /quit (leave and exit)")
            case _ where trimmed.hasPrefix("/file "):
                await self.sendFile(at: String(trimmed.dropFirst("/file ".count)), in: session)
            case _ where trimmed.hasPrefix("/"):
                self.show("(unknown command \(trimmed); /help lists them)")
            default:
                do {
                    try await session.send(text: line)
                } catch {
                    self.show("(not sent: \(error))")
                }
            }
        }
        return .quit  // end of input (Ctrl-D), or cancelled because the chat ended
    }

    private func sendFile(at path: String, in session: ChatSession) async {
        let path = (path.trimmingCharacters(in: .whitespaces) as NSString).expandingTildeInPath
        guard let data = FileManager.default.contents(atPath: path) else {
            self.show("(cannot read \(path))")
            return
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        self.show("uploading \(name) (\(data.count) bytes)…")
        do {
            try await session.sendFile(Array(data), named: name)
            self.show("sent \(name).")
        } catch {
            self.show("(upload failed: \(error))")
        }
    }
}

/// Your own messages of this chat, so a seen receipt can say which one was seen.
final class SentTexts: Sendable {
    private let texts = Mutex<[MessageID: String]>([:])

    func record(_ message: ChatMessage) {
        let summary = message.text ?? "file \(message.file?.name ?? "")"
        self.texts.withLock { $0[message.id] = summary.count > 40 ? summary.prefix(39) + "…" : summary }
    }

    func summary(of id: MessageID) -> String {
        self.texts.withLock { $0[id] } ?? "message \(id)"
    }
}
