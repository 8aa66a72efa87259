import ChatProtocol
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Prometheus

/// One inbound websocket message.
enum InboundMessage: Sendable {
    case text([UInt8])
    case binary([UInt8])
}

/// Runs one websocket: a child task writes the connection's ``Outbox`` while the calling task reads bounded
/// messages and hands them to `onMessage` (v1 handlers ignore binary messages, as upstream does).
///
/// Returns when reading ends, for whatever reason (close frame, TCP drop, ping timeout, oversize message), so the
/// caller's cleanup runs on every disconnect path (fixes D4). A read error is rethrown after the writer stopped, so
/// the websocket library still closes with the matching code (1009 for an oversize message, 1007 for bad UTF-8).
///
/// When the outbox asks for a close and the connection is still open `closeGrace` later (the peer stopped reading,
/// so neither the queued frames nor the close frame can be written), the TCP connection is closed outright.
func driveWebSocket(
    inbound: WebSocketInboundStream,
    outbound: WebSocketOutboundWriter,
    outbox: Outbox,
    channel: any Channel,
    closeGrace: Duration = .seconds(2),
    maxMessageSize: Int,
    metrics: ServerMetrics,
    oversizeReason: String = "message too big",
    onClosing: () async -> Void = {},
    onMessage: (InboundMessage) async -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for await item in outbox.items {
                switch item {
                case .frame(let bytes, let binary, let counted):
                    if binary {
                        try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    } else {
                        try await outbound.write(.text(String(decoding: bytes, as: UTF8.self)))
                    }
                    if counted { outbox.didWriteFrame() }
                case .close(let code, let reason):
                    try await outbound.close(WebSocketErrorCode(codeNumber: Int(code.rawValue)), reason: reason)
                    return
                }
            }
        }
        group.addTask {
            for await _ in outbox.closeRequests {
                if outbox.hasOverflowed { metrics.slowConsumerCloses.increment() }
                try await Task.sleep(for: closeGrace)  // cancelled when reading ends first
                channel.close(promise: nil)
                return
            }
        }
        var readError: (any Error)?
        do {
            for try await message in inbound.messages(maxSize: maxMessageSize) {
                // The library bounds fragmented messages by `maxSize` but single frames only by the server-wide
                // frame limit, so the per-endpoint limit is checked here too.
                switch message {
                case .text(let text) where text.utf8.count <= maxMessageSize:
                    await onMessage(.text(Array(text.utf8)))
                case .binary(let buffer) where buffer.readableBytes <= maxMessageSize:
                    await onMessage(.binary(Array(buffer: buffer)))
                default:
                    // Clean up before the close handshake, which can take until the peer answers: a user who sent
                    // an oversize frame must not stay matchable meanwhile (D4).
                    await onClosing()
                    outbox.close(.messageTooBig, reason: oversizeReason)
                    try await group.next()  // the writer sends the close frame
                    return
                }
            }
        } catch {
            readError = error
        }
        outbox.finish()
        group.cancelAll()
        if let readError { throw readError }
    }
}
