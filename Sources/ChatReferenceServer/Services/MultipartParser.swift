import Foundation
import NIOCore

/// An incremental `multipart/form-data` parser (RFC 7578 / RFC 2046 §5.1): feed it the body in chunks of any size,
/// get events back.
///
/// Memory stays bounded whatever the body: part headers are buffered up to ``maxHeaderBytes`` (past it,
/// ``ParseError/headersTooLarge``), and part content is handed out as it arrives, keeping back only the few bytes
/// (at most the delimiter's length plus two) that might begin a boundary split across chunks. The preamble before
/// the first boundary and the epilogue after the closing one are discarded, as RFC 2046 asks.
///
/// Like Go's `mime/multipart`, a delimiter inside content that is not followed by `--`, white space or a line
/// break is content, not a boundary.
struct MultipartParser {
    /// What a chunk produced, in body order.
    enum Event: Equatable {
        /// A part starts; its headers.
        case partHeaders(PartHeaders)
        /// Some of the current part's content.
        case bodyChunk(ByteBuffer)
        /// The current part's content is complete.
        case partEnd
        /// The closing boundary: the body is complete; anything fed later is ignored.
        case end
    }

    /// Why a body is not acceptable.
    enum ParseError: Error, Equatable {
        /// Not `multipart/form-data` syntax (bad boundary line, header line without a colon, …).
        case malformed
        /// A part's header block is longer than ``maxHeaderBytes``.
        case headersTooLarge
        /// The body ended before the closing boundary.
        case truncated
    }

    /// A part's header fields, in order, names as sent.
    struct PartHeaders: Equatable {
        struct Field: Equatable {
            var name: String
            var value: String
        }

        var fields: [Field] = []

        /// The first value of a header, by case-insensitive name.
        subscript(name: String) -> String? {
            self.fields.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// The `name` parameter of `Content-Disposition`.
        var name: String? { self["content-disposition"].flatMap { MultipartParser.parameter("name", in: $0) } }

        /// The `filename` parameter of `Content-Disposition`.
        var fileName: String? {
            self["content-disposition"].flatMap { MultipartParser.parameter("filename", in: $0) }
        }
    }

    private enum State {
        case preamble
        case afterDelimiter
        case headers
        case body
        case epilogue
    }

    /// The longest header block accepted per part.
    let maxHeaderBytes: Int
    /// `CRLF--boundary`.
    private let delimiter: [UInt8]
    private var state = State.preamble
    /// Unconsumed bytes; `buffer[start...]` is live.
    private var buffer: [UInt8]
    private var start = 0

    /// - Parameters:
    ///   - boundary: The `boundary` parameter of the content type.
    ///   - maxHeaderBytes: The longest header block accepted per part.
    init(boundary: String, maxHeaderBytes: Int = 16 * 1024) {
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxHeaderBytes = maxHeaderBytes
        // A virtual line break, so a body that opens with `--boundary` (no preamble) matches the delimiter.
        self.buffer = [13, 10]
    }

    /// Whether the closing boundary has been seen.
    var isComplete: Bool {
        if case .epilogue = self.state { return true }
        return false
    }

    /// Parses one more chunk.
    mutating func feed(_ chunk: ByteBuffer) throws(ParseError) -> [Event] {
        try self.feed(chunk.readableBytesView)
    }

    /// Parses one more chunk.
    mutating func feed(_ chunk: some Collection<UInt8>) throws(ParseError) -> [Event] {
        if self.isComplete { return [] }
        self.buffer.append(contentsOf: chunk)
        var events: [Event] = []
        while try self.step(&events) {}
        // Compact: drop what has been consumed.
        if self.start > 0 {
            self.buffer.removeSubrange(0..<self.start)
            self.start = 0
        }
        return events
    }

    /// Declares the end of the body; throws ``ParseError/truncated`` when the closing boundary was not seen.
    func finish() throws(ParseError) {
        guard self.isComplete else { throw .truncated }
    }

    /// Makes progress on the buffered bytes; `false` when more input is needed.
    private mutating func step(_ events: inout [Event]) throws(ParseError) -> Bool {
        switch self.state {
        case .preamble:
            guard let found = self.find(from: self.start) else {
                // Keep only what might be the start of the delimiter.
                self.start = self.buffer.count - self.partialDelimiterLength()
                return false
            }
            self.start = found + self.delimiter.count
            self.state = .afterDelimiter
            return true
        case .afterDelimiter:
            return try self.stepAfterDelimiter(&events)
        case .headers:
            return try self.stepHeaders(&events)
        case .body:
            return self.stepBody(&events)
        case .epilogue:
            self.start = self.buffer.count
            return false
        }
    }

