import Foundation
import Synchronization

/// Line output shared by the examples: whole lines, never interleaved, to stdout or stderr.
public enum Console {
    private static let lock = Mutex(())

    /// Prints one line to standard output and flushes it (so tmux and pipes see it at once).
    /// - Parameter line: The text, without the newline.
    public static func print(_ line: String) {
        Self.lock.withLock { _ in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }

    /// Prints one line to standard error.
    /// - Parameter line: The text, without the newline.
    public static func log(_ line: String) {
        Self.lock.withLock { _ in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Writes text to standard error without a newline (for a progress line that `\r` rewrites).
    /// - Parameter text: The text.
    public static func progress(_ text: String) {
        Self.lock.withLock { _ in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Whether standard error is a terminal (progress lines then rewrite themselves in place).
    public static var isErrorTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
