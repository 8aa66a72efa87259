import ChatProtocol
import Foundation
import Testing

@Suite("JSON round-trip properties")
struct JSONPropertyTests {
    static let iterations = 3000

    @Test("random v1 messages: encode → decode is the identity, and the bytes match Foundation's reading")
    func messages() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        for iteration in 0..<Self.iterations {
            let message = V1.Message(
                messageID: MessageID(rng.id()),
                event: V1.Event(rawValue: rng.int64()),
                userID: UserID(rng.id()),
                payload: rng.string(),
                seen: rng.bool(),
                time: rng.int64()
            )
            let bytes = message.jsonBytes()
            let decoded = try V1.Message(jsonBytes: bytes)
            #expect(decoded == message, "iteration \(iteration)")
            // An independent reader agrees on the payload and ids. (Foundation on Linux drops U+FEFF inside
            // strings, so the payload comparison leaves that scalar out.)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            if !message.payload.unicodeScalars.contains("\u{FEFF}") {
                #expect(object["payload"] as? String == message.payload, "iteration \(iteration)")
            }
            #expect(object["message_id"] as? String == String(message.messageID.rawValue))
        }
    }

    @Test("random inbound frames, optional members included, round-trip")
    func inboundFrames() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        for iteration in 0..<Self.iterations {
            let frame = V1.InboundFrame(
                event: V1.Event(rawValue: rng.int64()),
                userID: UserID(rng.id()),
                payload: rng.string(),
                messageID: rng.bool() ? MessageID(rng.id()) : nil,
                seen: rng.bool() ? rng.bool() : nil,
                time: rng.bool() ? rng.int64() : nil
            )
            #expect(try V1.InboundFrame(jsonBytes: frame.jsonBytes()) == frame, "iteration \(iteration)")
        }
    }

    @Test("random strings: escaped output has no raw controls, <, >, &, U+2028 or U+2029, and reads back exactly")
    func strings() throws {
        var rng = SplitMix64(seed: 0x5EED_0003)
        for iteration in 0..<Self.iterations {
            let text = rng.string(maxLength: 64)
            let body = V1.ErrorBody(msg: text)
            let bytes = body.jsonBytes()
            #expect(
                !bytes.contains {
                    $0 < 0x20 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&")
                }
            )
            let rendered = String(decoding: bytes, as: UTF8.self)
            #expect(!rendered.unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" })
            #expect(try V1.ErrorBody(jsonBytes: bytes).msg == text, "iteration \(iteration)")
            let payload = V1.FilePayload(fileName: text, objectKey: rng.bool() ? rng.string() : nil)
            #expect(try V1.FilePayload(payloadString: payload.payloadString()) == payload)
        }
    }

    @Test("random token claims round-trip, through JSON and through an unsigned JWT")
    func claims() throws {
        var rng = SplitMix64(seed: 0x5EED_0004)
        for iteration in 0..<Self.iterations {
            let isV2 = rng.bool()
            let claims = ChannelTokenClaims(
                channelID: ChannelID(rng.id()),
                expiresAt: rng.bool() ? rng.int64() : nil,
                issuedAt: isV2 ? rng.int64() : nil,
                subject: isV2 ? UserID(rng.id()) : nil,
                tokenID: isV2 ? rng.string() : nil
            )
            let payload = claims.jsonBytes()
            #expect(try ChannelTokenClaims(jsonBytes: payload) == claims, "iteration \(iteration)")
            let segment = Data(payload).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(try ChannelTokenClaims(unverifiedJWT: "eyJhbGciOiJIUzI1NiJ9.\(segment).sig") == claims)
        }
    }

    @Test("random v2 message pushes and history pages round-trip")
    func v2Messages() throws {
        var rng = SplitMix64(seed: 0x5EED_0005)
        func randomMessage() -> V2.ChatMessage {
            let content: V2.ChatMessage.Content?
            switch rng.next() % 3 {
            case 0: content = nil
            case 1: content = .text(rng.string())
            default:
                content = .file(
                    .init(fileName: rng.string(), objectKey: rng.string(), size: rng.id(), contentType: rng.string())
                )
            }
            return V2.ChatMessage(
                messageID: MessageID(rng.id()),
                seq: rng.id(),
                userID: UserID(rng.id()),
                content: content,
                time: rng.int64(),
                clientMessageID: rng.string(),
                seen: rng.bool()
            )
        }
        for iteration in 0..<Self.iterations {
            let frame = V2.ChatServerFrame(id: UInt32(truncatingIfNeeded: rng.next()), body: .message(randomMessage()))
            #expect(try V2.ChatServerFrame(jsonBytes: frame.jsonBytes()) == frame, "iteration \(iteration)")
            if iteration % 10 == 0 {
                let page = V2.HistoryPage(
                    messages: (0..<Int(rng.next() % 4)).map { _ in randomMessage() },
                    hasMore: rng.bool(),
                    epoch: rng.string(),
                    lastSeq: rng.id()
                )
                #expect(try V2.HistoryPage(jsonBytes: page.jsonBytes()) == page)
            }
        }
    }
}

