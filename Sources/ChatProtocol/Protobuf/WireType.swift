/// The wire type of a protobuf field: how its value is laid out, and so how to skip it when it is unknown.
///
/// The group wire types (3 and 4) are deprecated and never used by our schemas; they, and the undefined types 6
/// and 7, are rejected by ``FieldTag``.
package enum WireType: UInt8, Sendable {
    /// A base-128 varint: `int32`, `int64`, `uint32`, `uint64`, `sint32`, `sint64`, `bool`, enums.
    case varint = 0
    /// Eight little-endian bytes: `fixed64`, `sfixed64`, `double`.
    case fixed64 = 1
    /// A varint length, then that many bytes: `string`, `bytes`, messages, packed repeated scalars.
    case lengthDelimited = 2
    /// Four little-endian bytes: `fixed32`, `sfixed32`, `float`.
    case fixed32 = 5
}
