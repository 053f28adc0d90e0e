import Raft

/// Who wrote a WAL: every segment starts with it, and all must agree.
public struct WALMetadata: Sendable, Hashable {
    public var memberID: UInt64
    public var clusterID: UInt64

    public init(memberID: UInt64, clusterID: UInt64) {
        self.memberID = memberID
        self.clusterID = clusterID
    }
}

/// A snapshot marker in the WAL: the position (index, term) a snapshot was taken at, from
/// which the WAL can be read.
public struct WALSnapshot: Sendable, Hashable, CustomStringConvertible {
    public var index: UInt64
    public var term: UInt64

    public init(index: UInt64 = 0, term: UInt64 = 0) {
        self.index = index
        self.term = term
    }

    public var description: String { "index \(index) term \(term)" }
}

/// The kinds of record, with etcd's numbers.
public enum RecordType: UInt8, Sendable, Hashable, CustomStringConvertible {
    case metadata = 1
    case entry = 2
    case hardState = 3
    /// The rolling CRC carried over from the previous segment, first in every segment.
    case crc = 4
    case snapshot = 5

    public var description: String {
        switch self {
        case .metadata: "metadata"
        case .entry: "entry"
        case .hardState: "hard state"
        case .crc: "crc"
        case .snapshot: "snapshot"
        }
    }
}

/// One decoded record.
enum WALRecord: Sendable, Hashable {
    case metadata(WALMetadata)
    case entry(Entry)
    case hardState(HardState)
    case crc(UInt32)
    case snapshot(WALSnapshot)
}

/// The framing every record shares:
///
///     length   8 bytes LE: low 56 bits the body length; top byte 0x80 | padding when padded
///     body     type (1 byte), crc (4 bytes LE), payload
///     padding  zeros to the next multiple of 8
///
/// The length field is 8-byte aligned, so a torn sector never splits it. The crc is
/// CRC32C over type and payload, continued from the previous record's crc; a crc record
/// instead stores the running value unchanged.
enum Frame {
    static let lengthBytes = 8
    static let headerBytes = 5
    static let alignment = 8
    /// Bounds a record so a damaged length field is recognized rather than trusted
    /// (etcd's limit for a WAL entry is 10 MB).
    static let maxBodyBytes = 10 * 1024 * 1024

    static func paddingBytes(forBody bodyBytes: Int) -> Int {
        (alignment - bodyBytes % alignment) % alignment
    }

    static func lengthField(bodyBytes: Int) -> UInt64 {
        let padding = paddingBytes(forBody: bodyBytes)
        let flag: UInt64 = padding == 0 ? 0 : (0x80 | UInt64(padding)) << 56
        return UInt64(bodyBytes) | flag
    }

    /// The body length and padding a length field declares, or nil if it is not one the
    /// encoder could have written.
    static func parseLengthField(_ field: UInt64) -> (bodyBytes: Int, paddingBytes: Int)? {
        let body = field & 0x00FF_FFFF_FFFF_FFFF
        guard body >= headerBytes, body <= maxBodyBytes else { return nil }
        let top = field >> 56
        let padding = top == 0 ? 0 : Int(top & 0x7F)
        guard top == 0 || top & 0x80 != 0, padding == paddingBytes(forBody: Int(body)) else { return nil }
        return (Int(body), padding)
    }

    /// Payload sizes of the fixed-size records.
    static let metadataPayloadBytes = 16
    static let hardStatePayloadBytes = 24
    static let snapshotPayloadBytes = 16
    static let entryHeaderBytes = 17
}
