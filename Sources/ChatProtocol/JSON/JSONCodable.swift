/// A type with a hand-written JSON codec: it reads itself from a ``JSONScanner`` and writes itself to a
/// ``JSONWriter``.
///
/// The public entry points of each type (`init(jsonBytes:)`, `jsonBytes()`) go through ``decodeDocument(_:options:)``
/// and ``encodeDocument()``; nested values use the scanner and writer directly.
package protocol JSONCodable {
    /// Reads one value (an object, for every type here) from the scanner.
    /// - Parameter scanner: The scanner, positioned before the value.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    init(decodingJSON scanner: inout JSONScanner) throws(WireError)

    /// Writes the value.
    /// - Parameter writer: The writer.
    func encodeJSON(to writer: inout JSONWriter)

    /// The bytes ``encodeDocument()`` reserves up front: enough for the usual document, so that it is written with
    /// one allocation. Only a hint; the writer grows past it when needed.
    var jsonCapacityHint: Int { get }
}

extension JSONCodable {
    /// The writer's default: 128 bytes.
    package var jsonCapacityHint: Int { 128 }

    /// Decodes a whole document holding exactly one value (surrounding whitespace allowed).
    /// - Parameters:
    ///   - bytes: The document.
    ///   - options: The limits.
    /// - Returns: The decoded value.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package static func decodeDocument(_ bytes: [UInt8], options: JSONDecodingOptions) throws(WireError) -> Self {
        var scanner = try JSONScanner(bytes, options: options)
        let value = try Self(decodingJSON: &scanner)
        try scanner.finish()
        return value
    }

    /// Encodes the value as a compact document.
    /// - Returns: The UTF-8 JSON bytes, without a trailing newline.
    package func encodeDocument() -> [UInt8] {
        var writer = JSONWriter(capacity: self.jsonCapacityHint)
        self.encodeJSON(to: &writer)
        return writer.bytes
    }
}

extension JSONScanner {
    /// The error for a required member that the object just closed did not contain: ``WireError/Code/missingField``
    /// at the closing brace.
    package func missingField() -> WireError {
        WireError(.missingField, at: max(self.offset - 1, 0))
    }

    /// Reads an optional value: `null` becomes `nil` (Go leaves the field unset), anything else goes to `read`.
    /// - Parameter read: Reads the non-null value.
    /// - Returns: The value, or `nil` for `null`.
    /// - Throws: What `read` throws, or a ``WireError`` for malformed input.
    package mutating func readOptional<T>(
        _ read: (inout JSONScanner) throws(WireError) -> T
    ) throws(WireError) -> T? {
        if try self.readNull() { return nil }
        return try read(&self)
    }

    /// Reads an array whose elements `read` decodes.
    /// - Parameter read: Reads one element.
    /// - Returns: The elements.
    /// - Throws: What `read` throws, or a ``WireError`` for a malformed or too deeply nested array.
    package mutating func readArray<T>(
        _ read: (inout JSONScanner) throws(WireError) -> T
    ) throws(WireError) -> [T] {
        try self.beginArray()
        var elements: [T] = []
        while try self.nextElement() {
            elements.append(try read(&self))
        }
        return elements
    }
}
