/// The log as Raft sees it: the persisted part in `Storage`, then the unstable part, with the
/// commit and applied positions. Invariant: applied <= committed <= lastIndex.
struct RaftLog {
    let storage: any Storage
    var unstable: UnstableLog
    /// The highest index known to be stored on a quorum. Never goes back.
    private(set) var committed: UInt64
    /// The highest index handed to the application to apply.
    private(set) var applied: UInt64
    /// At most this many bytes of committed entries go into one `Ready`.
    let maxCommittedSizePerReady: UInt64

    init(storage: any Storage, maxCommittedSizePerReady: UInt64) {
        self.storage = storage
        self.maxCommittedSizePerReady = maxCommittedSizePerReady
        let first = storage.firstIndex()
        unstable = UnstableLog(offset: storage.lastIndex() + 1)
        committed = first - 1
        applied = first - 1
    }

    var firstIndex: UInt64 {
        unstable.firstIndexIfKnown ?? storage.firstIndex()
    }

    var lastIndex: UInt64 {
        unstable.lastIndexIfKnown ?? storage.lastIndex()
    }

    var lastTerm: UInt64 {
        // The last index always has a term: it is an entry or the snapshot's.
        (try? term(lastIndex)) ?? 0
    }

    /// The term of the entry at `index`; throws when it was compacted or does not exist.
    func term(_ index: UInt64) throws(RaftError) -> UInt64 {
        // The entry just before the first one is the snapshot's, whose term is still known.
        let dummy = firstIndex - 1
        if index < dummy { throw .compacted }
        if index > lastIndex { throw .unavailable }
        if let t = unstable.term(at: index) { return t }
        return try storage.term(index)
    }

    /// The term at `index`, or 0 when it is unknown.
    func termOrZero(_ index: UInt64) -> UInt64 {
        (try? term(index)) ?? 0
    }

    func matchTerm(index: UInt64, term: UInt64) -> Bool {
        guard let t = try? self.term(index) else { return false }
        return t == term
    }

    /// Whether a log ending at (`lastIndex`, `lastTerm`) is at least as up to date as ours (§5.4.1).
    func isUpToDate(lastIndex otherIndex: UInt64, lastTerm otherTerm: UInt64) -> Bool {
        let ourTerm = lastTerm
        return otherTerm > ourTerm || (otherTerm == ourTerm && otherIndex >= lastIndex)
    }

    /// Appends entries that follow `index`/`logTerm` from the leader if our log matches there,
    /// truncating a conflicting suffix. Returns the index of the last new entry, or nil on mismatch.
    mutating func maybeAppend(index: UInt64, logTerm: UInt64, committed leaderCommit: UInt64, entries: [Entry]) -> UInt64? {
        guard matchTerm(index: index, term: logTerm) else { return nil }
        let lastNew = index + UInt64(entries.count)
        let conflict = findConflict(entries)
        if conflict != 0 {
            precondition(conflict > committed, "entry \(conflict) conflicts with committed entry (committed \(committed))")
            let start = Int(conflict - (index + 1))
            append(entries[start...])
        }
        commitTo(min(leaderCommit, lastNew))
        return lastNew
    }

    /// Appends entries after the last one (or replacing an uncommitted suffix); returns the new last index.
    @discardableResult
    mutating func append(_ entries: some Collection<Entry>) -> UInt64 {
        guard let first = entries.first else { return lastIndex }
        precondition(first.index - 1 >= committed, "appending at \(first.index) would overwrite committed \(committed)")
        unstable.truncateAndAppend(entries)
        return lastIndex
    }

    /// The index of the first entry whose term differs from ours (or that we lack), 0 if none.
    func findConflict(_ entries: [Entry]) -> UInt64 {
        for entry in entries where !matchTerm(index: entry.index, term: entry.term) {
            return entry.index
        }
        return 0
    }

    /// Going back from `index`, the first entry whose term is at most `term`: the place the
    /// leader should probe next, skipping a whole term of mismatches at a time.
    /// Returns (index, its term), with term 0 when unknown.
    func findConflictByTerm(index: UInt64, term: UInt64) -> (index: UInt64, term: UInt64) {
        var i = index
        while i > 0 {
            guard let ourTerm = try? self.term(i) else { return (i, 0) }
            if ourTerm <= term { return (i, ourTerm) }
            i -= 1
        }
        return (0, 0)
    }

