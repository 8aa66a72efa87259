import Foundation
import Synchronization
import UnixSignals

/// Turns the first Ctrl-C (SIGINT) or SIGTERM into a graceful shutdown request that the examples can wait for;
/// a second signal exits at once with status 130.
///
/// The examples do not cancel their root task on Ctrl-C: a cancelled task could not call `session.leave()` any
/// more. Instead, the work that should stop (waiting for a match, reading events) runs inside
/// ``cancellingOnShutdown(_:)``, which cancels just that work and returns `nil`, so the caller can still leave its
/// channel, say goodbye, and return normally (exit status 0).
public final class GracefulShutdown: Sendable {
    private struct State {
        var isRequested = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a shutdown flag that nothing triggers yet; ``run(_:)`` connects it to the signals.
    public init() {}

    /// Traps SIGINT and SIGTERM, runs `body`, and returns what it returns.
    /// - Parameter body: The program; it receives the shutdown flag to watch.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func run<Result: Sendable>(
        _ body: @escaping @Sendable (GracefulShutdown) async throws -> Result
    ) async throws -> Result {
        let shutdown = GracefulShutdown()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                var count = 0
                for await signal in signals {
                    count += 1
                    if count > 1 {
                        FileHandle.standardError.write(Data("\n\(signal) again: exiting now\n".utf8))
                        exit(130)
                    }
                    shutdown.trigger()
                }
                return nil
            }
            group.addTask { try await body(shutdown) }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let next { return next }
            }
            throw CancellationError()
        }
    }

    /// Whether a shutdown was requested.
    public var isRequested: Bool { self.state.withLock { $0.isRequested } }

    /// Requests the shutdown (what Ctrl-C does).
    public func trigger() {
        let waiters = self.state.withLock { state in
            state.isRequested = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when a shutdown is requested, or when the calling task is cancelled.
    public func wait() async {
        let id = self.state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { state in
                    if state.isRequested || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Runs `operation` until it finishes or a shutdown is requested, whichever comes first.
    /// - Parameter operation: The work to stop on Ctrl-C, for example `client.match()` or an event loop.
    /// - Returns: What `operation` returned, or `nil` when the shutdown cancelled it.
    /// - Throws: What `operation` throws (but not the cancellation that the shutdown caused).
    public func cancellingOnShutdown<Result: Sendable>(
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result? {
        if self.isRequested { return nil }
        return try await withThrowingTaskGroup(of: Outcome<Result>.self) { group in
            group.addTask { .finished(try await operation()) }
            group.addTask {
                await self.wait()
                return .shutdown
            }
            defer { group.cancelAll() }
            switch try await group.next() {
            case .finished(let result): return result
            case .shutdown, nil: return nil
            }
        }
    }

    private enum Outcome<Result: Sendable>: Sendable {
        case finished(Result)
        case shutdown
    }
}
