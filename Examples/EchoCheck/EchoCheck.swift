import ArgumentParser
import ChatClientSDK
import ExampleSupport
import Foundation

/// A scripted client that checks a running EchoBot: texts and a file must come back unchanged.
@main
struct EchoCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "EchoCheck",
        abstract: "Matches with a running EchoBot, sends texts and a file, and checks that the echoes come back.",
        discussion: "Exits 0 when every echo arrived intact within --timeout seconds, 1 otherwise."
    )

    @Option(help: "The chat server's base URL.") var server = "http://127.0.0.1:8080"
    @Option(help: "How many texts to send.") var texts = 5
    @Option(help: "Seconds the whole check may take.") var timeout: Double = 30

    func run() async throws {
        let server = self.server
        let count = self.texts
        let timeout = self.timeout
        let outcome = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await Self.check(server: server, texts: count) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                Console.log("FAIL: timed out after \(timeout) s")
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
        if !outcome { throw ExitCode.failure }
    }

    static func check(server: String, texts count: Int) async throws -> Bool {
        try await withChatClient(configuration: .init(baseURL: server)) { client in
            let me = try await client.signUp(name: "echo-check")
            let match = try await client.match()
            var peerName = "?"
            if let peerID = match.peerID { peerName = try await client.user(peerID).name }
            Console.print("matched with \(peerName) in channel \(match.channelID)")
            let texts = (1...count).map { "echo check \($0): héllo 👋 \(UUID().uuidString)" }
            let fileBytes = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let fileName = "echo-check.bin"
            return try await client.withSession(match) { session in
                for text in texts { try await session.send(text: text) }
                try await session.sendFile(fileBytes, named: fileName)
                var missing = Set(texts)
                var fileEchoed = false
                var seenReceipts = 0
                for try await event in session.events {
                    switch event {
                    case .message(let message) where message.senderID != me.id:
                        if let text = message.text {
                            guard missing.remove(text) != nil else {
                                Console.log("FAIL: unexpected or repeated echo: \(text)")
                                return false
                            }
                            Console.print("echo ok: \(text)")
                        } else if let file = message.file {
                            let bytes = try await session.downloadBytes(of: file)
                            guard file.name == fileName, bytes == fileBytes else {
                                Console.log("FAIL: the file came back as \(file.name), \(bytes.count) bytes")
                                return false
                            }
                            fileEchoed = true
                            Console.print("echo ok: file \(file.name), \(bytes.count) bytes")
                        }
                    case .seen(_, let author) where author == me.id:
                        seenReceipts += 1
                    default:
                        break
                    }
                    if missing.isEmpty && fileEchoed {
                        try await session.leave()
                        Console.print("PASS: \(texts.count) texts and 1 file echoed (\(seenReceipts) seen receipts)")
                        return true
                    }
                }
                Console.log("FAIL: the chat ended with \(missing.count) texts missing, file echoed: \(fileEchoed)")
                return false
            }
        }
    }
}