    /// After `CRLF--boundary`: `--` closes the body; otherwise optional white space and a line break open a part.
    private mutating func stepAfterDelimiter(_ events: inout [Event]) throws(ParseError) -> Bool {
        var index = self.start
        guard index < self.buffer.count else { return false }
        if self.buffer[index] == UInt8(ascii: "-") {
            guard index + 1 < self.buffer.count else { return false }
            guard self.buffer[index + 1] == UInt8(ascii: "-") else { throw .malformed }
            events.append(.end)
            self.state = .epilogue
            self.start = self.buffer.count
            return false
        }
        while index < self.buffer.count, self.buffer[index] == 32 || self.buffer[index] == 9 { index += 1 }
        guard index - self.start <= self.maxHeaderBytes else { throw .malformed }
        guard index < self.buffer.count else { return false }
        guard self.buffer[index] == 13 else { throw .malformed }
        guard index + 1 < self.buffer.count else { return false }
        guard self.buffer[index + 1] == 10 else { throw .malformed }
        self.start = index + 2
        self.state = .headers
        return true
    }

    private mutating func stepHeaders(_ events: inout [Event]) throws(ParseError) -> Bool {
        let available = self.buffer.count - self.start
        if available >= 2, self.buffer[self.start] == 13, self.buffer[self.start + 1] == 10 {
            // No header fields at all.
            events.append(.partHeaders(PartHeaders()))
            self.start += 2
            self.state = .body
            return true
        }
        guard let end = Self.find([13, 10, 13, 10], in: self.buffer, from: self.start) else {
            // The terminator may still be on its way; its first three bytes may already be here.
            guard available <= self.maxHeaderBytes + 3 else { throw .headersTooLarge }
            return false
        }
        guard end - self.start <= self.maxHeaderBytes else { throw .headersTooLarge }
        events.append(.partHeaders(try Self.parseHeaders(self.buffer[self.start..<end])))
        self.start = end + 4
        self.state = .body
        return true
    }

    private mutating func stepBody(_ events: inout [Event]) -> Bool {
        var searchFrom = self.start
        while let found = self.find(from: searchFrom) {
            let after = found + self.delimiter.count
            // Is this a boundary? It must be followed by `--`, white space or a line break.
            guard after < self.buffer.count else { return self.emit(upTo: found, &events) }
            let next = self.buffer[after]
            var isBoundary = next == 32 || next == 9 || next == 13 || next == 10
            if next == UInt8(ascii: "-") {
                guard after + 1 < self.buffer.count else { return self.emit(upTo: found, &events) }
                isBoundary = self.buffer[after + 1] == UInt8(ascii: "-")
            }
            if isBoundary {
                _ = self.emit(upTo: found, &events)
                events.append(.partEnd)
                self.start = after
                self.state = .afterDelimiter
                return true
            }
            searchFrom = found + 1
        }
        return self.emit(upTo: self.buffer.count - self.partialDelimiterLength(), &events)
    }

    /// Hands out `buffer[start..<end]` as content; always `false` (more input needed).
    private mutating func emit(upTo end: Int, _ events: inout [Event]) -> Bool {
        if end > self.start {
            events.append(.bodyChunk(ByteBuffer(bytes: self.buffer[self.start..<end])))
            self.start = end
        }
        return false
    }

    private func find(from index: Int) -> Int? {
        Self.find(self.delimiter, in: self.buffer, from: index)
    }

    /// The length of the longest live suffix of the buffer that is a proper prefix of the delimiter.
    private func partialDelimiterLength() -> Int {
        let live = self.buffer.count - self.start
        var length = min(live, self.delimiter.count - 1)
        while length > 0 {
            if self.buffer[(self.buffer.count - length)...].elementsEqual(self.delimiter[..<length]) { return length }
            length -= 1
        }
        return 0
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from index: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var position = index
        while position <= haystack.count - needle.count {
            guard let candidate = haystack[position...(haystack.count - needle.count)].firstIndex(of: first) else {
                return nil
            }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) { return candidate }
            position = candidate + 1
        }
        return nil
    }

