/// The stable part of the log, which the application has persisted. Raft reads it; the
/// application writes it (entries and hard state from each `Ready`, snapshots, compaction).
public protocol Storage: AnyObject {
    /// The hard state and configuration saved last, to restart from.
    func initialState() -> (HardState, ConfState)
    /// Entries in `lo..<hi`, at least one if any exist, and no more than `maxSizeBytes` beyond the first.
    func entries(_ lo: UInt64, _ hi: UInt64, maxSizeBytes: UInt64) throws(RaftError) -> [Entry]
    /// The term of the entry at `index`, which must lie in `firstIndex() - 1 ... lastIndex()`.
    func term(_ index: UInt64) throws(RaftError) -> UInt64
    /// The index of the first entry that is still available (the snapshot's index + 1).
    func firstIndex() -> UInt64
    func lastIndex() -> UInt64
    /// The most recent snapshot.
    func snapshot() throws(RaftError) -> Snapshot
}

/// Reads back the data of the snapshot at a position (its metadata) from where the application
/// saved it; nil when that snapshot cannot be read now (not yet saved, or already replaced).
public typealias SnapshotDataLoader = @Sendable (SnapshotMetadata) -> [UInt8]?

/// A `Storage` that keeps everything in memory; the application persists elsewhere (a WAL)
/// and reloads into it on restart, as etcd does.
///
/// Made with `init(loadingSnapshotData:)`, it keeps only its snapshot's metadata: a snapshot
/// is the whole applied state (hundreds of megabytes for a large store), which the application
/// has on disk already, so holding it here too would double what a member costs. `snapshot()`
/// then reads the data back, the rare time a leader sends it to a follower that fell behind.
public final class MemoryStorage: Storage {
    public private(set) var hardState = HardState()
    /// The data is empty when `loadSnapshotData` is set.
    private var currentSnapshot = Snapshot()
    /// `entries[0]` is a dummy standing for the snapshot: its index and term, no data.
    private var ents: [Entry] = [Entry()]
    private let loadSnapshotData: SnapshotDataLoader?

    /// A storage that holds its snapshot's data (the simulator and tests).
    public init() {
        loadSnapshotData = nil
    }

    /// A storage that holds only its snapshot's metadata and reads the data back with
    /// `loadingSnapshotData` when asked for the snapshot. While that returns nil (the snapshot
    /// recorded here is not, or no longer, the one saved), `snapshot()` throws
    /// `.snapshotTemporarilyUnavailable` and a leader tries again later.
    public init(loadingSnapshotData: @escaping SnapshotDataLoader) {
        loadSnapshotData = loadingSnapshotData
    }

    /// A storage whose configuration is `voters` and `learners`, as if a snapshot at index 0 held it.
    public convenience init(voters: [NodeID], learners: [NodeID] = []) {
        self.init()
        currentSnapshot.metadata.confState = ConfState(voters: voters, learners: learners)
    }

    public func initialState() -> (HardState, ConfState) {
        (hardState, currentSnapshot.metadata.confState)
    }

    public func setHardState(_ state: HardState) {
        hardState = state
    }

    public func entries(_ lo: UInt64, _ hi: UInt64, maxSizeBytes: UInt64) throws(RaftError) -> [Entry] {
        let offset = ents[0].index
        if lo <= offset { throw .compacted }
        precondition(hi <= lastIndex() + 1, "entries(\(lo), \(hi)) past last index \(lastIndex())")
        if ents.count == 1 { throw .unavailable }
        let slice = ents[Int(lo - offset)..<Int(hi - offset)]
        return limitSize(slice, maxSizeBytes: maxSizeBytes)
    }

    public func term(_ index: UInt64) throws(RaftError) -> UInt64 {
        let offset = ents[0].index
        if index < offset { throw .compacted }
        if index - offset >= UInt64(ents.count) { throw .unavailable }
        return ents[Int(index - offset)].term
    }

