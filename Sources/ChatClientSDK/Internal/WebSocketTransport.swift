import ChatProtocol
import ChatWebSocket
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// How a websocket ended, as the transport saw it.
struct WebSocketClose: Sendable, Hashable {
    /// The close code of the server's close frame, or `nil` when the connection dropped without one.
    var code: UInt16?
    /// The close frame's reason text.
    var reason: String?
}

/// Why a websocket could not be opened.
struct WebSocketConnectError: Error, Sendable {
    enum Kind: Sendable {
        /// The HTTP upgrade was refused (a 4xx/5xx answer instead of 101).
        case upgradeRejected
        /// No connection at all (refused, unreachable, TLS).
        case unreachable
    }
    var kind: Kind
    var underlying: (any Error)?
    /// For ``Kind/upgradeRejected``: the refusal's HTTP answer.
    var answer: HTTPResponseSpec?

    /// The refusal as a typed error, read like any HTTP error answer, when it carries a `{"msg": …}` body; `nil`
    /// when it says nothing useful (an empty 400 from a server that does not know the path as a websocket).
    var chatError: ChatError? {
        guard let answer, (try? V1.ErrorBody(jsonBytes: answer.body)) != nil else { return nil }
        do {
            try ChatClient.check(answer)
            return nil
        } catch {
            return error as? ChatError
        }
    }
}

/// One websocket message: v1 and v2 JSON use text, v2 protobuf uses binary.
enum WebSocketMessage: Sendable, Hashable {
    case text(String)
    case binary([UInt8])
}

/// The two directions of an open websocket, handed to the code that runs while it is open.
///
/// `receive` yields messages until the connection closes (`nil`); it must only be called from the task the
/// handler runs in. `send` and `close` may be called from any task.
struct WebSocketIO {
    /// The subprotocol the server chose in its `101` (`Sec-WebSocket-Protocol`), or `nil` when it named none.
    var subprotocol: String?
    var receive: () async throws -> WebSocketMessage?
    var send: @Sendable (WebSocketMessage) async throws -> Void
    /// Closes with a code (1000 for an ordinary close) and an optional reason.
    var close: @Sendable (UInt16, String?) async throws -> Void
    /// Drops the connection at once, without waiting for a close handshake (a dead link); `receive` then ends.
    var abort: @Sendable () -> Void = {}
    /// Sets the message written if the connection's task is cancelled, and how its reply is recognised (`nil`
    /// withdraws it): the socket closes once the reply arrived or `timeout` passed (``WebSocketFarewell``).
    var setFarewell:
        @Sendable (
            _ farewell: WebSocketMessage?, _ timeout: Duration,
            _ isReply: @escaping @Sendable (WebSocketMessage) -> Bool
        ) -> Void = { _, _, _ in }
    /// Sets (or with `nil` removes) a receiver that may take messages on the transport's thread instead of
    /// ``receive``. It is offered a message only while the task in `receive` waits with nothing queued, so it has
    /// handled every earlier message; returning `false` passes the message on to `receive`. It must not block.
    /// Transports without such a thread ignore it: every message then goes to `receive`.
    var setReceiver: @Sendable (_ receiver: Receiver?) -> Void = { _ in }

    /// Takes a message on the transport's thread (`true`), or declines it (`false`).
    typealias Receiver = @Sendable (WebSocketMessage) -> Bool
}

extension WebSocketMessage {
    init(_ message: WebSocketFarewell.Message) {
        switch message {
        case .text(let text): self = .text(text)
        case .binary(let bytes): self = .binary(bytes)
        }
    }

    var farewell: WebSocketFarewell.Message {
        switch self {
        case .text(let text): .text(text)
        case .binary(let bytes): .binary(bytes)
        }
    }
}

/// Options for one websocket connection.
struct WebSocketOptions: Sendable {
    var headers: [(String, String)] = []
    /// Subprotocols to offer, in order of preference (empty: none, which means v1).
    var subprotocols: [String] = []
    var maxMessageSize: Int
    var pingInterval: Duration?
    var closeTimeout: Duration = .seconds(2)

    /// The same for ``ChatWebSocketClient`` (frames up to the message size, and at least 16 KB).
    var chatWebSocketOptions: ChatWebSocketOptions {
        var options = ChatWebSocketOptions()
        options.headers = self.headers
        options.subprotocols = self.subprotocols
        options.maxFrameSize = max(self.maxMessageSize, 1 << 14)
        options.closeTimeout = self.closeTimeout
        options.pingInterval = self.pingInterval
        return options
    }
}

extension WebSocketFarewell {
    /// A ``WebSocketIO/setFarewell`` call's farewell; `nil` (withdrawn) without a message.
    init?(
        _ message: WebSocketMessage?,
        timeout: Duration,
        isReply: @escaping @Sendable (WebSocketMessage) -> Bool
    ) {
        guard let message else { return nil }
        self.init(message: message.farewell, timeout: timeout) { reply in isReply(WebSocketMessage(reply)) }
    }
}

