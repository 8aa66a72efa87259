import ArgumentParser
import ChatClientSDK
import ExampleSupport
import Foundation

/// A conversational bot: answers like ELIZA, with typing indicators, a human-like delay and seen receipts.
@main
struct ElizaBot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ElizaBot",
        abstract: "A rule-based (ELIZA-like) RandomChat bot that types, pauses like a person, and says goodbye.",
        discussion: """
            The bot greets each stranger, marks their messages seen, shows "typing" while it composes an answer, \
            and waits --delay seconds plus --per-character seconds for each character of the answer before sending \
            it. When the stranger says goodbye, after --max-turns answers, or on Ctrl-C it says goodbye and leaves \
            (Ctrl-C then exits 0); otherwise it matches again ("next").
            """
    )

    @Option(help: "The chat server's base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "The bot's display name.") var name = "Eliza"
    @Option(help: "Seconds to think before typing an answer.") var delay: Double = 0.3
    @Option(help: "Seconds of typing per character of the answer (0.05 feels human).") var perCharacter: Double = 0.005
    @Option(help: "Answers before the bot says goodbye and moves on to the next stranger.") var maxTurns = 20
    @Option(help: "Seconds to wait for a stranger who went offline to come back.") var offlineGrace: Double = 5

    func validate() throws {
        guard self.delay >= 0, self.perCharacter >= 0, self.offlineGrace >= 0 else {
            throw ValidationError("--delay, --per-character and --offline-grace must not be negative")
        }
        guard self.maxTurns >= 1 else { throw ValidationError("--max-turns must be at least 1") }
    }

    func run() async throws {
        let bot = Bot(
            server: self.server,
            name: self.name,
            delay: Self.duration(self.delay),
            perCharacter: Self.duration(self.perCharacter),
            maxTurns: self.maxTurns,
            offlineGrace: Self.duration(self.offlineGrace)
        )
        try await GracefulShutdown.run { shutdown in try await bot.run(shutdown: shutdown) }
        Console.log("stopped")
    }

    static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64(seconds * 1000)) }
}

struct Bot: Sendable {
    var server: String
    var name: String
    var delay: Duration
    var perCharacter: Duration
    var maxTurns: Int
    var offlineGrace: Duration

    /// How a conversation ended.
    enum Ending: Sendable {
        /// The bot decided to move on: say goodbye, then leave.
        case goodbye
        /// The stranger ended the channel.
        case peerLeft
        /// The session ended by itself.
        case sessionEnded
    }

    func run(shutdown: GracefulShutdown) async throws {
        try await withChatClient(configuration: .init(baseURL: self.server)) { client in
            let me = try await client.signUp(name: self.name)
            Console.log("signed up as \(me.name) (user \(me.id))")
            while !shutdown.isRequested {
                do {
                    Console.log("waiting for a stranger")
                    guard let match = try await shutdown.cancellingOnShutdown({ try await client.match() }) else {
                        break
                    }
                    Console.log("matched in channel \(match.channelID)")
                    try await client.withSession(match) { session in
                        let ending = try await shutdown.cancellingOnShutdown {
                            try await self.converse(in: session, me: me)
                        }
                        if ending == nil || ending == .goodbye {
                            if ending == nil {
                                // Ctrl-C: no time for typing; send the goodbye and give it a moment to go out.
                                _ = try? await session.send(text: Eliza.goodbye)
                                try? await Task.sleep(for: .milliseconds(300))
                            }
                            try await session.leave()
                            Console.log("said goodbye and left channel \(match.channelID)")
                        } else {
                            Console.log("the stranger left channel \(match.channelID)")
                        }
                    }
                } catch {
                    if shutdown.isRequested { break }
                    Console.log("chat failed: \(error); matching again in 1 s")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    private func converse(in session: ChatSession, me: ChatUser) async throws -> Ending {
        var eliza = Eliza()
        var turns = 0
        var greeted = false
        var goodbyeID: ChatLocalMessageID?
        for try await event in session.events {
            if goodbyeID != nil {
                // Leave once the goodbye is confirmed, so the stranger has it before the channel closes.
                if case .message(let message) = event, message.localID == goodbyeID { return .goodbye }
                continue
            }
            var movingOn = false
            switch event {
            case .joined, .connection(.connected):
                if !greeted {
                    greeted = true
                    try await self.say(Eliza.greeting, in: session)
                }
            case .message(let message) where message.senderID != me.id:
                try await session.markSeen(message)
                guard let text = message.text else {
                    try await self.say(
                        "Thank you for the file. What does \(message.file?.name ?? "it") mean to you?",
                        in: session
                    )
                    continue
                }
                if eliza.isFarewell(text) {
                    movingOn = true
                } else {
                    turns += 1
                    try await self.say(eliza.answer(text), in: session)
                    movingOn = turns >= self.maxTurns
                }
            case .offline(let user) where user != me.id:
                try await Task.sleep(for: self.offlineGrace)
                movingOn = try await !session.onlineMembers().contains(user)
            case .left(let user) where user != me.id:
                return .peerLeft
            default:
                break
            }
            if movingOn { goodbyeID = try await self.say(Eliza.goodbye, in: session) }
        }
        return .sessionEnded
    }

    /// Shows "typing" for a human-looking while, then sends the answer.
    @discardableResult
    private func say(_ text: String, in session: ChatSession) async throws -> ChatLocalMessageID {
        try await Task.sleep(for: self.delay)
        try await session.startTyping()
        try await Task.sleep(for: self.perCharacter * text.count)
        try await session.stopTyping()
        return try await session.send(text: text)
    }
}
