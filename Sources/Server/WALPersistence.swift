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

    private struct State {
        var wal: WAL?
        /// The newest snapshot the WAL marked: the one a restart starts from, and the only
        /// snapshot file kept (it is the data; etcd too keeps its data once).
        var marked = WALSnapshot()
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
                s.marked = WALSnapshot()
                return RecoveredState()
            }
            // Only a snapshot the WAL marked can be started from (the marker follows the file).
            let marked = try WALReader.read(fs: fs, directory: walDirectory, from: nil)
            if let corruption = marked.corruption { throw corruption }
            let markers = Set(marked.snapshots.map { SnapshotPosition(index: $0.index, term: $0.term) })
            let (snapshot, skipped) = try snapshotter.loadNewest { position in
                markers.contains(SnapshotPosition(index: position.index, term: position.term))
            }
            warnings.withLock { $0.append(contentsOf: skipped.map(\.description)) }
            // No save runs before the WAL is open: a temporary file is one a crash cut short.
            try snapshotter.removeTemporaryFiles()
            let start = snapshot.map { WALSnapshot(index: $0.metadata.index, term: $0.metadata.term) } ?? WALSnapshot()
            let (wal, contents) = try WAL.open(fs: fs, directory: walDirectory, from: start, options: options)
            s.wal = wal
            s.marked = start
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
        try saveSnapshot(snapshot.metadata) { () throws in try snapshotter.save(snapshot) }
    }

    /// As `saveSnapshot(_:)`, the file streamed from `write` as it encodes the data.
    public func saveSnapshot(_ metadata: SnapshotMetadata, dataBytes: Int,
                             write: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        try saveSnapshot(metadata) { () throws in try snapshotter.save(metadata, dataBytes: dataBytes, write: write) }
    }

    /// Writes the file with `writeFile`, then marks it in the WAL, releases the segments it
    /// covers and removes the older snapshot files. Until the marker is synced the previous
    /// snapshot is the one a restart starts from, so it is removed only after.
    private func saveSnapshot(_ metadata: SnapshotMetadata, writeFile: () throws -> Void) throws {
        if metadata.index == 0 { return }
        let position = WALSnapshot(index: metadata.index, term: metadata.term)
        try state.withLock { s in
            guard s.wal != nil else { throw PersistenceError.notOpen(directory) }
            // One from the leader covers it already: not worth writing.
            guard position.index > s.marked.index else { throw RaftError.snapshotOutOfDate }
        }
        try writeFile()
        try state.withLock { s in
            guard let wal = s.wal else { throw PersistenceError.notOpen(directory) }
            guard position.index > s.marked.index else {
                // A newer one was marked while this was written: this file is of no use.
                try? fs.remove(snapshotter.directory + "/" + Snapshotter.fileName(term: position.term, index: position.index))
                throw RaftError.snapshotOutOfDate
            }
            try wal.saveSnapshot(position)
            s.marked = position
            _ = try wal.releaseSegments(before: position.index)
            try snapshotter.removeOlder(thanTerm: position.term, index: position.index)
        }
    }

    /// Reads the marked snapshot's file back; nil for any other position (the storage asking
    /// for the previous one while a newer one is being saved) or a file that does not load.
    public func loadSnapshotData(_ metadata: SnapshotMetadata) -> [UInt8]? {
        let marked = state.withLock { $0.marked }
        guard marked.index == metadata.index, marked.term == metadata.term else { return nil }
        do {
            return try snapshotter.loadData(term: metadata.term, index: metadata.index)
        } catch {
            let warning = "reading snapshot \(metadata.term)/\(metadata.index) back to send it: \(error)"
            // A leader asks again and again: one warning is enough.
            warnings.withLock { if $0.last != warning { $0.append(warning) } }
            return nil
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

    public func saveSnapshot(_ metadata: SnapshotMetadata, dataBytes: Int,
                             write: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        try persistence.saveSnapshot(metadata, dataBytes: dataBytes, write: write)
    }

    public func loadSnapshotData(_ metadata: SnapshotMetadata) -> [UInt8]? { persistence.loadSnapshotData(metadata) }

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