/// A websocket exchange driven by what it receives, each step synchronous: with ``NIOWebSocketTransport`` it runs
/// on the connection's event loop (no task wake-up per message: issue 9, B6). The v2 match socket is one.
///
/// The calls come one at a time, ``opened(_:)`` first; the ``ConversationLink`` is valid during a call only.
protocol WebSocketConversation: AnyObject, Sendable {
    /// The socket is open; before any message.
    func opened(_ link: ConversationLink)
    /// A complete message arrived.
    func received(_ message: WebSocketMessage, _ link: ConversationLink)
}

/// What a ``WebSocketConversation`` does to its socket, during one of its calls.
struct ConversationLink {
    /// The subprotocol the server chose in its `101`, or `nil`.
    var subprotocol: String?
    /// Sends a message; ignored once the socket is closing.
    var send: (WebSocketMessage) -> Void
    /// Closes with a code and an optional reason; no message reaches the conversation afterwards.
    var close: (UInt16, String?) -> Void
    /// As ``close``, and the conversation is over at once: `converse` returns without waiting for the server's close
    /// (which the transport still completes, within its close timeout).
    var closeWithoutWaiting: (UInt16, String?) -> Void
    /// Drops the connection at once, without a close handshake (a dead link).
    var abort: () -> Void
    /// As ``WebSocketIO/setFarewell``.
    var setFarewell:
        (
            _ farewell: WebSocketMessage?, _ timeout: Duration,
            _ isReply: @escaping @Sendable (WebSocketMessage) -> Bool
        ) -> Void
    /// Drops the connection (``abort``) when nothing arrives for this long since the last message (or the
    /// opening); `nil` turns it off.
    var setSilenceTimeout: (Duration?) -> Void
    /// Whether a message sent now would go out rather than wait behind unsent ones (the server reads what we
    /// write). Transports without that knowledge say `true`.
    var isWritable: () -> Bool = { true }
}

/// The websocket seam: tests inject faults by implementing it; production uses ``NIOWebSocketTransport``.
protocol WebSocketTransport: Sendable {
    /// Connects, runs `handler` while the socket is open, and returns how it closed.
    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose

    /// Connects, runs `conversation` until the socket closes, and returns how it closed. Cancelling the task sends
    /// the farewell the conversation set and ends the connection (the caller checks for cancellation).
    func converse(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        conversation: any WebSocketConversation
    ) async throws -> WebSocketClose
}

extension WebSocketTransport {
    /// A conversation over ``connect(url:options:logger:handler:)``: its calls run on the connection's task, and
    /// what they do is carried out (awaited) after each call. Transports that wrap or fake `connect` get it for free.
    func converse(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        conversation: any WebSocketConversation
    ) async throws -> WebSocketClose {
        try await self.connect(url: url, options: options, logger: logger) { io in
            try await ConversationDriver(io: io).run(conversation)
        }
    }
}

/// Runs a ``WebSocketConversation`` over a ``WebSocketIO``: the link's actions are collected during a call and
/// carried out after it; the silence timeout is a watchdog task.
struct ConversationDriver {
    let io: WebSocketIO

    private final class Pending: @unchecked Sendable {
        // Only touched by the connection's task (the conversation's calls and the loop after them).
        var sends: [WebSocketMessage] = []
        var close: (code: UInt16, reason: String?)?
        var aborted = false
    }

    func run(_ conversation: any WebSocketConversation) async throws {
        let io = self.io
        let pending = Pending()
        let lastInbound = LockedBox(ContinuousClock.now)
        let silence = LockedBox<Duration?>(nil)
        let abort = io.abort
        try await withThrowingTaskGroup(of: Void.self) { group in
            var watching = false
            // Over a plain WebSocketIO the connection ends with the handler: closing without waiting is a close.
            let close: (UInt16, String?) -> Void = { code, reason in
                if pending.close == nil { pending.close = (code, reason) }
            }
            let link = ConversationLink(
                subprotocol: io.subprotocol,
                send: { message in if pending.close == nil { pending.sends.append(message) } },
                close: close,
                closeWithoutWaiting: close,
                abort: { pending.aborted = true },
                setFarewell: io.setFarewell,
                setSilenceTimeout: { silence.value = $0 }
            )
            defer { group.cancelAll() }
            /// Carries out what the last call asked for; `false` once the conversation is over.
            func carryOut() async throws -> Bool {
                if !watching, silence.value != nil {
                    watching = true
                    group.addTask {
                        while let timeout = silence.value {
                            let deadline = lastInbound.value + timeout
                            if ContinuousClock.now >= deadline { return abort() }
                            try await Task.sleep(until: deadline)
                        }
                    }
                }
                let sends = pending.sends
                pending.sends = []
                for message in sends { try await io.send(message) }
                if pending.aborted {
                    abort()
                    return false
                }
                if let close = pending.close {
                    try? await io.close(close.code, close.reason)
                    return false
                }
                return true
            }
            conversation.opened(link)
            guard try await carryOut() else { return }
            while let message = try await io.receive() {
                lastInbound.value = .now
                conversation.received(message, link)
                guard try await carryOut() else { return }
            }
        }
    }
}

