/// etcd's defragment, for a store that lives in memory: compaction drops versions but leaves
/// the room they took (their bytes in the arena, a table's capacity), as bbolt keeps the pages a
/// compaction freed. Defragmenting copies what is live into storage sized for it and lets the
/// old go, so `allocatedBytes` falls to `retainedBytes`. Nothing readable changes: the same
/// keys, versions and revisions.
extension MVCCStore {
    public func defragment() {
        repackArena()
        var entries: [HistoryEntry] = []
        entries.reserveCapacity(history.count)
        entries.append(contentsOf: history)
        history = entries
        // `Array(list)` would share the list's buffer; a copy made to measure lets the slack go.
        olderVersions = olderVersions.map { list in
            var fitted: [VersionRecord] = []
            fitted.reserveCapacity(list.count)
            fitted.append(contentsOf: list)
            return fitted
        }
        allocatedBytes = retainedBytes
    }
}
