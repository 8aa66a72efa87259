import ChatClientSDK
import ChatWebSocket
import Foundation
import Logging

/// A scripted v2 match connection without the SDK, for races the SDK never produces by itself (a peer that drops
/// or cancels between `proposed` and `confirm`).
enum RawMatchSocket {
    /// What the script does once it is proposed a match.
    enum AfterProposal: Sendable {
        /// Close the socket without confirming (RC-MATCH-RACE-1).
        case disconnect
        /// Send `cancel`, wait for its `ok`, then close (RC-MATCH-RACE-2).
        case cancel
    }

    /// Signs a user up with `client`, enqueues over v2 JSON with its cookie, and when proposed acts as `after`
    /// says. Returns the proposal it received.
    static func enqueueAndAbandon(
        baseURL: String,
        cookie: String,
        after: AfterProposal
    ) async throws -> V2.MatchProposed {
        var options = ChatWebSocketOptions()
        options.headers = [("Cookie", "sid=\(cookie)")]
        options.subprotocols = [WebSocketSubprotocol.v2JSON]
        let wsURL = baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/api/match"
        let proposal = LockedValue<V2.MatchProposed?>(nil)
        _ = try await ChatWebSocketClient.connect(
            url: wsURL,
            options: options,
            logger: Logger(label: "raw", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { inbound, outbound, _ in
            func send(_ frame: V2.MatchClientFrame) async throws {
                try await outbound.write(.text(String(decoding: frame.jsonBytes(), as: UTF8.self)))
            }
            for try await message in inbound.messages(maxSize: 1 << 16) {
                guard case .text(let text) = message else { continue }
                let frame = try V2.MatchServerFrame(jsonBytes: Array(text.utf8))
                switch frame.body {
                case .hello:
                    try await send(V2.MatchClientFrame(id: 1, command: .enqueue(V2.EnqueueCommand())))
                case .proposed(let proposed):
                    proposal.value = proposed
                    switch after {
                    case .disconnect:
                        return
                    case .cancel:
                        try await send(V2.MatchClientFrame(id: 2, command: .cancel(V2.CancelCommand())))
                    }
                case .ok where frame.id == 2:
                    return
                default:
                    break
                }
            }
        }
        guard let proposed = proposal.value else { throw E2EFailure("the raw match socket was never proposed") }
        return proposed
    }
}

extension RawMatchSocket {
    /// Enqueues over v2 JSON with `cookie`, never confirms a proposal, calls `proposed` when one arrives, and returns
    /// the `voided` push that ends it (the peer cancelled, dropped or timed out).
    static func enqueueUntilVoided(
        baseURL: String,
        cookie: String,
        proposed: @escaping @Sendable (V2.MatchProposed) -> Void
    ) async throws -> V2.MatchVoided {
        var options = ChatWebSocketOptions()
        options.headers = [("Cookie", "sid=\(cookie)")]
        options.subprotocols = [WebSocketSubprotocol.v2JSON]
        let wsURL = baseURL.replacingOccurrences(of: "http://", with: "ws://") + "/api/match"
        let voided = LockedValue<V2.MatchVoided?>(nil)
        _ = try await ChatWebSocketClient.connect(
            url: wsURL,
            options: options,
            logger: Logger(label: "raw", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1 << 16) {
                guard case .text(let text) = message else { continue }
                let frame = try V2.MatchServerFrame(jsonBytes: Array(text.utf8))
                switch frame.body {
                case .hello:
                    let enqueue = V2.MatchClientFrame(id: 1, command: .enqueue(V2.EnqueueCommand()))
                    try await outbound.write(.text(String(decoding: enqueue.jsonBytes(), as: UTF8.self)))
                case .proposed(let proposal):
                    proposed(proposal)
                case .voided(let void):
                    voided.value = void
                    return
                default:
                    break
                }
            }
        }
        guard let void = voided.value else { throw E2EFailure("the raw match socket closed without a voided push") }
        return void
    }
}

/// A mutex-protected value for test helpers.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { self.stored = value }

    var value: Value {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }
}
