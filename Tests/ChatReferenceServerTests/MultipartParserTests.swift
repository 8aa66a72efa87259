import Foundation
import NIOCore
import Testing

@testable import ChatReferenceServer

/// The streaming `multipart/form-data` parser, fed without sockets.
@Suite("Streaming multipart parser")
struct MultipartParserTests {
    /// A part as the tests compare it: headers and the whole content.
    struct Part: Equatable {
        var headers: MultipartParser.PartHeaders
        var content: [UInt8]
    }

    /// Feeds `body` in the given chunk lengths (the rest in one last chunk); checks the event grammar and returns
    /// the parts, or the error.
    static func parse(
        _ body: [UInt8],
        boundary: String = "XyZ",
        chunks lengths: [Int],
        maxHeaderBytes: Int = 16 * 1024
    ) -> Result<[Part], MultipartParser.ParseError> {
        var parser = MultipartParser(boundary: boundary, maxHeaderBytes: maxHeaderBytes)
        var parts: [Part] = []
        var inPart = false
        var ended = false
        var offset = 0
        var lengths = lengths[...]
        do {
            while offset < body.count {
                let length = min(lengths.popFirst() ?? body.count, body.count - offset)
                for event in try parser.feed(body[offset..<(offset + length)]) {
                    #expect(!ended, "event after end")
                    switch event {
                    case .partHeaders(let headers):
                        #expect(!inPart)
                        inPart = true
                        parts.append(Part(headers: headers, content: []))
                    case .bodyChunk(let chunk):
                        #expect(inPart && chunk.readableBytes > 0)
                        parts[parts.count - 1].content += Array(buffer: chunk)
                    case .partEnd:
                        #expect(inPart)
                        inPart = false
                    case .end:
                        #expect(!inPart)
                        ended = true
                    }
                }
                offset += length
            }
            try parser.finish()
            #expect(ended)
            return .success(parts)
        } catch {
            return .failure(error)
        }
    }

    /// The same body in chunks of 1, 2, 3 and 7 bytes, in one chunk, and split in two at every position.
    static func everyChunking(_ body: [UInt8], boundary: String = "XyZ") -> [Result<[Part], MultipartParser.ParseError>]
    {
        var results = [1, 2, 3, 7].map {
            parse(body, boundary: boundary, chunks: Array(repeating: $0, count: body.count))
        }
        results.append(parse(body, boundary: boundary, chunks: [body.count]))
        for split in 0...body.count { results.append(parse(body, boundary: boundary, chunks: [split])) }
        return results
    }

    static func disposition(_ name: String, file: String? = nil) -> MultipartParser.PartHeaders.Field {
        .init(
            name: "Content-Disposition",
            value: "form-data; name=\"\(name)\"" + (file.map { "; filename=\"\($0)\"" } ?? "")
        )
    }

    static let mixedBody = Array(
        ("preamble, ignored\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nplain field\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n"
            + "\r\n--XyZx not a boundary\r\n--Xy\r\n--XyZ-x\r\r\n-\r\n--\r"
            + "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"empty.bin\"\r\n\r\n"
            + "\r\n--XyZ--\r\nepilogue, ignored \r\n--XyZ\r\n").utf8
    )

    static let mixedParts = [
        Part(headers: .init(fields: [disposition("note")]), content: Array("plain field".utf8)),
        Part(
            headers: .init(fields: [
                disposition("files", file: "a.txt"), .init(name: "Content-Type", value: "text/plain"),
            ]),
            content: Array("\r\n--XyZx not a boundary\r\n--Xy\r\n--XyZ-x\r\r\n-\r\n--\r".utf8)
        ),
        Part(headers: .init(fields: [disposition("files", file: "empty.bin")]), content: []),
    ]

    @Test("Every chunking of a body gives the same parts, boundaries split anywhere")
    func chunkings() throws {
        for result in Self.everyChunking(Self.mixedBody) {
            #expect(try result.get() == Self.mixedParts)
        }
        #expect(Self.mixedParts[1].headers.fileName == "a.txt" && Self.mixedParts[0].headers.name == "note")
    }

    @Test("CRLF edge cases: content of line breaks, no headers, transport padding, no preamble")
    func lineBreaks() throws {
        let body = Array(
            ("--XyZ \t\r\n\r\n\r\n"  // padding after the boundary, a part without headers whose content is CRLF
                + "\r\n--XyZ\r\nA: 1\r\n folded\r\n\r\n\r\n\r\n"  // a folded header; content CRLF CRLF
                + "\r\n--XyZ\r\nB:2\r\n\r\n\r"  // content is a lone CR
                + "\r\n--XyZ--"  // closing boundary at the very end, no trailing CRLF
                ).utf8
        )
        let expected = [
            Part(headers: .init(), content: [13, 10]),
            Part(headers: .init(fields: [.init(name: "A", value: "1 folded")]), content: [13, 10, 13, 10]),
            Part(headers: .init(fields: [.init(name: "B", value: "2")]), content: [13]),
        ]
        for result in Self.everyChunking(body) {
            #expect(try result.get() == expected)
        }
    }

    @Test("Content that looks like a partial boundary stays content")
    func partialBoundaryLookalikes() throws {
        let content = "--XyZ\r\n--X\r\n\r\n--XyZZ\r\n-XyZ\r\n--XyZ-\r\n--XyZ-"
        // `CRLF--XyZ\t` is a real boundary (white space may follow a delimiter), so the part stops before it.
        let body = Array(
            ("--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"t\"\r\n\r\n" + content
                + "\r\n--XyZ\t\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n--XyZ--\r\n").utf8
        )
        for result in Self.everyChunking(body) {
            let parts = try result.get()
            #expect(parts.count == 2)
            #expect(parts.first?.content == Array(content.utf8))
            #expect(parts.last?.content == Array("v".utf8))
        }
    }

