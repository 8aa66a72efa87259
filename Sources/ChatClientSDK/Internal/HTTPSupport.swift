import Foundation
import Synchronization

/// A `Mutex` that closures in several tasks can share.
final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { self.mutex = Mutex(value) }

    var value: Value {
        get { self.mutex.withLock { $0 } }
        set { self.mutex.withLock { $0 = newValue } }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
func percentEncoded(_ value: String) -> String {
    var out = ""
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    return out
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}

/// URL-safe base64 with `=` padding (Go's `base64.URLEncoding`), as the v1 download endpoint expects.
func base64URLPadded(_ text: String) -> String {
    Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
}

/// Maps any error from a public entry point to a `ChatError`, turning cancellation into `.cancelled`.
func chatError(_ error: any Error, while action: String) -> ChatError {
    if let error = error as? ChatError { return error }
    if error is CancellationError || Task.isCancelled {
        return ChatError(code: .cancelled, message: "cancelled while \(action)", cause: error)
    }
    if let wire = error as? WireError {
        return ChatError(code: .protocolViolation, message: "malformed answer while \(action)", cause: wire)
    }
    return ChatError(code: .connectionClosed, message: "network failure while \(action)", cause: error)
}

/// Runs `body`, mapping every error it throws with ``chatError(_:while:)``.
func mappingErrors<T>(_ action: String, _ body: () async throws -> T) async throws -> T {
    do {
        try Task.checkCancellation()
        return try await body()
    } catch {
        throw chatError(error, while: action)
    }
}
