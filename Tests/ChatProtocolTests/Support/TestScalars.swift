import ChatProtocol

/// `test.Scalars` (Fixtures/protobuf/test/scalars.proto): every scalar type, packed and unpacked repeated
/// fields and a repeated nested message, to prove the codec primitives the v2 schema does not use.
struct TestScalars: ProtobufMessage {
    var i32: Int32 = 0
    var i64: Int64 = 0
    var u32: UInt32 = 0
    var u64: UInt64 = 0
    var s32: Int32 = 0
    var s64: Int64 = 0
    var f32: UInt32 = 0
    var f64: UInt64 = 0
    var sf32: Int32 = 0
    var sf64: Int64 = 0
    var flt: Float = 0
    var dbl: Double = 0
    var b = false
    var str = ""
    var byt: [UInt8] = []
    var packedU64: [UInt64] = []
    var packedS32: [Int32] = []
    var packedF32: [UInt32] = []
    var packedDbl: [Double] = []
    var unpackedU64: [UInt64] = []
    var children: [TestScalars] = []

    var protobufSize: Int { self.computedProtobufSize }

    // Floats compare by bit pattern so that -0.0 and NaN payloads round-trip exactly.
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.i32 == rhs.i32 && lhs.i64 == rhs.i64 && lhs.u32 == rhs.u32 && lhs.u64 == rhs.u64 && lhs.s32 == rhs.s32
            && lhs.s64 == rhs.s64 && lhs.f32 == rhs.f32 && lhs.f64 == rhs.f64 && lhs.sf32 == rhs.sf32
            && lhs.sf64 == rhs.sf64 && lhs.flt.bitPattern == rhs.flt.bitPattern
            && lhs.dbl.bitPattern == rhs.dbl.bitPattern && lhs.b == rhs.b && lhs.str == rhs.str && lhs.byt == rhs.byt
            && lhs.packedU64 == rhs.packedU64 && lhs.packedS32 == rhs.packedS32 && lhs.packedF32 == rhs.packedF32
            && lhs.packedDbl.map(\.bitPattern) == rhs.packedDbl.map(\.bitPattern)
            && lhs.unpackedU64 == rhs.unpackedU64 && lhs.children == rhs.children
    }

    func hash(into hasher: inout Hasher) { hasher.combine(self.u64) }

    func encode<Sink: ProtobufSink>(into sink: inout Sink) {
        sink.writeInt32(self.i32, field: 1)
        sink.writeInt64(self.i64, field: 2)
        sink.writeUInt32(self.u32, field: 3)
        sink.writeUInt64(self.u64, field: 4)
        sink.writeSInt32(self.s32, field: 5)
        sink.writeSInt64(self.s64, field: 6)
        sink.writeFixed32(self.f32, field: 7)
        sink.writeFixed64(self.f64, field: 8)
        sink.writeSFixed32(self.sf32, field: 9)
        sink.writeSFixed64(self.sf64, field: 10)
        sink.writeFloat(self.flt, field: 11)
        sink.writeDouble(self.dbl, field: 12)
        sink.writeBool(self.b, field: 13)
        sink.writeString(self.str, field: 14)
        sink.writeBytes(self.byt, field: 15)
        sink.writePackedVarints(self.packedU64, field: 16)
        sink.writePackedVarints(self.packedS32.map { UInt64(ZigZag.encoded($0)) }, field: 17)
        sink.writePackedFixed32(self.packedF32, field: 18)
        sink.writePackedFixed64(self.packedDbl.map(\.bitPattern), field: 19)
        for value in self.unpackedU64 {
            sink.writeTag(20, .varint)
            sink.appendVarint(value)
        }
        sink.writeRepeatedMessages(self.children, field: 21)
    }

    mutating func decodeField(_ tag: FieldTag, from reader: inout ProtobufReader) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: self.i32 = try reader.readInt32(tag)
        case 2: self.i64 = try reader.readInt64(tag)
        case 3: self.u32 = try reader.readUInt32(tag)
        case 4: self.u64 = try reader.readUInt64(tag)
        case 5: self.s32 = try reader.readSInt32(tag)
        case 6: self.s64 = try reader.readSInt64(tag)
        case 7: self.f32 = try reader.readFixed32(tag)
        case 8: self.f64 = try reader.readFixed64(tag)
        case 9: self.sf32 = try reader.readSFixed32(tag)
        case 10: self.sf64 = try reader.readSFixed64(tag)
        case 11: self.flt = try reader.readFloat(tag)
        case 12: self.dbl = try reader.readDouble(tag)
        case 13: self.b = try reader.readBool(tag)
        case 14: self.str = try reader.readString(tag)
        case 15: self.byt = try reader.readBytes(tag)
        case 16:
            try reader.readRepeated(tag, elementWireType: .varint, into: &self.packedU64) { (r) throws(WireError) in
                try r.readVarint()
            }
        case 17:
            try reader.readRepeated(tag, elementWireType: .varint, into: &self.packedS32) { (r) throws(WireError) in
                ZigZag.decoded(UInt32(truncatingIfNeeded: try r.readVarint()))
            }
        case 18:
            try reader.readRepeated(tag, elementWireType: .fixed32, into: &self.packedF32) { (r) throws(WireError) in
                try r.readFixed32()
            }
        case 19:
            try reader.readRepeated(tag, elementWireType: .fixed64, into: &self.packedDbl) { (r) throws(WireError) in
                Double(bitPattern: try r.readFixed64())
            }
        case 20:
            try reader.readRepeated(tag, elementWireType: .varint, into: &self.unpackedU64) { (r) throws(WireError) in
                try r.readVarint()
            }
        case 21: self.children.append(try reader.readMessage(tag))
        default: return false
        }
        return true
    }
}