    public func firstIndex() -> UInt64 { ents[0].index + 1 }

    public func lastIndex() -> UInt64 { ents[0].index + UInt64(ents.count) - 1 }

    public func snapshot() throws(RaftError) -> Snapshot {
        guard let loadSnapshotData, !currentSnapshot.isEmpty else { return currentSnapshot }
        guard let data = loadSnapshotData(currentSnapshot.metadata) else { throw .snapshotTemporarilyUnavailable }
        return Snapshot(metadata: currentSnapshot.metadata, data: data)
    }

    /// Whether this storage holds its snapshot's data (it was not made to load it back).
    private var holdsSnapshotData: Bool { loadSnapshotData == nil }

    /// Replaces everything with `snapshot` (only its metadata, when the data is loaded back).
    public func applySnapshot(_ snapshot: Snapshot) throws(RaftError) {
        if currentSnapshot.metadata.index >= snapshot.metadata.index && !snapshot.isEmpty {
            throw .snapshotOutOfDate
        }
        currentSnapshot = holdsSnapshotData ? snapshot : Snapshot(metadata: snapshot.metadata)
        ents = [Entry(term: snapshot.metadata.term, index: snapshot.metadata.index)]
    }

    /// Records a snapshot of the application state at `index` (which must be applied), so a
    /// follower too far behind can be sent it. Does not drop entries: see `compact(upTo:)`.
    /// A storage that loads its snapshot's data back keeps none of `data` (pass it empty), and
    /// the application must have saved the snapshot before it records it here.
    @discardableResult
    public func createSnapshot(
        at index: UInt64, confState: ConfState?, data: [UInt8]
    ) throws(RaftError) -> Snapshot {
        if index <= currentSnapshot.metadata.index { throw .snapshotOutOfDate }
        precondition(index <= lastIndex(), "snapshot at \(index) is past last index \(lastIndex())")
        let offset = ents[0].index
        // Compacted without a snapshot: the entry's term is gone.
        if index < offset { throw .compacted }
        currentSnapshot.metadata.index = index
        currentSnapshot.metadata.term = ents[Int(index - offset)].term
        if let confState { currentSnapshot.metadata.confState = confState }
        currentSnapshot.data = holdsSnapshotData ? data : []
        return currentSnapshot
    }

    /// Drops the entries before `index`; the entry at `index` becomes the new dummy.
    public func compact(upTo index: UInt64) throws(RaftError) {
        let offset = ents[0].index
        if index <= offset { throw .compacted }
        precondition(index <= lastIndex(), "compact(\(index)) is past last index \(lastIndex())")
        let i = Int(index - offset)
        var kept = [Entry(term: ents[i].term, index: ents[i].index)]
        kept.append(contentsOf: ents[(i + 1)...])
        ents = kept
    }

    /// Appends `entries`, replacing any stored entries at the same and later indexes.
    public func append(_ entries: [Entry]) {
        guard let firstNew = entries.first else { return }
        let first = firstIndex()
        let last = firstNew.index + UInt64(entries.count) - 1
        if last < first { return }
        var toAppend = entries[...]
        if first > firstNew.index {
            toAppend = entries[Int(first - firstNew.index)...]
        }
        let offset = Int(toAppend.first!.index - ents[0].index)
        precondition(offset <= ents.count, "missing log entry: last \(lastIndex()), appending at \(toAppend.first!.index)")
        ents.removeSubrange(offset...)
        ents.append(contentsOf: toAppend)
    }
}

/// The prefix of `entries` whose total size stays within `maxSizeBytes`, always at least one entry.
func limitSize<C: Collection<Entry>>(_ entries: C, maxSizeBytes: UInt64) -> [Entry] {
    var result: [Entry] = []
    var size: UInt64 = 0
    for entry in entries {
        size += UInt64(entry.sizeBytes)
        if !result.isEmpty && size > maxSizeBytes { break }
        result.append(entry)
    }
    return result
}
