// libFuzzer entry point for the JSON decoders, built by Fuzz/run.sh (swiftc with `-sanitize=fuzzer,address`).
//
// Every input is decoded as each v1 body/frame, the token claims and each v2 envelope. A decoder may throw a
// WireError; it must never trap. When a decode succeeds, the value is re-encoded and decoded again, and both the
// value and the re-encoded bytes must be stable, otherwise the fuzzer stops with `fatalError`. The fast paths of
// V1.Message and V1.InboundFrame (members in their producers' order) must also agree with the general loop.

import ChatProtocol

private protocol FuzzJSONCodable: JSONCodable, Equatable {
    init(jsonBytes: [UInt8]) throws
    func jsonBytes() -> [UInt8]
}

extension V1.Message: FuzzJSONCodable {}
extension V1.InboundFrame: FuzzJSONCodable {}
extension V1.MatchResult: FuzzJSONCodable {}
extension V1.FilePayload: FuzzJSONCodable {}
extension V1.HistoryPage: FuzzJSONCodable {}
extension V1.CreateUserRequest: FuzzJSONCodable {}
extension V1.User: FuzzJSONCodable {}
extension V1.UserIDList: FuzzJSONCodable {}
extension V1.PresignedUpload: FuzzJSONCodable {}
extension V1.PresignedDownload: FuzzJSONCodable {}
extension V1.UploadedFiles: FuzzJSONCodable {}
extension V1.ErrorBody: FuzzJSONCodable {}
extension ChannelTokenClaims: FuzzJSONCodable {}
extension V2.ChatClientFrame: FuzzJSONCodable {}
extension V2.ChatServerFrame: FuzzJSONCodable {}
extension V2.MatchClientFrame: FuzzJSONCodable {}
extension V2.MatchServerFrame: FuzzJSONCodable {}
extension V2.HistoryPage: FuzzJSONCodable {}

private func roundTrip<T: FuzzJSONCodable>(_: T.Type, _ bytes: [UInt8]) {
    let value: T
    do {
        value = try T(jsonBytes: bytes)
    } catch is WireError {
        return
    } catch {
        fatalError("\(T.self): decoding threw a non-WireError: \(error)")
    }
    let encoded = value.jsonBytes()
    let again: T
    do {
        again = try T(jsonBytes: encoded)
    } catch {
        fatalError("\(T.self): re-encoded bytes do not decode: \(error)\n\(String(decoding: encoded, as: UTF8.self))")
    }
    guard again == value else {
        fatalError("\(T.self): round trip changed the value\n\(value)\n\(again)")
    }
    guard again.jsonBytes() == encoded else {
        fatalError("\(T.self): encoding is not stable\n\(String(decoding: encoded, as: UTF8.self))")
    }
}

/// V1.Message and V1.InboundFrame first try the members in the order their producers write them, with literal key
/// checks; a space after the opening brace sends the same document through the general loop. Both must give the
/// same value, or the same error at the same offset (the space moves later offsets by one).
private func fastPathAgreesWithGeneralLoop<T: FuzzJSONCodable>(_: T.Type, _ bytes: [UInt8]) {
    guard bytes.first == UInt8(ascii: "{") else { return }
    let spaced = [bytes[0], UInt8(ascii: " ")] + bytes[1...]
    let fast = Result { () throws(WireError) -> T in try T.decodeDocument(bytes, options: JSONDecodingOptions()) }
    let general = Result { () throws(WireError) -> T in
        try T.decodeDocument(spaced, options: JSONDecodingOptions())
    }.mapError { WireError($0.code, at: $0.offset >= 1 ? $0.offset - 1 : $0.offset) }
    guard fast == general else {
        fatalError("\(T.self): fast path \(fast) but general loop \(general)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    roundTrip(V1.Message.self, bytes)
    fastPathAgreesWithGeneralLoop(V1.Message.self, bytes)
    fastPathAgreesWithGeneralLoop(V1.InboundFrame.self, bytes)
    roundTrip(V1.InboundFrame.self, bytes)
    roundTrip(V1.MatchResult.self, bytes)
    roundTrip(V1.FilePayload.self, bytes)
    roundTrip(V1.HistoryPage.self, bytes)
    roundTrip(V1.CreateUserRequest.self, bytes)
    roundTrip(V1.User.self, bytes)
    roundTrip(V1.UserIDList.self, bytes)
    roundTrip(V1.PresignedUpload.self, bytes)
    roundTrip(V1.PresignedDownload.self, bytes)
    roundTrip(V1.UploadedFiles.self, bytes)
    roundTrip(V1.ErrorBody.self, bytes)
    roundTrip(ChannelTokenClaims.self, bytes)
    roundTrip(V2.ChatClientFrame.self, bytes)
    roundTrip(V2.ChatServerFrame.self, bytes)
    roundTrip(V2.MatchClientFrame.self, bytes)
    roundTrip(V2.MatchServerFrame.self, bytes)
    roundTrip(V2.HistoryPage.self, bytes)
    if let text = String(validating: bytes, as: UTF8.self) {
        _ = try? ChannelTokenClaims(unverifiedJWT: text)
    }
    return 0
}