/// The production transport: ``ChatWebSocketClient``'s conversation on the connection's event loop (with an upgrade
/// step that keeps a frame sent together with the 101 answer and reports refusals with their status).
struct NIOWebSocketTransport: WebSocketTransport {
    /// Connects and runs `handler` over a ``ConversationSocket``: the messages arrive on the event loop (and may be
    /// taken there, ``WebSocketIO/setReceiver``); sends are written from the calling task. When `handler` returns
    /// the websocket closes with 1000, when it throws with 1011, as swift-websocket's handler did.
    func connect(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        handler: @escaping @Sendable (WebSocketIO) async throws -> Void
    ) async throws -> WebSocketClose {
        let socket = ConversationSocket()
        return try await withThrowingTaskGroup(of: WebSocketClose.self) { group in
            group.addTask {
                defer { socket.end() }
                return try await Self.converseOnLoop(url: url, options: options, conversation: socket)
            }
            guard let io = await socket.opened() else {
                // The connection ended before it opened: the opening's error (or its close).
                return try await group.next() ?? WebSocketClose(code: nil, reason: nil)
            }
            var failure: (any Error)?
            do {
                try await handler(io)
                socket.remote?.close(code: 1000)
            } catch {
                failure = error
                socket.remote?.close(code: 1011)
            }
            let close = try? await group.next()
            if let failure {
                if let chat = failure as? ChatError { throw chat }
                if Task.isCancelled { throw CancellationError() }
                // The link failed after it opened: an abnormal closure (1006), which is retried.
                return WebSocketClose(code: nil, reason: "\(failure)")
            }
            if Task.isCancelled { throw CancellationError() }
            return close ?? WebSocketClose(code: nil, reason: nil)
        }
    }

    /// What a connection that failed before it opened throws: `CancellationError` when the task was cancelled, a
    /// refused upgrade with the server's answer, or an unreachable server.
    private static func openingError(_ error: any Error) -> any Error {
        if Task.isCancelled { return CancellationError() }
        if let refused = error as? WebSocketUpgradeRefused {
            return WebSocketConnectError(
                kind: .upgradeRejected,
                underlying: refused,
                answer: HTTPResponseSpec(status: refused.status, headers: refused.headers, body: refused.body)
            )
        }
        return WebSocketConnectError(kind: .unreachable, underlying: error)
    }
}

extension NIOWebSocketTransport {
    /// The conversation on the connection's event loop (``ChatWebSocketClient/converse(url:options:conversation:)``).
    func converse(
        url: String,
        options: WebSocketOptions,
        logger: Logger,
        conversation: any WebSocketConversation
    ) async throws -> WebSocketClose {
        try await Self.converseOnLoop(url: url, options: options, conversation: ConversationOnLoop(conversation))
    }

    /// Runs ChatWebSocket's `conversation` until the connection ends; what both ``connect(url:options:logger:handler:)``
    /// (over a ``ConversationSocket``) and ``converse(url:options:logger:conversation:)`` run.
    private static func converseOnLoop(
        url: String,
        options: WebSocketOptions,
        conversation: any ChatWebSocketConversation
    ) async throws -> WebSocketClose {
        let frame: ChatWebSocketCloseFrame?
        do {
            frame = try await ChatWebSocketClient.converse(
                url: url,
                options: options.chatWebSocketOptions,
                conversation: conversation
            )
        } catch {
            // The conversation itself does not fail: every error is the opening's (or the cancellation).
            throw Self.openingError(error)
        }
        return WebSocketClose(code: frame?.code, reason: frame?.reason)
    }
}

/// A ``WebSocketConversation`` as ChatWebSocket's event-loop conversation.
private final class ConversationOnLoop: ChatWebSocketConversation {
    let conversation: any WebSocketConversation

    init(_ conversation: any WebSocketConversation) { self.conversation = conversation }

    func opened(_ link: ChatWebSocketLink) {
        self.conversation.opened(Self.link(link))
    }

    func received(_ message: WebSocketFarewell.Message, _ link: ChatWebSocketLink) {
        self.conversation.received(WebSocketMessage(message), Self.link(link))
    }

    private static func link(_ link: ChatWebSocketLink) -> ConversationLink {
        ConversationLink(
            subprotocol: link.subprotocol,
            send: { link.send($0.farewell) },
            close: { code, reason in link.close(code: code, reason: reason) },
            closeWithoutWaiting: { code, reason in link.closeWithoutWaiting(code: code, reason: reason) },
            abort: { link.abort() },
            setFarewell: { message, timeout, isReply in
                link.setFarewell(WebSocketFarewell(message, timeout: timeout, isReply: isReply))
            },
            setSilenceTimeout: { link.setSilenceTimeout($0) },
            isWritable: { link.isWritable }
        )
    }
}
