/// The messages of protocol v2, one value type per message of `proto/randomchat/v2/*.proto`.
///
/// The types mirror the schema field for field: 64-bit ids are ``UserID``, ``ChannelID`` and ``MessageID``;
/// sequence numbers, ticket and match ids are `UInt64`; times are `Int64` Unix milliseconds; message-typed
/// fields are optionals (absent ≠ empty); a `oneof` is an optional Swift enum; proto3 enums are open structs
/// that keep numbers this version does not know. Swift names are the proto names in lowerCamelCase, with `ID`
/// for `_id` and two readability exceptions noted on the property (`Error.message` is `msg`,
/// `clientMessageID` is `client_msg_id`).
public enum V2 {}
