import Raft

/// One record of an etcd WAL (walpb.Record), decoded: what etcd 3.4+ writes to
/// `<data-dir>/member/wal/*.wal`. Read to show a real etcd member's log; rafttop never writes it.
public enum EtcdWALRecord: Sendable, Hashable {
    /// etcdserverpb.Metadata: who wrote the WAL.
    case metadata(nodeID: UInt64, clusterID: UInt64)
    case entry(EtcdEntry)
    case hardState(HardState)
    /// The running CRC carried into a segment, first in every segment.
    case crc(UInt32)
    /// walpb.Snapshot: the position a snapshot was taken at.
    case snapshot(index: UInt64, term: UInt64)
}

/// A raftpb.Entry as etcd wrote it. `type` stays raw so a newer entry type still reads.
public struct EtcdEntry: Sendable, Hashable {
    public enum Kind: UInt64, Sendable {
        case normal = 0
        case confChange = 1
        case confChangeV2 = 2
    }

    public var term: UInt64
    public var index: UInt64
    public var type: UInt64
    public var data: [UInt8]

    public init(term: UInt64, index: UInt64, type: UInt64 = 0, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.type = type
        self.data = data
    }

    public var kind: Kind? { Kind(rawValue: type) }

    /// etcd-dump-logs' name for the type column.
    public var typeName: String {
        switch kind {
        case .normal: "norm"
        case .confChange: "conf"
        case .confChangeV2: "confv2"
        case nil: "type\(type)"
        }
    }
}

extension EtcdWALRecord {
    /// Decodes a record's `data` by its type; the CRC is checked by the caller.
    static func decode(type: Int64, crc: UInt32, data: [UInt8]) throws(ProtoWireError) -> EtcdWALRecord {
        // walpb.Record's type is an int64 carrying the numbers of the WAL's own RecordType.
        guard let known = UInt8(exactly: type).flatMap(RecordType.init(rawValue:)) else {
            throw ProtoWireError(reason: "unknown record type \(type)", offset: 0)
        }
        switch known {
        case .crc:
            return .crc(crc)
        case .metadata:
            let m = try ProtoMessage(data)
            return .metadata(nodeID: m.uint(1), clusterID: m.uint(2))
        case .entry:
            let m = try ProtoMessage(data)
            guard m.conforms(to: [1: .varint, 2: .varint, 3: .varint, 4: .bytes]) else {
                throw ProtoWireError(reason: "entry has fields raftpb.Entry does not", offset: 0)
            }
            return .entry(EtcdEntry(term: m.uint(2), index: m.uint(3), type: m.uint(1), data: m.bytes(4)))
        case .hardState:
            let m = try ProtoMessage(data)
            guard m.conforms(to: [1: .varint, 2: .varint, 3: .varint]) else {
                throw ProtoWireError(reason: "hard state has fields raftpb.HardState does not", offset: 0)
            }
            return .hardState(HardState(term: m.uint(1), vote: m.uint(2), commit: m.uint(3)))
        case .snapshot:
            // etcd 3.5 adds conf_state (3); it is not needed to place the marker.
            let m = try ProtoMessage(data)
            return .snapshot(index: m.uint(1), term: m.uint(2))
        }
    }
}
