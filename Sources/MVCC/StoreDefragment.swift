/// etcd's defragment, for a store that lives in memory: compaction drops versions but leaves
/// the room they took in the store's tables (a hash table keeps its buckets, an array its
/// capacity), as bbolt keeps the pages a compaction freed. Defragmenting copies every table into
/// storage sized for what it holds now and lets the old go, so `allocatedBytes` falls to
/// `retainedBytes`. Nothing readable changes: the same keys, versions and revisions.
extension MVCCStore {
    public func defragment() {
        var indexes: [StoreKey: KeyIndex] = Dictionary(minimumCapacity: keyIndexes.count)
        for (key, index) in keyIndexes {
            indexes[key] = index.repacked()
        }
        keyIndexes = indexes
        var entries: [HistoryEntry] = []
        entries.reserveCapacity(history.count)
        entries.append(contentsOf: history)
        history = entries
        sortedKeys = SortedKeys(sortedKeys.all)
        allocatedBytes = retainedBytes
    }
}

extension KeyIndex {
    /// The same versions in arrays of their own, sized for what they hold.
    func repacked() -> KeyIndex {
        var fresh = KeyIndex()
        for generation in generations {
            for version in generation.versions { fresh.append(version) }
        }
        return fresh
    }
}
