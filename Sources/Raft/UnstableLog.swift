/// Entries (and possibly a snapshot) that Raft holds but the application has not yet persisted.
/// They sit after everything in `Storage`: the first unstable entry has index `offset`.
struct UnstableLog {
    /// A snapshot received from the leader and not yet persisted.
    var snapshot: Snapshot?
    var entries: [Entry] = []
    var offset: UInt64

    init(offset: UInt64) {
        self.offset = offset
    }

    /// The first index, if an unstable snapshot sets it.
    var firstIndexIfKnown: UInt64? {
        snapshot.map { $0.metadata.index + 1 }
    }

    /// The last index, if unstable entries or an unstable snapshot set it.
    var lastIndexIfKnown: UInt64? {
        if !entries.isEmpty { return offset + UInt64(entries.count) - 1 }
        return snapshot?.metadata.index
    }

    /// The term at `index`, if the unstable part knows it.
    func term(at index: UInt64) -> UInt64? {
        if index < offset {
            if let snapshot, snapshot.metadata.index == index { return snapshot.metadata.term }
            return nil
        }
        guard let last = lastIndexIfKnown, index <= last else { return nil }
        return entries[Int(index - offset)].term
    }

    /// The application persisted entries up to `index` with `term`: drop them from here.
    mutating func stableTo(index: UInt64, term: UInt64) {
        // Only when the entry is still the one persisted: a newer leader may have replaced it.
        guard let t = self.term(at: index), t == term, index >= offset else { return }
        entries.removeFirst(Int(index + 1 - offset))
        offset = index + 1
    }

    mutating func stableSnapshotTo(index: UInt64) {
        if let snapshot, snapshot.metadata.index == index {
            self.snapshot = nil
        }
    }

    mutating func restore(_ snapshot: Snapshot) {
        offset = snapshot.metadata.index + 1
        entries = []
        self.snapshot = snapshot
    }

    /// Appends `newEntries`, first truncating whatever conflicts with them.
    mutating func truncateAndAppend(_ newEntries: some Collection<Entry>) {
        guard let after = newEntries.first?.index else { return }
        if after == offset + UInt64(entries.count) {
            entries.append(contentsOf: newEntries)
        } else if after <= offset {
            // Replaces the whole unstable part; storage past `after` is overwritten when persisted.
            offset = after
            entries = Array(newEntries)
        } else {
            entries.removeSubrange(Int(after - offset)...)
            entries.append(contentsOf: newEntries)
        }
    }

    /// Entries in `lo..<hi`, which must lie within the unstable part.
    func slice(_ lo: UInt64, _ hi: UInt64) -> ArraySlice<Entry> {
        precondition(lo <= hi, "invalid unstable slice \(lo)..<\(hi)")
        let upper = offset + UInt64(entries.count)
        precondition(lo >= offset && hi <= upper, "unstable slice \(lo)..<\(hi) out of bounds \(offset)..<\(upper)")
        return entries[Int(lo - offset)..<Int(hi - offset)]
    }
}
