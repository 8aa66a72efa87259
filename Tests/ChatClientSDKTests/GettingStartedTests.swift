import ChatClientSDK
import Foundation
import Testing

// BEGIN GettingStarted (kept identical to the example in ChatClientSDK.docc/GettingStarted.md; a test checks it)
func chat(serverURL: String, name: String) async throws {
    try await withChatClient(configuration: .init(baseURL: serverURL)) { client in
        let me = try await client.signUp(name: name)
        let match = try await client.match()  // suspends until paired; cancel the task to stop waiting
        try await client.withSession(match) { session in
            try await session.send(text: "hi, I'm \(me.name)")
            for try await event in session.events {
                switch event {
                case .message(let message) where message.senderID != me.id:
                    print("stranger:", message.text ?? "sent a file")
                    try await session.markSeen(message)
                case .typingStarted(let user) where user != me.id:
                    print("stranger is typing…")
                case .left:
                    print("the chat is over")
                case .connection(let state):
                    print("connection:", state)
                default:
                    break
                }
            }
        }
    }
}
// END GettingStarted

@Suite("Documentation examples")
struct GettingStartedTests {
    @Test("the Getting Started article shows exactly the example that compiles here")
    func articleMatchesCompiledExample() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let article = try String(
            contentsOf: root.appendingPathComponent("Sources/ChatClientSDK/ChatClientSDK.docc/GettingStarted.md"),
            encoding: .utf8
        )
        let begin = try #require(source.range(of: "// BEGIN GettingStarted"))
        let afterBeginLine = try #require(source[begin.upperBound...].range(of: "\n"))
        let end = try #require(source.range(of: "// END GettingStarted"))
        let example = source[afterBeginLine.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(article.contains(example), "update GettingStarted.md (or this file) so both show the same code")
    }
}
