/// Limits applied while decoding untrusted protobuf input.
///
/// Every limit has a bounded default, so a decoder given hostile bytes fails with a ``WireError`` instead of
/// allocating or recursing without bound.
public struct DecodingOptions: Hashable, Sendable {
    /// The largest input accepted, in bytes (default 4 MiB); larger inputs fail with `.messageTooLarge`.
    public var maxMessageBytes: Int
    /// The largest length-delimited field (string, bytes, nested message, packed run, or skipped unknown field),
    /// in bytes (default 1 MiB). Larger lengths, and any length of 2^31 or more whatever this says, fail with
    /// `.fieldTooLarge`.
    public var maxFieldBytes: Int
    /// How deeply messages may nest inside the top-level message (default 16); deeper fails with `.depthLimit`.
    public var maxDepth: Int

    /// Creates options; each argument sets the property of the same name.
    public init(maxMessageBytes: Int = 4 << 20, maxFieldBytes: Int = 1 << 20, maxDepth: Int = 16) {
        self.maxMessageBytes = maxMessageBytes
        self.maxFieldBytes = maxFieldBytes
        self.maxDepth = maxDepth
    }
}
