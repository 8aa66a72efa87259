import Foundation
import Synchronization

/// Reads standard input line by line on a background thread and hands the lines to async code.
///
/// Unlike an `AsyncStream`, waiting for a line can be cancelled without ending the input: the chat cancels the
/// input loop of one phase (matching, chatting) and starts another on the same reader.
final class LineReader: Sendable {
    private struct State {
        var lines: [String] = []
        var isFinished = false
        var waiter: CheckedContinuation<String?, Never>?
    }

    private let state = Mutex(State())

    /// Starts the reading thread; it ends at end of input (Ctrl-D), which ``next()`` reports as `nil`.
    func start() {
        let thread = Thread { [self] in
            while let line = readLine(strippingNewline: true) { self.push(line) }
            self.finish()
        }
        thread.start()
    }

    private func push(_ line: String) {
        let waiter = self.state.withLock { state -> CheckedContinuation<String?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    private func finish() {
        let waiter = self.state.withLock { state in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next line; `nil` at end of input. Cancellation returns `nil` too, and the next call reads on.
    func next() async -> String? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                let immediate: String?? = self.state.withLock { state in
                    if !state.lines.isEmpty { return .some(state.lines.removeFirst()) }
                    if state.isFinished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Whether standard input reached its end.
    var isFinished: Bool { self.state.withLock { $0.isFinished && $0.lines.isEmpty } }
}