    @Test(
        "Malformed bodies are refused",
        arguments: [
            ("", MultipartParser.ParseError.truncated),
            ("no boundary at all", .truncated),
            ("--XyZ\r\nA: 1\r\n\r\ncontent without the closing boundary", .truncated),
            ("--XyZ\r\nA: 1\r\n\r\ncontent\r\n--XyZ\r\n", .truncated),
            ("--XyZ\r\nA: 1\r\n", .truncated),
            ("--XyZ?\r\nA: 1\r\n\r\n\r\n--XyZ--", .malformed),
            ("--XyZ\rA: 1\r\n\r\n\r\n--XyZ--", .malformed),
            ("--XyZ-x\r\n", .malformed),
            ("--XyZ\r\nno colon\r\n\r\n\r\n--XyZ--", .malformed),
            ("--XyZ\r\n: empty name\r\n\r\n\r\n--XyZ--", .malformed),
        ]
    )
    func malformed(body: String, error: MultipartParser.ParseError) {
        for result in Self.everyChunking(Array(body.utf8)) {
            #expect(throws: error) { try result.get() }
        }
    }

    @Test("Part headers are bounded")
    func headerLimit() throws {
        let header = "X: " + String(repeating: "a", count: 100)
        let body = Array("--XyZ\r\n\(header)\r\n\r\n\r\n--XyZ--\r\n".utf8)
        #expect(try Self.parse(body, chunks: [1], maxHeaderBytes: header.utf8.count).get().count == 1)
        for chunks in [[1], [body.count], [20]] {
            #expect(throws: MultipartParser.ParseError.headersTooLarge) {
                try Self.parse(body, chunks: chunks, maxHeaderBytes: header.utf8.count - 1).get()
            }
        }
        // A header block that never ends is refused once past the limit, not buffered.
        var parser = MultipartParser(boundary: "XyZ", maxHeaderBytes: 64)
        _ = try parser.feed(Array("--XyZ\r\n".utf8))
        #expect(throws: MultipartParser.ParseError.headersTooLarge) {
            for _ in 0..<10 { _ = try parser.feed(Array(repeating: UInt8(ascii: "a"), count: 16)) }
        }
    }

    @Test("Content is handed out as it arrives; only a delimiter's length is held back")
    func streaming() throws {
        var parser = MultipartParser(boundary: "XyZ")
        _ = try parser.feed(Array("--XyZ\r\nA: 1\r\n\r\n".utf8))
        var handedOut = 0
        for _ in 0..<100 {
            for case .bodyChunk(let chunk) in try parser.feed(Array(repeating: UInt8(ascii: "\r"), count: 1000)) {
                handedOut += chunk.readableBytes
            }
        }
        #expect(handedOut == 100_000 - 1)  // the last CR might start `CRLF--XyZ`
        #expect(try parser.feed(Array("\n--XyZ--".utf8)).suffix(2) == [.partEnd, .end])
        #expect(try parser.feed([1, 2, 3]).isEmpty)
        try parser.finish()
    }

    @Test("Boundary and parameter parsing")
    func parameters() {
        #expect(MultipartParser.boundary(of: "multipart/form-data; boundary=XyZ") == "XyZ")
        #expect(MultipartParser.boundary(of: "Multipart/Form-Data;BOUNDARY=\"a b;c\"; charset=utf-8") == "a b;c")
        #expect(MultipartParser.boundary(of: "multipart/form-data") == nil)
        #expect(MultipartParser.boundary(of: "multipart/form-data; boundary=") == nil)
        #expect(MultipartParser.boundary(of: "text/plain; boundary=XyZ") == nil)
        #expect(
            MultipartParser.boundary(of: "multipart/form-data; boundary=\(String(repeating: "b", count: 71))") == nil
        )
        let disposition = #"form-data; name="files"; filename="we\"ird; name.txt""#
        #expect(MultipartParser.parameter("filename", in: disposition) == #"we"ird; name.txt"#)
        #expect(MultipartParser.parameter("name", in: disposition) == "files")
        #expect(MultipartParser.parameter("NAME", in: "form-data; Name=plain ") == "plain")
        #expect(MultipartParser.parameter("filename", in: "form-data; name=x") == nil)
    }

    @Test("The reader caps the bytes read and splits the body into parts")
    func reader() async throws {
        let chunks = stride(from: 0, to: Self.mixedBody.count, by: 5).map {
            ByteBuffer(bytes: Self.mixedBody[$0..<min($0 + 5, Self.mixedBody.count)])
        }
        let reader = MultipartReader(
            body: chunks.asyncChunks,
            boundary: "XyZ",
            maxBytes: Self.mixedBody.count
        )
        var parts: [Part] = []
        while let event = try await reader.next() {
            guard case .partHeaders(let headers) = event else { continue }
            var content: [UInt8] = []
            for try await chunk in reader.content { content += Array(buffer: chunk) }
            parts.append(Part(headers: headers, content: content))
        }
        #expect(parts == Self.mixedParts)

        let capped = MultipartReader(body: chunks.asyncChunks, boundary: "XyZ", maxBytes: 100)
        await #expect(throws: MultipartReader<AsyncChunks>.TooLarge.self) {
            while try await capped.next() != nil {}
        }
    }
}

/// An array of buffers as an `AsyncSequence`.
struct AsyncChunks: AsyncSequence {
    typealias Element = ByteBuffer
    var chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { self.remaining.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: self.chunks[...]) }
}

extension Array where Element == ByteBuffer {
    var asyncChunks: AsyncChunks { AsyncChunks(chunks: self) }
}
