// The public JSON entry points of the v2 envelopes and history page; their codecs are in V2+JSON.swift.

extension V2.ChatClientFrame {
    /// Decodes a chat client frame (`rc.v2.json`) from proto3 JSON (snake_case names, 64-bit integers as strings).
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a chat client frame (`rc.v2.json`) from proto3 JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a chat client frame (`rc.v2.json`) as compact proto3 JSON: fields in field-number order, defaults omitted.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V2.ChatServerFrame {
    /// Decodes a chat server frame (`rc.v2.json`) from proto3 JSON (snake_case names, 64-bit integers as strings).
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a chat server frame (`rc.v2.json`) from proto3 JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a chat server frame (`rc.v2.json`) as compact proto3 JSON: fields in field-number order, defaults omitted.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V2.MatchClientFrame {
    /// Decodes a match client frame (`rc.v2.json`) from proto3 JSON (snake_case names, 64-bit integers as strings).
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a match client frame (`rc.v2.json`) from proto3 JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a match client frame (`rc.v2.json`) as compact proto3 JSON: fields in field-number order, defaults omitted.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V2.MatchServerFrame {
    /// Decodes a match server frame (`rc.v2.json`) from proto3 JSON (snake_case names, 64-bit integers as strings).
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a match server frame (`rc.v2.json`) from proto3 JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a match server frame (`rc.v2.json`) as compact proto3 JSON: fields in field-number order, defaults omitted.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V2.HistoryPage {
    /// Decodes a v2 history page from proto3 JSON (snake_case names, 64-bit integers as strings).
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a v2 history page from proto3 JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a v2 history page as compact proto3 JSON: fields in field-number order, defaults omitted.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}
