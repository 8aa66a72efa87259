import ChatWebSocket
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// A websocket frame received by the suite.
public enum ReceivedFrame: Sendable {
    /// A text message.
    case text(String)
    /// A binary message.
    case binary([UInt8])
}

/// A websocket opened with `ChatWebSocketClient` that stays open across a scenario's steps.
public final class WSConnection: Sendable {
    private let inbox = Mutex<(frames: [ReceivedFrame], finished: Bool)>(([], false))
    private let writer = Mutex<WebSocketOutboundWriter?>(nil)
    private let ended = Mutex<(done: Bool, code: UInt16?)>((false, nil))
    private let chosenSubprotocol = Mutex<String?>(nil)

    init() {}

    fileprivate func push(_ frame: ReceivedFrame) { self.inbox.withLock { $0.frames.append(frame) } }
    fileprivate func finishInbox() { self.inbox.withLock { $0.finished = true } }

    /// Sends a text message.
    /// - Parameter text: The text.
    /// - Throws: When the connection is closed.
    public func send(_ text: String) async throws {
        guard let writer = self.writer.withLock({ $0 }) else { throw ScenarioFailure("websocket not open") }
        try await writer.write(.text(text))
    }

    /// Sends a binary message.
    /// - Parameter bytes: The bytes.
    /// - Throws: When the connection is closed.
    public func send(binary bytes: [UInt8]) async throws {
        guard let writer = self.writer.withLock({ $0 }) else { throw ScenarioFailure("websocket not open") }
        try await writer.write(.binary(ByteBuffer(bytes: bytes)))
    }

    /// The next message, `nil` when the connection ended, or a failure after `timeout`.
    /// - Parameter timeout: How long to wait.
    /// - Returns: The frame or `nil`.
    /// - Throws: ``ScenarioFailure`` on timeout.
    public func next(timeout: Duration = .seconds(10)) async throws -> ReceivedFrame? {
        guard let frame = try await self.nextOrTimeout(timeout) else {
            throw ScenarioFailure("no frame within \(timeout)")
        }
        return frame
    }

    /// The next message, or `nil` after `timeout`; `.some(nil)` when the connection ended.
    func nextOrTimeout(_ timeout: Duration) async throws -> ReceivedFrame?? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let taken: ReceivedFrame?? = self.inbox.withLock { inbox in
                if !inbox.frames.isEmpty { return .some(inbox.frames.removeFirst()) }
                return inbox.finished ? .some(nil) : nil
            }
            if let taken { return taken }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next frame as a JSON object; fails on timeout, on close or on a frame that is not a JSON object.
    /// - Parameter timeout: How long to wait.
    /// - Returns: The object.
    /// - Throws: ``ScenarioFailure``.
    public func nextJSON(timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        while true {
            switch try await self.next(timeout: timeout) {
            case .text(let text):
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    throw ScenarioFailure("frame is not a JSON object: \(text.prefix(200))")
                }
                return object
            case .binary:
                continue
            case nil:
                throw ScenarioFailure("connection closed (code \(self.closeCodeIfEnded.map(String.init) ?? "none"))")
            }
        }
    }

    /// The next text frame, raw.
    /// - Parameter timeout: How long to wait.
    /// - Returns: The text.
    /// - Throws: ``ScenarioFailure`` on timeout or close.
    public func nextText(timeout: Duration = .seconds(10)) async throws -> String {
        while true {
            switch try await self.next(timeout: timeout) {
            case .text(let text): return text
            case .binary: continue
            case nil: throw ScenarioFailure("connection closed before a text frame arrived")
            }
        }
    }

    /// Waits `duration` and returns every frame that arrived meanwhile; stops early if the connection ends.
    /// - Parameter duration: How long to listen.
    /// - Returns: The frames as JSON objects (non-JSON text is returned as `["_raw": text]`).
    /// - Throws: Cancellation.
    public func drain(for duration: Duration) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + duration
        var frames: [[String: Any]] = []
        while ContinuousClock.now < deadline {
            guard let frame = try await self.nextOrTimeout(deadline - ContinuousClock.now) else { break }
            guard let frame else { break }
            if case .text(let text) = frame {
                let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                frames.append(object ?? ["_raw": text])
            }
        }
        return frames
    }

    /// Sends a close frame with `code`.
    /// - Parameter code: The close code.
    /// - Throws: When the connection is already closed.
    public func close(code: UInt16 = 1000) async throws {
        guard let writer = self.writer.withLock({ $0 }) else { return }
        try await writer.close(.init(codeNumber: Int(code)), reason: nil)
    }

    /// Waits until the connection ends and returns the server's close code (`nil`: no close frame, 1006).
    /// - Parameter timeout: How long to wait.
    /// - Returns: The close code, or `nil`.
    /// - Throws: ``ScenarioFailure`` when the connection is still open after `timeout`.
    public func closeCode(within timeout: Duration = .seconds(10)) async throws -> UInt16? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.ended.withLock({ $0.done }) { return self.closeCodeIfEnded }
            _ = try await self.nextOrTimeout(.milliseconds(50))
        }
        if self.ended.withLock({ $0.done }) { return self.closeCodeIfEnded }
        throw ScenarioFailure("connection still open after \(timeout)")
    }

    /// Whether the connection has ended.
    public var isEnded: Bool { self.ended.withLock { $0.done } }

    var closeCodeIfEnded: UInt16? { self.ended.withLock { $0.code } }

    fileprivate func opened(_ writer: WebSocketOutboundWriter, subprotocol: String?) {
        self.writer.withLock { $0 = writer }
        self.chosenSubprotocol.withLock { $0 = subprotocol }
    }

    /// The subprotocol the server chose, `nil` when none.
    public var subprotocol: String? { self.chosenSubprotocol.withLock { $0 } }
    fileprivate func finished(_ code: UInt16?) {
        self.writer.withLock { $0 = nil }
        self.ended.withLock { $0 = (true, code) }
    }
}

