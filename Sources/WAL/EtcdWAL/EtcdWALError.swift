/// Why an etcd WAL could not be read (further), naming the file and byte offset.
public enum EtcdWALError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The directory or a file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// No file named like etcd's segments (`%016x-%016x.wal`).
    case noSegments(directory: String)
    /// Segment sequence numbers skip one: a segment is missing.
    case missingSegment(directory: String, after: String, next: String)
    /// A length word declares a record over the limit etcd itself refuses.
    case recordTooLarge(file: String, offset: Int, bytes: UInt64, limit: Int)
    /// A record's CRC does not match its data, chained from the previous record.
    case crcMismatch(file: String, offset: Int, stored: UInt32, computed: UInt32)
    /// A segment's crc record does not carry the CRC the previous segment ended with.
    case crcChainBroken(file: String, offset: Int, carried: UInt32, expected: UInt32)
    /// A frame runs past the end of a segment that is not the last.
    case truncated(file: String, offset: Int, needed: Int, available: Int)
    /// The frame is whole and its CRC matches, yet it does not decode.
    case malformed(file: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): cannot read: \(reason)"
        case .noSegments(let directory): "\(directory): no etcd WAL segment (%016x-%016x.wal)"
        case .missingSegment(let directory, let after, let next): "\(directory): segment missing between \(after) and \(next)"
        case .recordTooLarge(let file, let offset, let bytes, let limit):
            "\(file) at byte \(offset): record length \(bytes) B is over the limit of \(limit) B"
        case .crcMismatch(let file, let offset, let stored, let computed):
            "\(file) at byte \(offset): crc mismatch (stored \(hex32(stored)), computed \(hex32(computed)))"
        case .crcChainBroken(let file, let offset, let carried, let expected):
            "\(file) at byte \(offset): crc record carries \(hex32(carried)), the previous segment ended at \(hex32(expected))"
        case .truncated(let file, let offset, let needed, let available):
            "\(file) at byte \(offset): frame of \(needed) B cut short, \(available) B left in a segment that is not the last"
        case .malformed(let file, let offset, let reason): "\(file) at byte \(offset): malformed record: \(reason)"
        }
    }

    /// The file and offset the error names, when it names one.
    public var position: (file: String, offset: Int)? {
        switch self {
        case .recordTooLarge(let f, let o, _, _), .crcMismatch(let f, let o, _, _), .crcChainBroken(let f, let o, _, _),
             .truncated(let f, let o, _, _), .malformed(let f, let o, _):
            (f, o)
        default: nil
        }
    }
}

/// Where the last segment's records stop short of a whole frame: what a crash, or a write in
/// progress, leaves. Everything before `offset` is whole.
public struct EtcdWALTornTail: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var offset: Int
    public var reason: String

    public var description: String { "\(file) at byte \(offset): \(reason)" }
}
