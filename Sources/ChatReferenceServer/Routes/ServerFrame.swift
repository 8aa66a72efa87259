import NIOCore

/// Websocket frames as the server writes them (RFC 6455 §5.2: final, unmasked, no extension): the header and the
/// payload in one buffer, so a frame is one write and one `iovec` (NIO's frame encoder writes the header as a second
/// buffer unless the payload has room in front of it).
enum ServerFrame {
    /// The opcodes the server sends.
    enum Opcode: UInt8 {
        case text = 0x1
        case binary = 0x2
        case connectionClose = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// The header's size for a payload of `count` bytes: 2, 4 (from 126 bytes) or 10 (from 64 KiB).
    static func headerSize(payload count: Int) -> Int {
        count < 126 ? 2 : count <= 0xFFFF ? 4 : 10
    }

    /// Writes the header of a final, unmasked frame with a payload of `count` bytes.
    static func writeHeader(_ opcode: Opcode, payload count: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x80) | opcode.rawValue)
        if count < 126 {
            buffer.writeInteger(UInt8(count))
        } else if count <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(count))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(count))
        }
    }

    /// A whole frame carrying `payload`.
    static func make(_ opcode: Opcode, payload: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.headerSize(payload: payload.count) + payload.count)
        Self.writeHeader(opcode, payload: payload.count, into: &buffer)
        buffer.writeBytes(payload)
        return buffer
    }
}
