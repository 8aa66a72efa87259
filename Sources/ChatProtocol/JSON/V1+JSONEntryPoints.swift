// The public JSON entry points of the v1 types and the token claims; their codecs are in V1+JSON.swift and
// ChannelTokenClaims+JSON.swift.

extension V1.Message {
    /// Decodes a chat event from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a chat event from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a chat event as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.InboundFrame {
    /// Decodes a client chat frame from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a client chat frame from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a client chat frame as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.MatchResult {
    /// Decodes a match frame from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a match frame from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a match frame as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.FilePayload {
    /// Decodes a file payload from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a file payload from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a file payload as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.HistoryPage {
    /// Decodes a history page from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a history page from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a history page as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.CreateUserRequest {
    /// Decodes a sign-up request body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a sign-up request body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a sign-up request body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.User {
    /// Decodes a user body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a user body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a user body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.UserIDList {
    /// Decodes a member list body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a member list body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a member list body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.PresignedUpload {
    /// Decodes a presigned upload body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a presigned upload body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a presigned upload body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.PresignedDownload {
    /// Decodes a presigned download body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes a presigned download body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes a presigned download body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.UploadedFiles {
    /// Decodes an upload answer body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes an upload answer body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes an upload answer body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension V1.ErrorBody {
    /// Decodes an error body from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes an error body from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes an error body as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}

extension ChannelTokenClaims {
    /// Decodes the JSON payload of a channel token from JSON.
    /// - Parameter jsonBytes: The UTF-8 JSON document.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    public init(jsonBytes: [UInt8]) throws {
        self = try Self.decodeDocument(jsonBytes, options: JSONDecodingOptions())
    }

    /// Decodes the JSON payload of a channel token from JSON with explicit limits.
    /// - Parameters:
    ///   - jsonBytes: The UTF-8 JSON document.
    ///   - options: The depth and size limits.
    /// - Throws: A ``WireError`` naming the malformation and its byte offset.
    package init(jsonBytes: [UInt8], options: JSONDecodingOptions) throws(WireError) {
        self = try Self.decodeDocument(jsonBytes, options: options)
    }

    /// Encodes the JSON payload of a channel token as compact JSON, byte for byte as the Go server renders it.
    /// - Returns: The UTF-8 JSON document, without a trailing newline.
    public func jsonBytes() -> [UInt8] { self.encodeDocument() }
}
