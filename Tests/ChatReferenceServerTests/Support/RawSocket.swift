import Dispatch

#if canImport(Glibc)
import Glibc
private let systemConnect = Glibc.connect
#elseif canImport(Darwin)
import Darwin
private let systemConnect = Darwin.connect
#endif

/// A bare TCP socket that performs a websocket handshake by hand, so tests can misbehave in ways a websocket client
/// library will not: vanish without a close frame, never answer pings, send oversize frames.
///
/// Blocking calls run on a Dispatch queue, never on the Swift concurrency pool, which the in-process server needs.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32

    /// Connects to `127.0.0.1:port` and upgrades `path` (offering `subprotocol`, when given); returns `nil` when the
    /// upgrade is refused.
    static func connect(
        port: Int,
        path: String,
        cookie: String? = nil,
        subprotocol: String? = nil,
        receiveBuffer: Int32? = nil
    ) async -> RawSocket? {
        await Self.offPool {
            RawSocket(port: port, path: path, cookie: cookie, subprotocol: subprotocol, receiveBuffer: receiveBuffer)
        }
    }

    /// Connects to `127.0.0.1:port` and sends nothing: a plain TCP connection, for HTTP by hand.
    static func plain(port: Int) async -> RawSocket? {
        await Self.offPool {
            RawSocket(port: port, path: nil, cookie: nil, subprotocol: nil, receiveBuffer: nil)
        }
    }

    /// Reads until the server closes the connection (or the 10 s read timeout); returns everything read.
    func readToEnd() async -> [UInt8] {
        await Self.offPool {
            var all: [UInt8] = []
            while true {
                let chunk = self.read(4096)
                if chunk.isEmpty { return all }
                all += chunk
            }
        }
    }

    /// Runs blocking work on a Dispatch thread.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    private init?(port: Int, path: String?, cookie: String?, subprotocol: String?, receiveBuffer: Int32?) {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // reads never block a test for long
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer {  // a small window makes a slow reader cheap to simulate
            setsockopt(self.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                systemConnect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        guard let path else { return }
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let cookie { head += "Cookie: sid=\(cookie)\r\n" }
        if let subprotocol { head += "Sec-WebSocket-Protocol: \(subprotocol)\r\n" }
        self.write(Array((head + "\r\n").utf8))
        var response: [UInt8] = []
        while !response.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard let byte = self.read(1).first else { return nil }
            response.append(byte)
        }
        guard String(decoding: response, as: UTF8.self).hasPrefix("HTTP/1.1 101") else { return nil }
    }

    func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func read(_ count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, count, 0) }
        return n > 0 ? Array(buffer.prefix(n)) : []
    }

    /// Sends one masked text frame with `size` bytes of payload.
    func sendText(size: Int) {
        var frame: [UInt8] = [0x81]
        if size < 126 {
            frame.append(0x80 | UInt8(size))
        } else {
            frame.append(0x80 | 126)
            frame += [UInt8(size >> 8), UInt8(size & 0xFF)]
        }
        frame += [0, 0, 0, 0]  // zero mask: payload unchanged
        frame += [UInt8](repeating: UInt8(ascii: "a"), count: size)
        self.write(frame)
    }

    /// Reads frames until `count` text frames containing `marker` have arrived, or a close frame, or the end.
    func readTextFrames(_ count: Int, containing marker: String) async -> (matched: Int, closeCode: UInt16?) {
        let read = await self.readFrames(until: count, containing: marker)
        return (read.matched, read.closeCode)
    }

    /// Reads frames until `count` frames containing `marker` have arrived, or a close frame, or the end; also returns
    /// the opcode of every frame read (0x9: a websocket ping, left unanswered).
    func readFrames(
        until count: Int,
        containing marker: String
    ) async -> (matched: Int, closeCode: UInt16?, opcodes: [UInt8]) {
        await Self.offPool {
            var matched = 0
            var opcodes: [UInt8] = []
            let needle = Array(marker.utf8)
            while matched < count {
                guard let (opcode, payload) = self.blockingReadFrame() else { return (matched, nil, opcodes) }
                opcodes.append(opcode)
                if opcode == 0x8 { return (matched, Self.closeCode(payload), opcodes) }
                if payload.count >= needle.count,
                    (0...(payload.count - needle.count)).contains(where: {
                        payload[$0..<($0 + needle.count)].elementsEqual(needle)
                    })
                {
                    matched += 1
                }
            }
            return (matched, nil, opcodes)
        }
    }

    /// Reads frames until a close frame arrives; returns its code, or `nil` if the connection ended first.
    func readCloseCode() async -> UInt16? {
        await Self.offPool {
            while let (opcode, payload) = self.blockingReadFrame() {
                if opcode == 0x8 { return Self.closeCode(payload) }
            }
            return nil
        }
    }

    /// One unmasked server frame (payloads up to 64 KB): its opcode and payload, or `nil` when the connection ends.
    private func blockingReadFrame() -> (opcode: UInt8, payload: [UInt8])? {
        let header = self.readExactly(2)
        guard header.count == 2 else { return nil }
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            let ext = self.readExactly(2)
            guard ext.count == 2 else { return nil }
            length = Int(ext[0]) << 8 | Int(ext[1])
        }
        return (header[0] & 0x0F, self.readExactly(length))
    }

    private static func closeCode(_ payload: [UInt8]) -> UInt16 {
        payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
    }

    private func readExactly(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            let chunk = self.read(count - out.count)
            if chunk.isEmpty { break }
            out += chunk
        }
        return out
    }

    /// Writes `frame` up to `count` times, each once the socket has room; stops early when the socket stays full for
    /// `stall` (the server stopped reading). Returns how many were written whole.
    func writeUntilStalled(_ frame: [UInt8], count: Int, stall: Duration) async -> Int {
        let stallMs = Int32(stall.components.seconds * 1000 + stall.components.attoseconds / 1_000_000_000_000_000)
        return await Self.offPool {
            for index in 0..<count {
                var entry = pollfd(fd: self.fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&entry, 1, stallMs) == 1, entry.revents & Int16(POLLOUT) != 0 else { return index }
                self.write(frame)  // room for a third of the send buffer: a small frame goes whole
            }
            return count
        }
    }

    /// Closes the TCP connection without a websocket close frame; `reset` sends an RST instead of a FIN.
    func drop(reset: Bool = false) {
        if reset {
            var option = linger(l_onoff: 1, l_linger: 0)
            setsockopt(self.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        }
        close(self.fd)
    }
}
