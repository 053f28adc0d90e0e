/// One write of a key: the value a put set, or the tombstone a delete left (its `kv` then holds
/// only the key and the deleting revision, as a watcher sees a delete).
struct KeyVersion: Sendable {
    var revision: Revision
    var kv: KeyValue
    var isTombstone: Bool

    /// What this version costs the store, as `MVCCStore.retainedBytes` counts it.
    var retainedBytes: Int { kv.key.count + kv.value.count + KeyIndex.bookkeepingBytes }
}

/// Every retained write of one key, grouped into generations: a generation runs from the put
/// that creates the key to the delete (tombstone) that ends it. The values live here, beside
/// their revisions, so a put, a read and a compaction find them with the one lookup of the key.
struct KeyIndex: Sendable {
    struct Generation: Sendable {
        var versions: [KeyVersion] = []
    }

    /// A fixed cost per retained version for its bookkeeping, in `retainedBytes`.
    static let bookkeepingBytes = 48

    /// Never empty; the last generation is the key's current life, empty when the key is deleted.
    private(set) var generations: [Generation] = [Generation()]

    var isLive: Bool { !generations[generations.count - 1].versions.isEmpty }

    /// The newest revision of any kind.
    var latest: Revision? {
        for g in generations.reversed() {
            if let last = g.versions.last { return last.revision }
        }
        return nil
    }

    /// The key's current value, if it is live.
    var liveValue: KeyValue? {
        generations[generations.count - 1].versions.last?.kv
    }

    /// Records a put at `revision`, continuing the key's current life (its create revision and
    /// version follow the live value) or starting a new one. Returns the value written and the
    /// live value it replaced.
    mutating func put(key: [UInt8], value: [UInt8], lease: Int64, at revision: Revision) -> (written: KeyValue, previous: KeyValue?) {
        let previous = liveValue
        let kv = KeyValue(key: key, value: value, createRevision: previous?.createRevision ?? revision.main,
                          modRevision: revision.main, version: (previous?.version ?? 0) + 1, lease: lease)
        append(KeyVersion(revision: revision, kv: kv, isTombstone: false))
        return (kv, previous)
    }

    /// Ends the current generation at `revision`, the delete's.
    mutating func tombstone(key: [UInt8], at revision: Revision) {
        append(KeyVersion(revision: revision, kv: KeyValue(key: key, modRevision: revision.main), isTombstone: true))
    }

    /// Adds a version as a snapshot holds it: after every version already here.
    mutating func append(_ version: KeyVersion) {
        if let latest { precondition(version.revision > latest, "key revision \(version.revision) is not after \(latest)") }
        generations[generations.count - 1].versions.append(version)
        if version.isTombstone { generations.append(Generation()) }
    }

    /// The key's value as of store revision `atMain`, or nil if the key did not exist then
    /// (never written yet, or deleted).
    func value(atMain: Int64) -> KeyValue? {
        let last = generations.count - 1
        for g in stride(from: last, through: 0, by: -1) {
            let versions = generations[g].versions
            guard let first = versions.first else { continue }
            // A finished generation ends with its tombstone: at or after it, the key is gone.
            if g != last, versions[versions.count - 1].revision.main <= atMain { return nil }
            if first.revision.main <= atMain {
                var i = versions.count - 1
                while versions[i].revision.main > atMain { i -= 1 }
                return versions[i].kv
            }
        }
        return nil
    }

    /// The write at exactly `revision`, if it is retained.
    func version(at revision: Revision) -> KeyVersion? {
        for g in generations.reversed() {
            guard let first = g.versions.first, first.revision <= revision else { continue }
            return g.versions.last { $0.revision == revision }
        }
        return nil
    }

    /// Drops the versions no read at `atMain` or later can see: in each generation everything
    /// before the newest version at or before `atMain`, and whole generations that ended by
    /// then. Adds what it dropped to `dropped`; returns whether the key is left with no
    /// versions at all, so it can be forgotten.
    mutating func compact(atMain: Int64, dropped: inout DroppedVersions) -> Bool {
        // The common case: one generation, the key never deleted. Keep its newest version at or
        // before `atMain` and everything after.
        if generations.count == 1 {
            let versions = generations[0].versions
            guard let keepFrom = versions.lastIndex(where: { $0.revision.main <= atMain }), keepFrom > 0 else { return false }
            for v in versions[..<keepFrom] { dropped.count(v) }
            generations[0].versions.removeFirst(keepFrom)
            return false
        }
        let last = generations.count - 1
        var kept: [Generation] = []
        for (g, generation) in generations.enumerated() {
            let versions = generation.versions
            if g != last, let tomb = versions.last, tomb.revision.main <= atMain {
                for v in versions { dropped.count(v) }
                continue
            }
            if let keepFrom = versions.lastIndex(where: { $0.revision.main <= atMain }), keepFrom > 0 {
                for v in versions[..<keepFrom] { dropped.count(v) }
                kept.append(Generation(versions: Array(versions[keepFrom...])))
            } else {
                kept.append(generation)
            }
        }
        generations = kept
        return isEmpty
    }

    /// No versions remain: the key exists in no readable revision.
    var isEmpty: Bool { generations.count == 1 && generations[0].versions.isEmpty }
}

/// What a compaction dropped, for the store's running totals.
struct DroppedVersions {
    var versions = 0
    var tombstones = 0
    var bytes = 0

    mutating func count(_ version: KeyVersion) {
        versions += 1
        if version.isTombstone { tombstones += 1 }
        bytes += version.retainedBytes
    }
}
