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

    public func load() throws -> RecoveredState {
        state.withLock { $0 }
    }

    public var syncCount: Int { fsyncs.load(ordering: .relaxed) }

    public func close() {}
}
