import Foundation

/// A small rule-based conversation engine in the spirit of Weizenbaum's ELIZA (1966): keyword rules with
/// "the rest of the sentence" captures, pronoun reflection, and rotating answers. No network, no model.
struct Eliza: Sendable {
    /// One rule: if the input contains `keyword`, answer with one of `answers`; `*` in an answer is replaced by
    /// what followed the keyword, reflected ("my job" → "your job").
    private struct Rule: Sendable {
        var keyword: String
        var answers: [String]
    }

    private static let rules: [Rule] = [
        Rule(keyword: "i need", answers: ["Why do you need *?", "Would it really help you to get *?"]),
        Rule(keyword: "why don't you", answers: ["Do you really think I don't *?", "Perhaps eventually I will *."]),
        Rule(
            keyword: "why can't i",
            answers: ["Do you think you should be able to *?", "What would change if you could *?"]
        ),
        Rule(keyword: "i can't", answers: ["How do you know you can't *?", "Perhaps you could * if you tried."]),
        Rule(keyword: "i am", answers: ["How long have you been *?", "How do you feel about being *?"]),
        Rule(keyword: "i'm", answers: ["Why do you say you're *?", "How does being * make you feel?"]),
        Rule(
            keyword: "are you",
            answers: ["Why does it matter whether I am *?", "Perhaps you would like me to be *."]
        ),
        Rule(keyword: "i feel", answers: ["Tell me more about feeling *.", "Do you often feel *?"]),
        Rule(keyword: "i think", answers: ["Do you doubt *?", "Why do you think *?"]),
        Rule(keyword: "i want", answers: ["What would it mean to you if you got *?", "Why do you want *?"]),
        Rule(keyword: "because", answers: ["Is that the real reason?", "What other reasons come to mind?"]),
        Rule(
            keyword: "sorry",
            answers: ["There is no need to apologise.", "What feelings do you have when you apologise?"]
        ),
        Rule(
            keyword: "mother",
            answers: ["Tell me more about your mother.", "How is your relationship with your mother?"]
        ),
        Rule(keyword: "father", answers: ["Tell me more about your father.", "How does your father make you feel?"]),
        Rule(keyword: "friend", answers: ["Tell me more about your friends.", "Why do you bring up your friends?"]),
        Rule(keyword: "computer", answers: ["Are you really talking about me?", "Do computers worry you?"]),
        Rule(keyword: "dream", answers: ["What does that dream suggest to you?", "Do you dream often?"]),
        Rule(keyword: "yes", answers: ["You seem quite sure.", "I see. Go on."]),
        Rule(keyword: "no", answers: ["Why not?", "You are being a bit negative."]),
        Rule(keyword: "hello", answers: ["Hello. How are you feeling today?", "Hi there. What is on your mind?"]),
        Rule(keyword: "hi", answers: ["Hi. What would you like to talk about?", "Hello! How is your day going?"]),
        Rule(keyword: "you", answers: ["We were discussing you, not me.", "Why do you care about me?"]),
    ]

    private static let fallbacks = [
        "Please tell me more.",
        "Let's change focus a bit. Tell me about your family.",
        "Can you elaborate on that?",
        "I see. And how does that make you feel?",
        "Why do you say that?",
        "Very interesting.",
    ]

    private static let reflections: [String: String] = [
        "am": "are", "was": "were", "i": "you", "i'd": "you would", "i've": "you have", "i'll": "you will",
        "my": "your", "are": "am", "you've": "I have", "you'll": "I will", "your": "my", "yours": "mine",
        "you": "me", "me": "you", "myself": "yourself", "yourself": "myself", "i'm": "you are",
    ]

    private static let farewells = ["bye", "goodbye", "see you", "quit", "exit", "ciao"]

    /// The greeting sent when a chat starts.
    static let greeting = "Hello, I'm Eliza. How are you feeling today?"
    /// The goodbye sent before the bot leaves a chat.
    static let goodbye = "Goodbye. It was nice talking to you."

    private var turn = 0

    /// Whether the input ends the conversation.
    func isFarewell(_ input: String) -> Bool {
        let words = Self.words(of: input).joined(separator: " ")
        return Self.farewells.contains { words == $0 || words.hasPrefix($0 + " ") || words.hasSuffix(" " + $0) }
    }

    /// The answer to one input.
    mutating func answer(_ input: String) -> String {
        self.turn += 1
        let words = Self.words(of: input)
        let sentence = " " + words.joined(separator: " ") + " "
        for rule in Self.rules {
            guard let range = sentence.range(of: " " + rule.keyword + " ") else { continue }
            let rest = sentence[range.upperBound...].trimmingCharacters(in: .whitespaces)
            let answer = rule.answers[self.turn % rule.answers.count]
            if answer.contains("*") {
                guard !rest.isEmpty else { continue }
                return answer.replacingOccurrences(of: "*", with: Self.reflect(rest))
            }
            return answer
        }
        return Self.fallbacks[self.turn % Self.fallbacks.count]
    }

    private static func words(of input: String) -> [String] {
        let cleaned = input.lowercased().map { (c: Character) -> Character in
            c.isLetter || c.isNumber || c == "'" ? c : " "
        }
        return String(cleaned).split(separator: " ").map(String.init)
    }

    private static func reflect(_ phrase: String) -> String {
        phrase.split(separator: " ").map { Self.reflections[String($0)] ?? String($0) }.joined(separator: " ")
    }
}
