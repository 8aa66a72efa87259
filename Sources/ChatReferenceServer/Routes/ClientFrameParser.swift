import NIOCore

/// Reads the frames a client sends (RFC 6455 §5.2) straight from the bytes the socket delivered, in place of NIO's
/// frame decoder and its byte-to-message handler: no frame object, and a data frame's payload is unmasked once, into
/// the array the connection hands on (NIO's decoder made a frame, then the connection copied its unmasked buffer).
///
/// The connection feeds it every buffer it reads; bytes of a frame that has not fully arrived stay in ``pending``
/// (at most one frame: the header is checked against the frame limit before its payload is waited for).
struct ClientFrameParser {
    /// One frame as the connection handles it.
    struct Frame: Equatable {
        var fin: Bool
        /// The three reserved bits (no extension is negotiated: any set bit is a protocol error).
        var reservedBits: UInt8
        /// The opcode's four bits (RFC 6455 §5.2; unknown values are the connection's to reject).
        var opcode: UInt8
        var masked: Bool
        /// The payload, unmasked.
        var payload: [UInt8]

        var isControl: Bool { self.opcode & 0x8 != 0 }
    }

    /// What the next bytes hold.
    enum Step: Equatable {
        case frame(Frame)
        /// The rest of the frame has not arrived yet.
        case needMore
        /// Longer than the frame limit (or a 64-bit length with its top bit set): close with 1009.
        case tooLarge
        /// A control frame that is fragmented or longer than 125 bytes (§5.5): close with 1002.
        case badControlFrame
    }

    /// The connection's frame limit: a longer frame is refused as soon as its header is read.
    let maxFrameSize: Int
    /// Bytes of a frame that has not fully arrived.
    private(set) var pending: ByteBuffer?

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Adds bytes read from the socket.
    mutating func append(_ buffer: ByteBuffer) {
        if self.pending == nil || self.pending?.readableBytes == 0 {
            self.pending = buffer
        } else {
            var buffer = buffer
            self.pending?.writeBuffer(&buffer)
        }
    }

    /// Takes the next whole frame from the bytes appended so far.
    mutating func next() -> Step {
        guard var buffer = self.pending else { return .needMore }
        self.pending = nil
        let step = Self.parse(&buffer, maxFrameSize: self.maxFrameSize)
        if buffer.readableBytes > 0 {
            if case .needMore = step, buffer.readerIndex > 0, buffer.readableBytes < 4096 {
                // Keep only the partial frame, not the whole read buffer (NIO reuses that buffer when nothing else
                // holds it).
                self.pending = ByteBuffer(buffer.readableBytesView)
            } else {
                self.pending = buffer
            }
        }
        return step
    }

    /// Drops the bytes held (the connection stops reading frames).
    mutating func reset() {
        self.pending = nil
    }

    /// Reads one frame from the front of `buffer`; on ``Step/needMore`` nothing is consumed.
    static func parse(_ buffer: inout ByteBuffer, maxFrameSize: Int) -> Step {
        let readable = buffer.readableBytes
        guard readable >= 2, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return .needMore }
        let opcode = first & 0x0F
        let masked = second & 0x80 != 0
        let shortLength = second & 0x7F
        var headerSize = 2
        let length: UInt64
        switch shortLength {
        case 126:
            guard readable >= 4, let value = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else {
                return .needMore
            }
            length = UInt64(value)
            headerSize = 4
        case 127:
            guard readable >= 10, let value = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else {
                return .needMore
            }
            length = value
            headerSize = 10
        default:
            length = UInt64(shortLength)
        }
        guard length <= UInt64(maxFrameSize) else { return .tooLarge }
        let fin = first & 0x80 != 0
        if opcode & 0x8 != 0, !fin || length > 125 { return .badControlFrame }
        let count = Int(length)
        let keyOffset = headerSize
        if masked { headerSize += 4 }
        guard readable >= headerSize + count else { return .needMore }
        let payload = buffer.withUnsafeReadableBytes { raw -> [UInt8] in
            let body = UnsafeRawBufferPointer(rebasing: raw[headerSize..<(headerSize + count)])
            guard masked else { return Array(body) }
            let key = UnsafeRawBufferPointer(rebasing: raw[keyOffset..<(keyOffset + 4)])
            return Self.unmask(body, key: key)
        }
        buffer.moveReaderIndex(forwardBy: headerSize + count)
        return .frame(
            Frame(fin: fin, reservedBits: first & 0x70, opcode: opcode, masked: masked, payload: payload)
        )
    }

    /// `body` XOR the repeated 4-byte `key` (§5.3), eight bytes at a time.
    static func unmask(_ body: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) -> [UInt8] {
        let count = body.count
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            let key32 = key.loadUnaligned(as: UInt32.self)
            let key64 = UInt64(key32) | UInt64(key32) << 32
            let target = UnsafeMutableRawBufferPointer(output)
            var index = 0
            while index + 8 <= count {
                let word = body.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ key64
                target.storeBytes(of: word, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < count {
                output[index] = body[index] ^ key[index & 3]
                index += 1
            }
            initialized = count
        }
    }
}
