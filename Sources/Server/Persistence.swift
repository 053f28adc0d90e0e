import Locking
import Raft
import Synchronization

/// Where a member's Raft state goes before anything is sent that depends on it: the WAL and
/// snapshot files, or memory in tests. Implementations lock internally: the raft loop saves
/// while the apply loop may save a snapshot.
public protocol RaftPersistence: AnyObject, Sendable {
    /// Appends entries and hard state; when `mustSync`, they are on stable storage on return.
    /// Returns the nanoseconds spent in fsync (0 if none).
    func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws -> UInt64
    /// Stores a snapshot durably; the log before it may be released afterwards.
    func saveSnapshot(_ snapshot: Snapshot) throws
    /// Stores durably a snapshot whose `dataBytes` of data `write` hands to `append` in pieces
    /// as it encodes them, so that no buffer of the whole snapshot need exist. Throws
    /// `RaftError.snapshotOutOfDate` if a snapshot at or after its index was saved meanwhile
    /// (one received from the leader), and saves nothing then.
    func saveSnapshot(_ metadata: SnapshotMetadata, dataBytes: Int,
                      write: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws
    /// The data of the snapshot saved at `metadata`'s position, read back for a leader to send
    /// to a follower; nil while it cannot be (not saved yet, or replaced by a newer one).
    func loadSnapshotData(_ metadata: SnapshotMetadata) -> [UInt8]?
    /// What a restart starts from: the newest snapshot, the hard state and the entries after it.
    func load() throws -> RecoveredState
    /// Syncs and lets go of the files (the member shut down cleanly).
    func close()
    /// When everything saved so far becomes durable, if that is still ahead in simulated time:
    /// a simulated slow disk whose syncs return before they complete. The raft loop waits for
    /// it as it would wait in fsync. Nil when `save` returned with its writes durable.
    func durableAtNanos() -> UInt64?
}

extension RaftPersistence {
    public func durableAtNanos() -> UInt64? { nil }
}

public struct RecoveredState: Sendable {
    public var snapshot: Snapshot?
    public var hardState: HardState
    public var entries: [Entry]

    public init(snapshot: Snapshot? = nil, hardState: HardState = HardState(), entries: [Entry] = []) {
        self.snapshot = snapshot
        self.hardState = hardState
        self.entries = entries
    }

    public var isEmpty: Bool { snapshot == nil && hardState.isEmpty && entries.isEmpty }
}

/// Keeps everything in memory, as if every write were synced: for tests and a data-less run.
public final class MemoryPersistence: RaftPersistence {
    private let state = Locked(RecoveredState())
    private let fsyncs = Atomic<Int>(0)

    public init() {}

    public func save(hardState: HardState?, entries: [Entry], mustSync: Bool) throws -> UInt64 {
        state.withLock { s in
            if let hardState { s.hardState = hardState }
            if let first = entries.first {
                // Later entries replace a conflicting suffix, as a WAL replay would. The kept
                // entries are contiguous, so the suffix starts at a known position.
                if let head = s.entries.first, first.index >= head.index {
                    let keep = Int(first.index - head.index)
                    if keep < s.entries.count { s.entries.removeSubrange(keep...) }
                } else {
                    s.entries.removeAll()
                }
                s.entries.append(contentsOf: entries)
            }
        }
        if mustSync { fsyncs.add(1, ordering: .relaxed) }
        return 0
    }

    public func saveSnapshot(_ snapshot: Snapshot) throws {
        state.withLock { s in
            if let existing = s.snapshot, existing.metadata.index >= snapshot.metadata.index { return }
            s.snapshot = snapshot
            s.entries.removeAll { $0.index <= snapshot.metadata.index }
        }
    }

    /// Gathers the pieces: in memory, the saved snapshot is the one copy.
    public func saveSnapshot(_ metadata: SnapshotMetadata, dataBytes: Int,
                             write: (_ append: ([UInt8]) throws -> Void) throws -> Void) throws {
        if let existing = state.withLock({ $0.snapshot }), existing.metadata.index >= metadata.index {
            throw RaftError.snapshotOutOfDate
        }
        var data: [UInt8] = []
        data.reserveCapacity(dataBytes)
        try write { data.append(contentsOf: $0) }
        try saveSnapshot(Snapshot(metadata: metadata, data: data))
    }

    public func loadSnapshotData(_ metadata: SnapshotMetadata) -> [UInt8]? {
        state.withLock { s in
            guard let snapshot = s.snapshot, snapshot.metadata.index == metadata.index,
                snapshot.metadata.term == metadata.term else { return nil }
            return snapshot.data
        }
    }

    public func load() throws -> RecoveredState {
        state.withLock { $0 }
    }

    public var syncCount: Int { fsyncs.load(ordering: .relaxed) }

    public func close() {}
}
