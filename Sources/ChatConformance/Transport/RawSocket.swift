import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
private let systemConnect = Glibc.connect
private let systemClose = Glibc.close
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let systemConnect = Darwin.connect
private let systemClose = Darwin.close
private let streamSocket = SOCK_STREAM
#endif

/// The answer to a hand-made websocket upgrade request.
public struct HandshakeAnswer: Sendable {
    /// The status code (101 when upgraded).
    public var status: Int
    /// The response head's header lines, lower-cased names.
    public var headers: [(String, String)]
    /// The body of a refusal (read up to `Content-Length`, or what arrives within a short wait).
    public var body: String

    /// The first value of header `name`.
    /// - Parameter name: The lower-case header name.
    /// - Returns: Its value.
    public func header(_ name: String) -> String? { self.headers.first { $0.0 == name }?.1 }
    /// The refusal body as a JSON object.
    public var json: [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any]
    }
    /// "status 401 body …" for failure messages.
    public var summary: String { "status \(self.status) body \(self.body.isEmpty ? "(empty)" : self.body)" }
}

/// A bare TCP socket speaking websocket by hand, for what a websocket library will not do: read the status of a
/// refused upgrade, vanish without a close frame, never answer pings, stop reading, send malformed frames.
///
/// Blocking calls run on Dispatch threads, never on the Swift concurrency pool.
public final class RawSocket: Sendable {
    private let fd: Int32
    private let isClosed = Atomic<Bool>(false)

    /// A frame read from the server.
    public struct Frame: Sendable {
        /// The opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong).
        public var opcode: UInt8
        /// The payload.
        public var payload: [UInt8]
        /// The close code of a close frame (1005 when it carries none).
        public var closeCode: UInt16? {
            guard self.opcode == 8 else { return nil }
            return self.payload.count >= 2 ? UInt16(self.payload[0]) << 8 | UInt16(self.payload[1]) : 1005
        }
        /// The payload as text.
        public var text: String { String(decoding: self.payload, as: UTF8.self) }
    }

    private init(fd: Int32) { self.fd = fd }

    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    /// Connects and sends an upgrade request for `path`; returns the answer and, when upgraded, the socket.
    static func handshake(
        host: String,
        port: Int,
        path: String,
        headers: [(String, String)],
        receiveBuffer: Int32?
    ) async throws -> (HandshakeAnswer, RawSocket?) {
        let result: Result<(HandshakeAnswer, RawSocket?), ScenarioFailure> = await Self.offPool {
            let fd = socket(AF_INET, streamSocket, 0)
            guard fd >= 0 else { return .failure(ScenarioFailure("socket() failed")) }
            if var size = receiveBuffer {
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr(host)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    systemConnect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let raw = RawSocket(fd: fd)
            guard connected == 0 else {
                raw.drop()
                return .failure(ScenarioFailure("cannot connect to \(host):\(port)"))
            }
            var head = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            head += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            raw.write(Array((head + "\r\n").utf8))
            var response: [UInt8] = []
            while !response.suffix(4).elementsEqual([13, 10, 13, 10]) {
                guard let byte = raw.read(1, timeout: 10).first else { break }
                response.append(byte)
            }
            let lines = String(decoding: response, as: UTF8.self).split(separator: "\r\n").map(String.init)
            let statusParts = lines.first?.split(separator: " ") ?? []
            let status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
            let fields: [(String, String)] = lines.dropFirst().compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (
                    line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                )
            }
            var answer = HandshakeAnswer(status: status, headers: fields, body: "")
            if status == 101 { return .success((answer, raw)) }
            if let length = answer.header("content-length").flatMap(Int.init) {
                answer.body = String(decoding: raw.readExactly(length, timeout: 5), as: UTF8.self)
            } else {
                answer.body = String(decoding: raw.read(65536, timeout: 1), as: UTF8.self)
            }
            raw.drop()
            return .success((answer, nil))
        }
        return try result.get()
    }

