import Foundation
import Synchronization

/// The `chat-server` executable run as a child process, so a test can kill it and start it again on the same port
/// with the same data directory.
final class ServerProcess: Sendable {
    let dataDirectory: String
    private let process = Mutex<Process?>(nil)
    private let boundPort = Mutex<Int?>(nil)

    init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    var port: Int? { self.boundPort.withLock { $0 } }

    static var executable: URL {
        // Tests/EndToEndTests/Support/ServerProcess.swift → package root → .build/debug/chat-server
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/debug/chat-server")
    }

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: Self.executable.path) }

    /// Starts the server (on `port`, or on a free port the first time) and waits until it listens.
    func start(port: Int = 0) async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "\(port)", "--data-dir", self.dataDirectory, "--log-level", "info"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                continuation.finish()
                handle.readabilityHandler = nil
            } else {
                continuation.yield(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        self.process.withLock { $0 = process }
        let found: Int? = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                var text = ""
                for await chunk in lines {
                    text += chunk
                    if let range = text.range(of: "listening on http://127.0.0.1:") {
                        let digits = text[range.upperBound...].prefix { $0.isNumber }
                        if let port = Int(digits) { return port }
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let found else { throw E2EFailure("chat-server did not report its port") }
        self.boundPort.withLock { $0 = found }
    }

    /// Kills the server abruptly (SIGKILL: no close frames, like a crash) and waits for it to exit.
    func kill() {
        guard let process = self.process.withLock({ $0 }) else { return }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        if let process = self.process.withLock({ $0 }), process.isRunning {
            process.terminate()
        }
    }
}
