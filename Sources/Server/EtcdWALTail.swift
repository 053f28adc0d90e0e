import Locking
import Raft
import WAL

/// The newest entries of a real etcd member's WAL, for the WAL pane: reads the member's own
/// segments (read-only, never taking etcd's lock) and remembers the segment and offset read so
/// far, so each call reads only what etcd appended since. Safe to call a few times a second
/// from any thread.
public final class EtcdWALTail: Sendable {
    /// What the tail shows: the newest entries, oldest first, and the last hard state written.
    public struct View: Sendable, Hashable {
        public var entries: [LogEntryView]
        public var hardState: HardState
        /// Where the last segment's records stop short of a whole frame, if they do: etcd is
        /// writing it now, or a crash tore it.
        public var tornTail: EtcdWALTornTail?

        public var commit: UInt64 { hardState.commit }
    }

    struct Position {
        var walDirectory: String?
        var segment: EtcdWALDirectory.Segment?
        var offset = 0
        var crc: UInt32 = 0
        var entries: [EtcdEntry] = []
        var hardState = HardState()
        var tornTail: EtcdWALTornTail?
    }

    /// The data directory given (an etcd data dir, a member dir or a wal dir).
    public let dataDirectory: String
    /// The most entries remembered; `latest` returns at most this many.
    public let capacity: Int
    private let position = Locked(Position())

    public init(dataDirectory: String, capacity: Int = 512) {
        self.dataDirectory = dataDirectory
        self.capacity = max(1, capacity)
    }

    /// The newest `count` entries and the hard state, after reading what the WAL gained since
    /// the last call; an error names the file and offset where reading stopped.
    public func latest(_ count: Int) -> Result<View, EtcdWALError> {
        position.withLock { p in
            do throws(EtcdWALError) {
                try advance(&p)
            } catch {
                return .failure(error)
            }
            let newest = p.entries.suffix(max(0, min(count, capacity)))
            return .success(View(entries: newest.map(LogEntryView.init), hardState: p.hardState, tornTail: p.tornTail))
        }
    }

    private func advance(_ p: inout Position) throws(EtcdWALError) {
        if p.walDirectory == nil {
            guard let found = EtcdWALDirectory.locate(dataDirectory) else { throw .noSegments(directory: dataDirectory) }
            p.walDirectory = found
        }
        let wal = try EtcdWALDirectory(path: p.walDirectory!)
        var number: Int
        if let current = p.segment, let found = wal.segments.firstIndex(where: { $0.sequence == current.sequence }),
           EtcdSegmentReader.size(of: wal.filePath(wal.segments[found])).map({ $0 >= p.offset }) ?? false {
            number = found
        } else {
            // First read, or the segment was purged or cut shorter (etcd repaired it on restart):
            // start one segment back from the newest, so a segment etcd has just cut still shows
            // the entries before it.
            p = Position(walDirectory: p.walDirectory)
            number = max(0, wal.segments.count - 2)
            p.segment = wal.segments[number]
        }
        while true {
            let isLast = number == wal.segments.count - 1
            let scan = EtcdSegmentReader.scan(path: wal.filePath(wal.segments[number]), from: p.offset, crc: p.crc, isLast: isLast)
            for (record, _) in scan.records { apply(record, to: &p) }
            p.offset = scan.nextOffset
            p.crc = scan.crc
            p.tornTail = nil
            switch scan.stop {
            case .end where !isLast:
                number += 1
                p.segment = wal.segments[number]
                p.offset = 0
            case .end:
                return
            case .torn(let torn):
                p.tornTail = torn
                return
            case .corrupt(let error):
                throw error
            }
        }
    }

    private func apply(_ record: EtcdWALRecord, to p: inout Position) {
        switch record {
        case .entry(let entry):
            if let last = p.entries.last, entry.index <= last.index {
                p.entries.removeAll { $0.index >= entry.index }
            }
            p.entries.append(entry)
            if p.entries.count > capacity * 2 { p.entries.removeFirst(p.entries.count - capacity) }
        case .hardState(let state):
            p.hardState = state
        case .metadata, .crc, .snapshot:
            break
        }
    }
}