    mutating func commitTo(_ index: UInt64) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit index \(index) is past last index \(lastIndex)")
        committed = index
    }

    /// Commits `index` if it is past the commit index and its entry is of `term` (§5.4.2).
    mutating func maybeCommit(index: UInt64, term: UInt64) -> Bool {
        guard index > committed, termOrZero(index) == term else { return false }
        commitTo(index)
        return true
    }

    mutating func appliedTo(_ index: UInt64) {
        guard index != 0 else { return }
        precondition(index <= committed && index >= applied, "applied \(index) outside [\(applied), \(committed)]")
        applied = index
    }

    mutating func stableTo(index: UInt64, term: UInt64) {
        unstable.stableTo(index: index, term: term)
    }

    mutating func stableSnapshotTo(index: UInt64) {
        unstable.stableSnapshotTo(index: index)
    }

    /// Entries not yet persisted.
    var unstableEntries: [Entry] { unstable.entries }

    var hasPendingSnapshot: Bool { unstable.snapshot != nil }

    /// Committed entries not yet handed to the application, bounded by `maxCommittedSizePerReady`.
    func nextCommittedEntries() -> [Entry] {
        let lo = max(applied + 1, firstIndex)
        guard committed + 1 > lo else { return [] }
        // Committed entries are present: anything before firstIndex is in a snapshot.
        return (try? slice(lo, committed + 1, maxSizeBytes: maxCommittedSizePerReady)) ?? []
    }

    var hasNextCommittedEntries: Bool {
        committed + 1 > max(applied + 1, firstIndex)
    }

    func snapshot() throws(RaftError) -> Snapshot {
        if let snapshot = unstable.snapshot { return snapshot }
        return try storage.snapshot()
    }

    /// Entries from `index` to the end, limited to `maxSizeBytes`.
    func entries(from index: UInt64, maxSizeBytes: UInt64) throws(RaftError) -> [Entry] {
        if index > lastIndex { return [] }
        return try slice(index, lastIndex + 1, maxSizeBytes: maxSizeBytes)
    }

    /// Entries in `lo..<hi` from storage and the unstable part, limited to `maxSizeBytes`.
    func slice(_ lo: UInt64, _ hi: UInt64, maxSizeBytes: UInt64) throws(RaftError) -> [Entry] {
        precondition(lo <= hi, "invalid slice \(lo)..<\(hi)")
        if lo < firstIndex { throw .compacted }
        precondition(hi <= lastIndex + 1, "slice \(lo)..<\(hi) past last index \(lastIndex)")
        if lo == hi { return [] }
        var result: [Entry] = []
        if lo < unstable.offset {
            let storedHi = min(hi, unstable.offset)
            let stored: [Entry]
            do {
                stored = try storage.entries(lo, storedHi, maxSizeBytes: maxSizeBytes)
            } catch .compacted {
                throw .compacted
            } catch {
                preconditionFailure("entries \(lo)..<\(storedHi) unavailable from storage: \(error)")
            }
            // Storage stopped early because of the size limit: that is the whole answer.
            if UInt64(stored.count) < storedHi - lo { return stored }
            result = stored
        }
        if hi > unstable.offset {
            let part = unstable.slice(max(lo, unstable.offset), hi)
            if result.isEmpty {
                result = Array(part)
            } else {
                result.append(contentsOf: part)
            }
        }
        return limitSize(result, maxSizeBytes: maxSizeBytes)
    }

    /// Resets the log to begin after `snapshot`.
    mutating func restore(_ snapshot: Snapshot) {
        committed = snapshot.metadata.index
        unstable.restore(snapshot)
    }

    /// On restart: the persisted commit index, which must not be past the log. One below the
    /// snapshot's index is possible (commit alone is written without fsync) and changes nothing.
    mutating func loadCommit(_ index: UInt64) {
        precondition(index <= lastIndex, "persisted commit \(index) is past last index \(lastIndex)")
        committed = max(committed, index)
    }
}
