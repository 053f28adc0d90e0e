import Locking
import Raft
import WAL

/// A member's Raft state on disk as etcd keeps it: `<member>/wal/` for the log and
/// `<member>/snap/` for snapshots, on a real file system or a simulated disk.
public final class WALPersistence: RaftPersistence {
    public let directory: String
    let fs: any FileSystem
    let metadata: WALMetadata
    let options: WALOptions
    /// Snapshot files beyond this many newest are removed, as etcd's purge does.
    static let snapshotsKept = 5

    private struct State {
        var wal: WAL?
    }

    private let state = Locked(State())
    /// What `load()` had to skip (corrupt snapshot files), for the caller to report.
    public let warnings = Locked<[String]>([])

    public init(fs: any FileSystem, directory: String, memberID: UInt64, clusterID: UInt64, options: WALOptions = WALOptions()) {
        self.fs = fs
        self.directory = directory
        metadata = WALMetadata(memberID: memberID, clusterID: clusterID)
        self.options = options
    }

    var walDirectory: String { directory + "/wal" }
    var snapshotter: Snapshotter { Snapshotter(fs: fs, directory: directory + "/snap") }

    /// Opens the WAL (creating it for a new member): the newest snapshot that the WAL also
    /// recorded, then the hard state and entries after it. A torn tail is repaired; corruption
    /// before it fails with the file and offset, and the member must not start.
    public func load() throws -> RecoveredState {
        try state.withLock { s in
            if let old = s.wal {
                try? old.close()
                s.wal = nil
            }
            let existing = fs.exists(walDirectory) ? try fs.list(walDirectory) : []
            if !existing.contains(where: { $0.hasSuffix(".wal") }) {
                s.wal = try WAL.create(fs: fs, directory: walDirectory, metadata: metadata, options: options)
                return RecoveredState()
            }
            // Only a snapshot the WAL marked can be started from (the marker follows the file).
            let marked = try WALReader.read(fs: fs, directory: walDirectory, from: nil)
            if let corruption = marked.corruption { throw corruption }
            let markers = Set(marked.snapshots.map { SnapshotPosition(index: $0.index, term: $0.term) })
            let (snapshot, skipped) = try snapshotter.loadNewest { meta in
                markers.contains(SnapshotPosition(index: meta.index, term: meta.term))
            }
            warnings.withLock { $0.append(contentsOf: skipped.map(\.description)) }
            let start = snapshot.map { WALSnapshot(index: $0.metadata.index, term: $0.metadata.term) } ?? WALSnapshot()
            let (wal, contents) = try WAL.open(fs: fs, directory: walDirectory, from: start, options: options)
            s.wal = wal
            return RecoveredState(snapshot: snapshot, hardState: contents.hardState, entries: contents.entries)
        }
    }

    public func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws -> UInt64 {
        try state.withLock { s in
            guard let wal = s.wal else { throw PersistenceError.notOpen(directory) }
            let before = wal.monitor.stats.fsyncMicrosTotal
            try wal.save(hardState: hardState ?? HardState(), entries: entries, mustSync: mustSync)
            return UInt64(wal.monitor.stats.fsyncMicrosTotal - before) * 1000
        }
    }

    /// etcd's order: the snapshot file, then its marker in the WAL, then release what it covers.
    /// The file, which can be hundreds of megabytes, is written and synced without holding the
    /// WAL, so the raft loop goes on saving entries meanwhile.
    public func saveSnapshot(_ snapshot: Snapshot) throws {
        guard state.withLock({ $0.wal != nil }) else { throw PersistenceError.notOpen(directory) }
        try snapshotter.save(snapshot)
        try state.withLock { s in
            guard let wal = s.wal else { throw PersistenceError.notOpen(directory) }
            try wal.saveSnapshot(WALSnapshot(index: snapshot.metadata.index, term: snapshot.metadata.term))
            _ = try wal.releaseSegments(before: snapshot.metadata.index)
            let names = try snapshotter.fileNames()
            for name in names.dropFirst(Self.snapshotsKept) {
                try fs.remove(snapshotter.directory + "/" + name)
            }
        }
    }

    public func close() {
        state.withLock { s in
            try? s.wal?.close()
            s.wal = nil
        }
    }

    /// Lets go of the WAL without syncing or closing it: the process died.
    func abandon() {
        state.withLock { $0.wal = nil }
    }

    /// The WAL's counters and newest records, for the UI.
    public var stats: WALStats? {
        state.withLock { $0.wal?.monitor.stats }
    }
}

/// A member on a simulated disk: a crash loses or tears what was not synced, and a slowed
/// disk (`disk.slowSyncs`) makes saves durable only later in simulated time.
public final class SimulatedDiskPersistence: RaftPersistence, CrashablePersistence {
    public let disk: SimulatedDisk
    let persistence: WALPersistence
    private let random: Locked<SplitMix64>

    /// `clockNanos` is simulated time: the WAL's fsync timings and a slow disk's syncs read it.
    public init(memberID: UInt64, clusterID: UInt64, seed: UInt64, clockNanos: @escaping @Sendable () -> UInt64) {
        disk = SimulatedDisk(clockNanos: clockNanos)
        persistence = WALPersistence(fs: disk, directory: "/member-\(memberID)", memberID: memberID, clusterID: clusterID,
                                     options: WALOptions(segmentSizeBytes: 64 * 1024, clockNanos: clockNanos))
        random = Locked(SplitMix64(seed: seed))
    }

    public func load() throws -> RecoveredState { try persistence.load() }

    public func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws -> UInt64 {
        try persistence.save(hardState: hardState, entries: entries, mustSync: mustSync)
    }

    public func saveSnapshot(_ snapshot: Snapshot) throws { try persistence.saveSnapshot(snapshot) }

    public func close() { persistence.close() }

    public func durableAtNanos() -> UInt64? { disk.syncsCompleteAtNanos }

    public func crash() {
        persistence.abandon()
        random.withLock { disk.crash(using: &$0) }
    }
}

/// A persistence whose unsynced writes a crash can lose (the simulated disk).
public protocol CrashablePersistence: RaftPersistence {
    func crash()
}

struct SnapshotPosition: Hashable {
    let index: UInt64
    let term: UInt64
}

public enum PersistenceError: Error, CustomStringConvertible {
    case notOpen(String)

    public var description: String {
        switch self {
        case .notOpen(let directory): "the WAL in \(directory) is not open"
        }
    }
}
