#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Raft

/// An etcd WAL directory: its segments, named `%016x-%016x.wal` (sequence, first index), in order.
public struct EtcdWALDirectory: Sendable, Hashable {
    public struct Segment: Sendable, Hashable {
        public var name: String
        public var sequence: UInt64
        public var index: UInt64
    }

    public var path: String
    public var segments: [Segment]

    /// The WAL directory `path` names: an etcd data dir (holding member/wal), a member dir
    /// (holding wal), or the wal dir itself; nil when none holds an etcd segment.
    public static func locate(_ path: String) -> String? {
        for candidate in [path + "/member/wal", path + "/wal", path] where hasSegments(candidate) {
            return candidate
        }
        return nil
    }

    static func hasSegments(_ directory: String) -> Bool {
        ((try? PosixFileSystem().list(directory)) ?? []).contains { parseName($0) != nil }
    }

    /// `%016x-%016x.wal` as (sequence, index), or nil for any other name (etcd's `0.tmp`, locks).
    public static func parseName(_ name: String) -> (sequence: UInt64, index: UInt64)? {
        let bytes = Array(name.utf8)
        guard bytes.count == 37, name.hasSuffix(".wal"), bytes[16] == UInt8(ascii: "-") else { return nil }
        let isHex = { (b: UInt8) in (b >= 48 && b <= 57) || (b >= 97 && b <= 102) }
        guard bytes[0..<16].allSatisfy(isHex), bytes[17..<33].allSatisfy(isHex),
              let sequence = UInt64(String(decoding: bytes[0..<16], as: UTF8.self), radix: 16),
              let index = UInt64(String(decoding: bytes[17..<33], as: UTF8.self), radix: 16)
        else { return nil }
        return (sequence, index)
    }

    /// Lists the segments of `path`, checking that no sequence number is skipped.
    public init(path: String) throws(EtcdWALError) {
        self.path = path
        let names: [String]
        do {
            names = try PosixFileSystem().list(path)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        segments = names.compactMap { name in
            Self.parseName(name).map { Segment(name: name, sequence: $0.sequence, index: $0.index) }
        }.sorted { $0.sequence < $1.sequence }
        guard !segments.isEmpty else { throw .noSegments(directory: path) }
        for (a, b) in zip(segments, segments.dropFirst()) where b.sequence != a.sequence + 1 {
            throw .missingSegment(directory: path, after: a.name, next: b.name)
        }
    }

    public func filePath(_ segment: Segment) -> String { path + "/" + segment.name }
}

/// Everything an etcd WAL holds, read from first segment to last as etcd's ReadAll does (a later
/// entry at an index already seen replaces it and all after it), with how reading ended.
public struct EtcdWALContents: Sendable {
    public var directory: String
    public var nodeID: UInt64?
    public var clusterID: UInt64?
    public var hardState = HardState()
    public var snapshots: [(index: UInt64, term: UInt64)] = []
    public var entries: [EtcdEntry] = []
    /// Set when the last segment ends in a partial frame (a crash, or etcd writing right now).
    public var tornTail: EtcdWALTornTail?
    /// Set when reading stopped at damage; what came before is in the other fields.
    public var corruption: EtcdWALError?

    /// Reads the WAL in `directory` (see `EtcdWALDirectory.locate`), never locking or changing it.
    public static func read(directory: String) throws(EtcdWALError) -> EtcdWALContents {
        let wal = try EtcdWALDirectory(path: directory)
        var contents = EtcdWALContents(directory: directory)
        var crc: UInt32 = 0
        for (number, segment) in wal.segments.enumerated() {
            let isLast = number == wal.segments.count - 1
            let scan = EtcdSegmentReader.scan(path: wal.filePath(segment), from: 0, crc: crc, isLast: isLast)
            for (record, _) in scan.records { contents.apply(record) }
            crc = scan.crc
            switch scan.stop {
            case .end: continue
            case .torn(let torn): contents.tornTail = torn
            case .corrupt(let error): contents.corruption = error
            }
            break
        }
        return contents
    }

    public mutating func apply(_ record: EtcdWALRecord) {
        switch record {
        case .metadata(let node, let cluster):
            nodeID = node
            clusterID = cluster
        case .entry(let entry):
            if let last = entries.last, entry.index <= last.index {
                entries.removeAll { $0.index >= entry.index }
            }
            entries.append(entry)
        case .hardState(let state):
            hardState = state
        case .snapshot(let index, let term):
            snapshots.append((index, term))
        case .crc:
            break
        }
    }
}

extension EtcdWALDirectory {
    /// Whether the WAL in `directory` is in etcd's format rather than rafttop's own, which
    /// names its segments alike: etcd's first record is a walpb.Record, whose first byte is the
    /// tag of its type field (0x08); rafttop's starts with the record type itself.
    public static func isEtcdFormat(_ directory: String) -> Bool {
        guard let wal = try? EtcdWALDirectory(path: directory), let first = wal.segments.first else { return false }
        let fd = open(wal.filePath(first), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 9)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 9, 0) }
        return n == 9 && head[8] == 0x08
    }
}
