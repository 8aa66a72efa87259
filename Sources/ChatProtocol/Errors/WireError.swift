/// A decoding failure with the byte offset where it was detected.
///
/// Every malformed input to the protobuf and JSON decoders becomes one of these; the decoders never trap, hang
/// or allocate without bound. The SDK wraps it as `ChatError(code: .protocolViolation, cause: wireError)`.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of malformation.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        package enum Wrapped: String, Sendable, CaseIterable {
            case truncated
            case malformedVarint
            case invalidTag
            case invalidWireType
            case fieldTooLarge
            case messageTooLarge
            case invalidUTF8
            case depthLimit
            case invalidValue
            case missingField
            case malformedJSON
            case invalidNumber
            case trailingData
        }

        package let wrapped: Wrapped

        package init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The name of the code.
        public var description: String { self.wrapped.rawValue }

        /// The input ended in the middle of a value (a varint, a length-delimited field, a JSON token).
        public static var truncated: Self { Self(.truncated) }
        /// A varint ran past 10 bytes, or its tenth byte carried more than one bit.
        public static var malformedVarint: Self { Self(.malformedVarint) }
        /// A protobuf tag had field number 0 or above 2^29 − 1.
        public static var invalidTag: Self { Self(.invalidTag) }
        /// A protobuf tag used a wire type that does not exist (3, 4 — groups —, 6 or 7) or that does not match
        /// the field's declared type.
        public static var invalidWireType: Self { Self(.invalidWireType) }
        /// A length-delimited field was longer than the configured limit (or ≥ 2^31).
        public static var fieldTooLarge: Self { Self(.fieldTooLarge) }
        /// The whole input was larger than the configured message size limit.
        public static var messageTooLarge: Self { Self(.messageTooLarge) }
        /// A string field was not valid UTF-8.
        public static var invalidUTF8: Self { Self(.invalidUTF8) }
        /// Nesting went deeper than the configured depth limit.
        public static var depthLimit: Self { Self(.depthLimit) }
        /// A value was well-formed but not allowed here (an unknown enum in a closed set, an id of 0 where one
        /// is required, a string where a number belongs).
        public static var invalidValue: Self { Self(.invalidValue) }
        /// A field the message requires was absent.
        public static var missingField: Self { Self(.missingField) }
        /// The bytes are not JSON.
        public static var malformedJSON: Self { Self(.malformedJSON) }
        /// A JSON number or decimal id was malformed: a leading zero, a sign, a fraction where an integer
        /// belongs, or a value that overflows its type.
        public static var invalidNumber: Self { Self(.invalidNumber) }
        /// Bytes followed the end of the value.
        public static var trailingData: Self { Self(.trailingData) }
    }

    /// The kind of malformation.
    public var code: Code
    /// The byte offset in the input where the problem was detected.
    public var offset: Int

    /// Creates a decoding error.
    /// - Parameters:
    ///   - code: The kind of malformation.
    ///   - offset: The byte offset where it was detected.
    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    /// `code at offset N`.
    public var description: String { "\(self.code) at offset \(self.offset)" }
}