/// Every decoder, type-erased: decodes or throws; any error other than ``WireError`` is a failure.
private let allDecoders: [(String, @Sendable ([UInt8]) throws -> Void)] = [
    ("V1.Message", { _ = try V1.Message(jsonBytes: $0) }),
    ("V1.InboundFrame", { _ = try V1.InboundFrame(jsonBytes: $0) }),
    ("V1.MatchResult", { _ = try V1.MatchResult(jsonBytes: $0) }),
    ("V1.FilePayload", { _ = try V1.FilePayload(jsonBytes: $0) }),
    ("V1.HistoryPage", { _ = try V1.HistoryPage(jsonBytes: $0) }),
    ("V1.CreateUserRequest", { _ = try V1.CreateUserRequest(jsonBytes: $0) }),
    ("V1.User", { _ = try V1.User(jsonBytes: $0) }),
    ("V1.UserIDList", { _ = try V1.UserIDList(jsonBytes: $0) }),
    ("V1.PresignedUpload", { _ = try V1.PresignedUpload(jsonBytes: $0) }),
    ("V1.PresignedDownload", { _ = try V1.PresignedDownload(jsonBytes: $0) }),
    ("V1.UploadedFiles", { _ = try V1.UploadedFiles(jsonBytes: $0) }),
    ("V1.ErrorBody", { _ = try V1.ErrorBody(jsonBytes: $0) }),
    ("ChannelTokenClaims", { _ = try ChannelTokenClaims(jsonBytes: $0) }),
    ("V2.ChatClientFrame", { _ = try V2.ChatClientFrame(jsonBytes: $0) }),
    ("V2.ChatServerFrame", { _ = try V2.ChatServerFrame(jsonBytes: $0) }),
    ("V2.MatchClientFrame", { _ = try V2.MatchClientFrame(jsonBytes: $0) }),
    ("V2.MatchServerFrame", { _ = try V2.MatchServerFrame(jsonBytes: $0) }),
    ("V2.HistoryPage", { _ = try V2.HistoryPage(jsonBytes: $0) }),
]

@Suite("JSON decoders never trap")
struct JSONDecoderRobustnessTests {
    private func check(_ bytes: [UInt8], _ context: String) {
        for (name, decode) in allDecoders {
            do {
                try decode(bytes)
            } catch let error as WireError {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(name) \(context): \(error)")
            } catch {
                Issue.record("\(name) \(context): non-WireError \(error)")
            }
        }
    }

    @Test("random byte strings either decode or throw a WireError with an in-range offset")
    func randomBytes() {
        var rng = SplitMix64(seed: 0x5EED_0006)
        let alphabet = Array(#"{}[]:,"\ -0123456789.eEtrufalsn"#.utf8) + [0x80, 0xC3, 0xE2, 0xF0, 0xFF, 0x00]
        for iteration in 0..<2000 {
            let count = Int(rng.next() % 48)
            let bytes = (0..<count).map { _ in
                rng.bool() ? alphabet[Int(rng.next() % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: rng.next())
            }
            check(bytes, "iteration \(iteration)")
        }
    }

    @Test("mutated fixtures (flipped, inserted, deleted, truncated bytes) either decode or throw a WireError")
    func mutatedFixtures() throws {
        var rng = SplitMix64(seed: 0x5EED_0007)
        var seeds: [[UInt8]] = []
        for version in ["v1", "v2"] {
            let url = try #require(Bundle.module.url(forResource: "Fixtures/json/\(version)", withExtension: nil))
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() {
                seeds.append(Array(try Data(contentsOf: url.appendingPathComponent(name))))
            }
        }
        for iteration in 0..<1500 {
            var bytes = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(rng.next() % 4)) where !bytes.isEmpty {
                let index = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[index] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: index)
                case 2: bytes.remove(at: index)
                default: bytes.removeSubrange(index...)
                }
            }
            check(bytes, "iteration \(iteration)")
        }
    }
}
