/// Writes etcd's WAL format: what tests and fixtures need to build etcd segments byte for byte
/// (frames, padding, the CRC chain), so the decoder is checked against an independent writer.
/// rafttop never writes a real etcd member's WAL with it.
public struct EtcdWALEncoder: Sendable {
    /// The running CRC after the last record framed.
    public private(set) var crc: UInt32

    /// Starts a segment whose crc record will carry `crc` (0 for the first segment).
    public init(crc: UInt32 = 0) {
        self.crc = crc
    }

    /// The frame of `record`: length word, walpb.Record, padding.
    public mutating func frame(_ record: EtcdWALRecord) -> [UInt8] {
        let (type, data) = Self.payload(record)
        if type == Int64(RecordType.crc.rawValue) {
            if case .crc(let carried) = record { crc = carried }
        } else {
            crc = CRC32C.update(crc, data)
        }
        return Self.frame(type: type, crc: crc, data: data)
    }

    /// A frame of a walpb.Record with the given fields, the CRC not checked: for damaged input.
    public static func frame(type: Int64, crc: UInt32, data: [UInt8]?) -> [UInt8] {
        var record = Proto.varint(1, UInt64(bitPattern: type)) + Proto.varint(2, UInt64(crc))
        if let data { record += Proto.bytes(3, data) }
        let padding = (8 - record.count % 8) % 8
        var length = UInt64(record.count)
        if padding != 0 { length |= UInt64(0x80 | padding) << 56 }
        var out: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
        out += record
        out += [UInt8](repeating: 0, count: padding)
        return out
    }

    /// A record's type and data as etcd marshals them.
    static func payload(_ record: EtcdWALRecord) -> (Int64, [UInt8]) {
        switch record {
        case .crc:
            return (Int64(RecordType.crc.rawValue), [])
        case .metadata(let node, let cluster):
            return (Int64(RecordType.metadata.rawValue), Proto.varint(1, node) + Proto.varint(2, cluster))
        case .entry(let e):
            return (Int64(RecordType.entry.rawValue),
                    Proto.varint(1, e.type) + Proto.varint(2, e.term) + Proto.varint(3, e.index) + Proto.bytes(4, e.data))
        case .hardState(let s):
            return (Int64(RecordType.hardState.rawValue), Proto.varint(1, s.term) + Proto.varint(2, s.vote) + Proto.varint(3, s.commit))
        case .snapshot(let index, let term):
            return (Int64(RecordType.snapshot.rawValue), Proto.varint(1, index) + Proto.varint(2, term))
        }
    }

    /// Protobuf fields as gogoproto writes them.
    public enum Proto {
        public static func varint(_ field: UInt64, _ value: UInt64) -> [UInt8] {
            ProtoWire.encodeVarint(field << 3) + ProtoWire.encodeVarint(value)
        }

        public static func bytes(_ field: UInt64, _ value: [UInt8]) -> [UInt8] {
            ProtoWire.encodeVarint(field << 3 | 2) + ProtoWire.encodeVarint(UInt64(value.count)) + value
        }

        public static func string(_ field: UInt64, _ value: String) -> [UInt8] { bytes(field, Array(value.utf8)) }
    }
}