    /// Writes bytes (blocking, small writes only).
    /// - Parameter bytes: The bytes.
    public func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes one masked frame.
    /// - Parameters:
    ///   - opcode: The opcode.
    ///   - payload: The payload.
    ///   - fin: The FIN bit.
    ///   - masked: Whether to mask (clients must; `false` provokes a protocol error).
    public func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true) {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            frame.append(maskBit | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame.append(maskBit | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8((payload.count >> shift) & 0xFF)) }
        }
        if masked {
            let key: [UInt8] = [0x12, 0x34, 0x56, 0x78]
            frame += key
            frame += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        } else {
            frame += payload
        }
        self.write(frame)
    }

    /// Sends a text frame.
    /// - Parameter text: The text.
    public func sendText(_ text: String) { self.sendFrame(opcode: 1, payload: Array(text.utf8)) }

    /// Sends a close frame.
    /// - Parameter code: The close code.
    public func sendClose(_ code: UInt16) {
        self.sendFrame(opcode: 8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)])
    }

    /// Reads the next frame, or `nil` when the connection ended or nothing arrived within `timeout` seconds.
    /// - Parameter timeout: Seconds.
    /// - Returns: The frame.
    public func readFrame(timeout: Int = 5) async -> Frame? {
        await Self.offPool { self.blockingReadFrame(timeout: timeout) }
    }

    /// Reads frames until a close frame arrives, answering nothing; returns its code, or `nil` (no close frame).
    /// - Parameter timeout: Seconds to wait for each frame.
    /// - Returns: The close code.
    public func readCloseCode(timeout: Int = 5) async -> UInt16? {
        await Self.offPool {
            while let frame = self.blockingReadFrame(timeout: timeout) {
                if let code = frame.closeCode { return code }
            }
            return nil
        }
    }

    /// Whether the server ended the TCP connection (EOF or reset) within `timeout` seconds, reading and discarding
    /// whatever arrives meanwhile.
    /// - Parameter timeout: Seconds.
    /// - Returns: Whether the connection ended.
    public func waitForEnd(timeout: Int) async -> Bool {
        await Self.offPool {
            let deadline = Date().addingTimeInterval(TimeInterval(timeout))
            while Date() < deadline {
                var buffer = [UInt8](repeating: 0, count: 4096)
                var tv = timeval(tv_sec: 1, tv_usec: 0)
                setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, 4096, 0) }
                if n == 0 { return true }
                if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return true }
            }
            return false
        }
    }

    private func blockingReadFrame(timeout: Int) -> Frame? {
        let header = self.readExactly(2, timeout: timeout)
        guard header.count == 2 else { return nil }
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            let ext = self.readExactly(2, timeout: timeout)
            guard ext.count == 2 else { return nil }
            length = Int(ext[0]) << 8 | Int(ext[1])
        } else if length == 127 {
            let ext = self.readExactly(8, timeout: timeout)
            guard ext.count == 8 else { return nil }
            length = ext.reduce(0) { $0 << 8 | Int($1) }
        }
        let payload = self.readExactly(length, timeout: timeout)
        guard payload.count == length else { return nil }
        return Frame(opcode: header[0] & 0x0F, payload: payload)
    }

    func read(_ count: Int, timeout: Int) -> [UInt8] {
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, count, 0) }
        return n > 0 ? Array(buffer.prefix(n)) : []
    }

    func readExactly(_ count: Int, timeout: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            let chunk = self.read(count - out.count, timeout: timeout)
            if chunk.isEmpty { break }
            out += chunk
        }
        return out
    }

    /// Closes the TCP connection without a close frame; `reset` sends an RST instead of a FIN. Idempotent.
    /// - Parameter reset: Whether to reset.
    public func drop(reset: Bool = false) {
        guard !self.isClosed.exchange(true, ordering: .relaxed) else { return }
        if reset {
            var option = linger(l_onoff: 1, l_linger: 0)
            setsockopt(self.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        }
        _ = systemClose(self.fd)
    }

    deinit { self.drop() }
}

extension ScenarioContext {
    /// Sends a websocket upgrade by hand and returns the answer; the socket, when upgraded, is dropped at the end of
    /// the scenario.
    /// - Parameters:
    ///   - path: Path and query.
    ///   - cookie: A session id sent as the `sid` cookie.
    ///   - headers: Extra headers.
    ///   - receiveBuffer: `SO_RCVBUF` in bytes, to simulate a slow reader cheaply.
    /// - Returns: The answer and the upgraded socket.
    /// - Throws: ``ScenarioSkip`` for TLS servers; ``ScenarioFailure`` when the connection fails.
    public func rawHandshake(
        _ path: String,
        cookie: String? = nil,
        headers: [(String, String)] = [],
        receiveBuffer: Int32? = nil
    ) async throws -> (answer: HandshakeAnswer, socket: RawSocket?) {
        guard let address = self.configuration.tcpAddress else {
            throw ScenarioSkip("raw TCP scenarios need an http:// server URL")
        }
        var all = headers
        if let cookie { all.append(("Cookie", "sid=\(cookie)")) }
        let (answer, socket) = try await RawSocket.handshake(
            host: address.host,
            port: address.port,
            path: path,
            headers: all,
            receiveBuffer: receiveBuffer
        )
        if let socket { self.remember(socket: socket) }
        return (answer, socket)
    }

    /// Upgrades `path` by hand and returns the socket; fails when refused.
    /// - Parameters:
    ///   - path: Path and query.
    ///   - cookie: A session id.
    ///   - receiveBuffer: `SO_RCVBUF` in bytes.
    /// - Returns: The socket.
    /// - Throws: ``ScenarioFailure`` when refused.
    public func rawWebSocket(
        _ path: String,
        cookie: String? = nil,
        receiveBuffer: Int32? = nil
    ) async throws
        -> RawSocket
    {
        let (answer, socket) = try await self.rawHandshake(path, cookie: cookie, receiveBuffer: receiveBuffer)
        guard let socket else { throw ScenarioFailure("upgrade of \(path) refused: \(answer.summary)") }
        return socket
    }
}