    /// `Name: value` lines separated by CRLF; lines starting with white space continue the previous value.
    private static func parseHeaders(_ block: ArraySlice<UInt8>) throws(ParseError) -> PartHeaders {
        var headers = PartHeaders()
        let text = String(decoding: block, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") {
            if line.first == " " || line.first == "\t" {
                guard !headers.fields.isEmpty else { throw .malformed }
                headers.fields[headers.fields.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .malformed }
            headers.fields.append(
                .init(
                    name: String(line[..<colon]),
                    value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                )
            )
        }
        return headers
    }

    // MARK: Header parameters

    /// The `boundary` parameter of a `multipart/form-data` content type (1 to 70 characters, RFC 2046).
    static func boundary(of contentType: String) -> String? {
        let lower = contentType.trimmingCharacters(in: .whitespaces).lowercased()
        guard lower.hasPrefix("multipart/form-data"),
            let boundary = Self.parameter("boundary", in: contentType), (1...70).contains(boundary.utf8.count)
        else { return nil }
        return boundary
    }

    /// A `;`-separated parameter of a header value, by case-insensitive name; quoted values are unquoted
    /// (`\"` and `\\` escapes included) and may contain `;`.
    static func parameter(_ name: String, in value: String) -> String? {
        var parameters: [(String, String)] = []
        var scalars = Substring(value).unicodeScalars[...]
        // Skip the leading token (the type, or `form-data`).
        while let first = scalars.first, first != ";" { scalars.removeFirst() }
        while !scalars.isEmpty {
            scalars.removeFirst()  // ";"
            var key = ""
            while let first = scalars.first, first != "=", first != ";" {
                key.unicodeScalars.append(scalars.removeFirst())
            }
            var parameterValue = ""
            if scalars.first == "=" {
                scalars.removeFirst()
                while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
                if scalars.first == "\"" {
                    scalars.removeFirst()
                    while let first = scalars.first, first != "\"" {
                        scalars.removeFirst()
                        if first == "\\", let escaped = scalars.first {
                            scalars.removeFirst()
                            parameterValue.unicodeScalars.append(escaped)
                        } else {
                            parameterValue.unicodeScalars.append(first)
                        }
                    }
                    // The closing quote and anything up to the next parameter.
                    while let first = scalars.first, first != ";" { scalars.removeFirst() }
                } else {
                    while let first = scalars.first, first != ";" {
                        parameterValue.unicodeScalars.append(scalars.removeFirst())
                    }
                    parameterValue = parameterValue.trimmingCharacters(in: .whitespaces)
                }
            }
            parameters.append((key.trimmingCharacters(in: .whitespaces).lowercased(), parameterValue))
        }
        return parameters.first { $0.0 == name.lowercased() }?.1
    }
}

/// Pulls ``MultipartParser`` events out of a streamed body (an `AsyncSequence` of `ByteBuffer`s, such as a
/// request body), counting the bytes read against a cap.
///
/// A reference type so that ``PartContent``, the content of one part, can be handed to a consumer (the object
/// store's writer) and the reader resumed after it.
final class MultipartReader<Body: AsyncSequence> where Body.Element == ByteBuffer {
    /// The body is longer than the cap.
    struct TooLarge: Error {}

    private var iterator: Body.AsyncIterator
    private var parser: MultipartParser
    private var pending: [MultipartParser.Event] = []
    private var pendingIndex = 0
    private var received = 0
    private var exhausted = false
    private let maxBytes: Int

    /// - Parameters:
    ///   - body: The body.
    ///   - boundary: The boundary from the content type.
    ///   - maxBytes: The most body bytes read; past it ``TooLarge`` is thrown.
    ///   - maxHeaderBytes: The longest header block per part.
    init(body: Body, boundary: String, maxBytes: Int, maxHeaderBytes: Int = 16 * 1024) {
        self.iterator = body.makeAsyncIterator()
        self.parser = MultipartParser(boundary: boundary, maxHeaderBytes: maxHeaderBytes)
        self.maxBytes = maxBytes
    }

    /// The next event, or `nil` after ``MultipartParser/Event/end``. Throws ``TooLarge``,
    /// ``MultipartParser/ParseError`` or the body's error.
    func next() async throws -> MultipartParser.Event? {
        while self.pendingIndex == self.pending.count {
            guard !self.exhausted, !self.parser.isComplete else { return nil }
            if let chunk = try await self.iterator.next(isolation: #isolation) {
                self.received += chunk.readableBytes
                guard self.received <= self.maxBytes else { throw TooLarge() }
                self.pending = try self.parser.feed(chunk)
            } else {
                self.exhausted = true
                self.pending = []
                try self.parser.finish()
            }
            self.pendingIndex = 0
        }
        defer { self.pendingIndex += 1 }
        return self.pending[self.pendingIndex]
    }

    /// The content of the current part, up to its end; call right after its ``MultipartParser/Event/partHeaders(_:)``.
    var content: PartContent { PartContent(reader: self) }

    /// Reads and discards the rest of the current part.
    func skipPart() async throws {
        for try await _ in self.content {}
    }

    /// The content of one part as an `AsyncSequence`; it ends at the part's ``MultipartParser/Event/partEnd``.
    struct PartContent: AsyncSequence {
        typealias Element = ByteBuffer
        let reader: MultipartReader

        func makeAsyncIterator() -> Iterator { Iterator(reader: self.reader) }

        struct Iterator: AsyncIteratorProtocol {
            let reader: MultipartReader
            var done = false

            mutating func next() async throws -> ByteBuffer? {
                guard !self.done else { return nil }
                switch try await self.reader.next() {
                case .bodyChunk(let chunk):
                    return chunk
                case .partEnd:
                    self.done = true
                    return nil
                case .partHeaders, .end, nil:
                    throw MultipartParser.ParseError.malformed
                }
            }
        }
    }
}
