// libFuzzer target for the hand-written protobuf decoder, built by Fuzz/run.sh (swiftc with
// `-sanitize=fuzzer,address`, together with the ChatProtocol sources): libFuzzer supplies `main` and calls the
// entry point below.
//
// Every input is decoded as every top-level v2 and upstream message type. Whatever decodes must satisfy
// the codec's invariants; a violation traps, which libFuzzer reports as a crash:
//   1. protobufSize == protobufBytes().count;
//   2. the re-encoded bytes decode again, to an equal value (decode(encode(decode(b))) == decode(b));
//   3. encoding is canonical: re-encoding that value gives the same bytes.
// Decoding failures are expected and must only ever be a thrown WireError (never a trap or a hang).

import ChatProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    // The four websocket envelopes and the history page (the untrusted inputs in production).
    check(V2.ChatClientFrame.self, bytes)
    check(V2.ChatServerFrame.self, bytes)
    check(V2.MatchClientFrame.self, bytes)
    check(V2.MatchServerFrame.self, bytes)
    check(V2.HistoryPage.self, bytes)
    // Every other v2 message, for coverage of each field list.
    check(V2.Error.self, bytes)
    check(V2.Hello.self, bytes)
    check(V2.ChatMessage.self, bytes)
    check(V2.SendCommand.self, bytes)
    check(V2.Matched.self, bytes)
    // The upstream gRPC messages.
    check(Upstream.CreateChannelRequest.self, bytes)
    check(Upstream.CreateChannelResponse.self, bytes)
    check(Upstream.AddUserRequest.self, bytes)
    check(Upstream.AddUserResponse.self, bytes)
    check(Upstream.RegisterChannelSessionRequest.self, bytes)
    check(Upstream.RegisterChannelSessionResponse.self, bytes)
    check(Upstream.RemoveChannelSessionRequest.self, bytes)
    check(Upstream.RemoveChannelSessionResponse.self, bytes)
    check(Upstream.User.self, bytes)
    check(Upstream.GetUserRequest.self, bytes)
    check(Upstream.GetUserResponse.self, bytes)
    check(Upstream.GetUserIDBySessionRequest.self, bytes)
    check(Upstream.GetUserIDBySessionResponse.self, bytes)
    // The public entry point, once, with tight limits.
    let tight = DecodingOptions(maxMessageBytes: 4096, maxFieldBytes: 512, maxDepth: 2)
    if let frame = try? V2.ChatServerFrame(protobufBytes: bytes, options: tight) {
        let encoded = frame.protobufBytes()
        guard encoded.count == frame.protobufSize, (try? V2.ChatServerFrame(protobufBytes: encoded)) == frame else {
            fatalError("public API round trip failed for \(bytes)")
        }
    }
    return 0
}

private func check<M: ProtobufMessage>(_ type: M.Type, _ bytes: [UInt8]) {
    let value: M
    do {
        value = try M(decoding: bytes, options: DecodingOptions())
    } catch {
        return
    }
    let encoded = value.encodedProtobufBytes()
    guard encoded.count == value.protobufSize else {
        fatalError("\(M.self): protobufSize \(value.protobufSize) != \(encoded.count) bytes")
    }
    let again: M
    do {
        again = try M(decoding: encoded, options: DecodingOptions())
    } catch {
        fatalError("\(M.self): re-encoded bytes do not decode: \(error); input \(bytes)")
    }
    guard again == value else { fatalError("\(M.self): round trip changed the value; input \(bytes)") }
    guard again.encodedProtobufBytes() == encoded else { fatalError("\(M.self): encoding is not canonical") }
}