extension ScenarioContext {
    /// Opens a websocket; fails when the upgrade is refused (use ``ScenarioContext/rawHandshake(_:cookie:headers:receiveBuffer:)`` to see
    /// the refusal's status).
    /// - Parameters:
    ///   - path: Path and query, e.g. `/api/match`.
    ///   - cookie: A session id sent as the `sid` cookie.
    ///   - headers: Extra request headers.
    ///   - subprotocols: Subprotocols to offer (`Sec-WebSocket-Protocol`); the chosen one is
    ///     ``WSConnection/subprotocol``.
    /// - Returns: The open connection.
    /// - Throws: ``ScenarioFailure`` when the upgrade fails.
    public func webSocket(
        _ path: String,
        cookie: String? = nil,
        headers: [(String, String)] = [],
        subprotocols: [String] = []
    ) async throws
        -> WSConnection
    {
        var options = ChatWebSocketOptions()
        options.maxFrameSize = 1 << 20
        if let cookie { options.headers.append(("Cookie", "sid=\(cookie)")) }
        // A `Sec-WebSocket-Protocol` given as a header is an offer too (tokens in order, across headers).
        var offered = subprotocols
        for (name, value) in headers {
            if name.lowercased() == "sec-websocket-protocol" {
                offered += value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                    !$0.isEmpty
                }
            } else {
                options.headers.append((name, value))
            }
        }
        options.subprotocols = offered
        let url = self.configuration.webSocketBase + path
        let connection = WSConnection()
        let (opened, openedContinuation) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        let frozen = options
        self.spawn {
            do {
                let close = try await ChatWebSocketClient.connect(
                    url: url,
                    options: frozen,
                    logger: Logger(label: "chat-conformance", factory: { _ in SwiftLogNoOpLogHandler() })
                ) { inbound, outbound, context in
                    connection.opened(outbound, subprotocol: context.subprotocol)
                    openedContinuation.yield(.success(()))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        switch message {
                        case .text(let text): connection.push(.text(text))
                        case .binary(let buffer): connection.push(.binary(Array(buffer: buffer)))
                        }
                    }
                }
                connection.finished(close.map { UInt16(webSocketErrorCode: $0.closeCode) })
            } catch {
                connection.finished(nil)
                openedContinuation.yield(.failure(error))
            }
            connection.finishInbox()
            openedContinuation.finish()
        }
        var iterator = opened.makeAsyncIterator()
        switch await iterator.next() {
        case .success:
            self.remember(connection: connection)
            return connection
        case .failure(let error as WebSocketUpgradeRefused):
            let body = String(decoding: error.body.prefix(200), as: UTF8.self)
            throw ScenarioFailure("websocket upgrade of \(path) refused: \(error.status) \(body)")
        case .failure(let error): throw ScenarioFailure("websocket upgrade of \(path) failed: \(error)")
        case nil: throw ScenarioFailure("websocket upgrade of \(path) did not complete")
        }
    }
}
