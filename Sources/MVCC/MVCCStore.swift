/// The applied state of a member: a revisioned key-value store as etcd's mvcc package keeps it.
/// Every write advances one global revision; reads can look at any revision not yet compacted.
/// Not thread-safe: the member's apply loop owns it.
public final class MVCCStore {
    /// The revision of the latest write (1 for an empty store, as in etcd).
    public internal(set) var currentRevision: Int64 = 1
    /// Reads and watches before this revision fail with `compacted`.
    public internal(set) var compactRevision: Int64 = 0
    /// The index of the last Raft entry applied, kept with the state so a restart from a
    /// snapshot of the store never applies an entry twice.
    public internal(set) var consistentIndex: UInt64 = 0

    /// Every key's retained writes, values included.
    var keyIndexes: [StoreKey: KeyIndex] = [:]
    var sortedKeys = SortedKeys()
    /// Every write since the compact revision, in revision order, with its key: for watches
    /// that start in the past, and for compaction, which visits only the keys written since.
    var history: [HistoryEntry] = []
    let watchers = WatchHub()
    /// The live keys of each lease.
    var leaseAttachments = LeaseAttachments()

    struct HistoryEntry {
        var revision: Revision
        var key: StoreKey
    }

    public init() {}

    /// Keys with a live value now, kept as writes happen so a view can ask every frame.
    public internal(set) var keyCount = 0

    /// Revisions held in memory (live values, older values and tombstones not yet compacted).
    public internal(set) var retainedRevisions = 0
    /// How many of them are tombstones.
    var retainedTombstones = 0

    /// The bytes the retained history holds: every kept key and value, plus a fixed cost per
    /// revision for its bookkeeping, kept as writes and compactions happen. etcd reports its
    /// database file's size in the same place; this store has no file, so this is the nearest
    /// measure of how large it has grown.
    public internal(set) var retainedBytes = 0

    /// The most `retainedBytes` has been since the store was restored or last defragmented:
    /// the room its tables have grown to hold, which a compaction frees for reuse but does not
    /// give back (as a bbolt file keeps its size). `defragment()` brings it down to what is in use.
    public internal(set) var allocatedBytes = 0

    /// Records that the Raft entry at `index` has been applied.
    public func setConsistentIndex(_ index: UInt64) {
        precondition(index >= consistentIndex, "applied index going back from \(consistentIndex) to \(index)")
        consistentIndex = index
    }

    // MARK: Reads

    public func range(_ request: RangeRequest) throws(MVCCError) -> RangeResult {
        let atMain = request.revision > 0 ? request.revision : currentRevision
        if atMain > currentRevision { throw .futureRevision(requested: atMain, currentRevision: currentRevision) }
        if atMain < compactRevision { throw .compacted(requested: atMain, compactRevision: compactRevision) }
        return read(request, atMain: atMain)
    }

    /// A read with no revision checks, also used inside a transaction to see its own writes.
    func read(_ request: RangeRequest, atMain: Int64) -> RangeResult {
        var kvs: [KeyValue] = []
        var count: Int64 = 0
        let limit = request.limit > 0 ? request.limit : Int64.max
        for key in sortedKeys.keys(in: request.range) {
            guard let kv = keyIndexes[StoreKey(key)]?.value(atMain: atMain) else { continue }
            count += 1
            if !request.countOnly && Int64(kvs.count) < limit {
                if request.keysOnly {
                    var bare = kv
                    bare.value = []
                    kvs.append(bare)
                } else {
                    kvs.append(kv)
                }
            }
        }
        return RangeResult(kvs: kvs, count: count, more: count > Int64(kvs.count) && !request.countOnly, revision: currentRevision)
    }

    /// The value of one key as of `atMain`, if it existed then.
    func value(of key: [UInt8], atMain: Int64) -> KeyValue? {
        keyIndexes[StoreKey(key)]?.value(atMain: atMain)
    }

    // MARK: Writes

    public func put(_ request: PutRequest) throws(MVCCError) -> PutResult {
        let result = try txn(TxnRequest(success: [.put(request)]))
        guard case .put(var put)? = result.responses.first else { preconditionFailure("put answered with \(result.responses)") }
        put.revision = result.revision
        return put
    }

    public func deleteRange(_ request: DeleteRangeRequest) throws(MVCCError) -> DeleteRangeResult {
        let result = try txn(TxnRequest(success: [.deleteRange(request)]))
        guard case .deleteRange(var deleted)? = result.responses.first else {
            preconditionFailure("delete answered with \(result.responses)")
        }
        deleted.revision = result.revision
        return deleted
    }

    /// Runs a transaction. All its writes share one new revision (with increasing sub-revisions),
    /// which the store advances to only if something was written.
    public func txn(_ request: TxnRequest) throws(MVCCError) -> TxnResult {
        try validate(request)
        var write = WriteContext(main: currentRevision + 1)
        let (succeeded, responses) = try run(request, in: &write)
        if write.sub > 0 {
            currentRevision = write.main
            watchers.notify(write.events, store: self)
        }
        return TxnResult(succeeded: succeeded, responses: responses, revision: currentRevision)
    }

    struct WriteContext {
        let main: Int64
        var sub: Int64 = 0
        var events: [WatchEvent] = []

        mutating func nextRevision() -> Revision {
            defer { sub += 1 }
            return Revision(main: main, sub: sub)
        }
    }

    private func run(_ request: TxnRequest, in write: inout WriteContext) throws(MVCCError) -> (Bool, [ResponseOp]) {
        let readMain = write.sub > 0 ? write.main : currentRevision
        let succeeded = request.compare.allSatisfy { holds($0, atMain: readMain) }
        var responses: [ResponseOp] = []
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .range(let range):
                let atMain = write.sub > 0 ? write.main : currentRevision
                if range.revision > 0 {
                    responses.append(.range(try self.range(range)))
                } else {
                    responses.append(.range(read(range, atMain: atMain)))
                }
            case .put(let put):
                responses.append(.put(try applyPut(put, in: &write)))
            case .deleteRange(let delete):
                responses.append(.deleteRange(applyDelete(delete, in: &write)))
            case .txn(let nested):
                let (nestedSucceeded, nestedResponses) = try run(nested, in: &write)
                responses.append(.txn(TxnResult(succeeded: nestedSucceeded, responses: nestedResponses, revision: write.main)))
            }
        }
        return (succeeded, responses)
    }

    private func applyPut(_ request: PutRequest, in write: inout WriteContext) throws(MVCCError) -> PutResult {
        guard !request.key.isEmpty else { throw .emptyKey }
        let key = StoreKey(request.key)
        var lease = request.lease
        if request.ignoreLease {
            // etcd's ignore_lease keeps the lease of the value there is, and there must be one.
            guard let live = keyIndexes[key]?.liveValue else { throw .keyNotFound }
            lease = live.lease
        }
        let revision = write.nextRevision()
        var isNewKey = false
        // One lookup finds the key's live value and records the new one beside it.
        let (kv, previous) = keyIndexes[key, default: { isNewKey = true; return KeyIndex() }()]
            .put(key: request.key, value: request.value, lease: lease, at: revision)
        if isNewKey { sortedKeys.insert(request.key) }
        if previous == nil { keyCount += 1 }
        leaseAttachments.move(key, from: previous?.lease ?? 0, to: lease)
        retained(KeyVersion(revision: revision, kv: kv, isTombstone: false), key: key)
        if watchers.count > 0 {
            write.events.append(WatchEvent(kind: .put, kv: kv, prevKV: previous))
        }
        return PutResult(prevKV: request.prevKV ? previous : nil, revision: revision.main)
    }

    private func applyDelete(_ request: DeleteRangeRequest, in write: inout WriteContext) -> DeleteRangeResult {
        var deleted: [KeyValue] = []
        for key in sortedKeys.keys(in: request.range) {
            guard let previous = value(of: key, atMain: write.main) else { continue }
            let revision = write.nextRevision()
            let storeKey = StoreKey(key)
            keyIndexes[storeKey]!.tombstone(key: key, at: revision)
            retained(KeyVersion(revision: revision, kv: KeyValue(key: key, modRevision: revision.main), isTombstone: true), key: storeKey)
            deleted.append(previous)
            keyCount -= 1
            leaseAttachments.move(storeKey, from: previous.lease, to: 0)
            if watchers.count > 0 {
                write.events.append(WatchEvent(kind: .delete, kv: KeyValue(key: key, modRevision: revision.main), prevKV: previous))
            }
        }
        return DeleteRangeResult(deleted: Int64(deleted.count), prevKVs: request.prevKV ? deleted : [], revision: write.main)
    }

    /// Counts a new write in the history and the retained totals.
    private func retained(_ version: KeyVersion, key: StoreKey) {
        history.append(HistoryEntry(revision: version.revision, key: key))
        retainedRevisions += 1
        if version.isTombstone { retainedTombstones += 1 }
        retainedBytes += version.retainedBytes
        if retainedBytes > allocatedBytes { allocatedBytes = retainedBytes }
    }

    func holds(_ compare: Compare, atMain: Int64) -> Bool {
        let kvs = read(RangeRequest(range: compare.range), atMain: atMain).kvs
        if kvs.isEmpty {
            // A missing key has no value to compare; its version and revisions are 0.
            if case .value = compare.target { return false }
            return Self.compare(KeyValue(key: compare.range.key), compare)
        }
        return kvs.allSatisfy { Self.compare($0, compare) }
    }

    private static func compare(_ kv: KeyValue, _ compare: Compare) -> Bool {
        let order: Int
        switch compare.target {
        case .value(let v):
            order = kv.value == v ? 0 : (kv.value.bytesPrecede(v) ? -1 : 1)
        case .version(let v): order = kv.version == v ? 0 : (kv.version < v ? -1 : 1)
        case .createRevision(let v): order = kv.createRevision == v ? 0 : (kv.createRevision < v ? -1 : 1)
        case .modRevision(let v): order = kv.modRevision == v ? 0 : (kv.modRevision < v ? -1 : 1)
        case .lease(let v): order = kv.lease == v ? 0 : (kv.lease < v ? -1 : 1)
        }
        switch compare.result {
        case .equal: return order == 0
        case .greater: return order > 0
        case .less: return order < 0
        case .notEqual: return order != 0
        }
    }

    /// etcd refuses a transaction whose branches write a key twice (a put and a delete, or two puts).
    private func validate(_ request: TxnRequest) throws(MVCCError) {
        for branch in [request.success, request.failure] where Self.mayWriteTwice(branch) {
            var puts = Set<[UInt8]>()
            var deletes: [KeyRange] = []
            try collectWrites(branch, puts: &puts, deletes: &deletes)
        }
    }

    /// A branch of one plain operation cannot write a key twice; a put (a one-operation
    /// transaction) skips building the sets that would show it.
    private static func mayWriteTwice(_ ops: [RequestOp]) -> Bool {
        guard ops.count == 1 else { return ops.count > 1 }
        if case .txn = ops[0] { return true }
        return false
    }

    private func collectWrites(_ ops: [RequestOp], puts: inout Set<[UInt8]>, deletes: inout [KeyRange]) throws(MVCCError) {
        for op in ops {
            switch op {
            case .put(let put):
                if !puts.insert(put.key).inserted { throw .duplicateKey(put.key) }
                if deletes.contains(where: { $0.contains(put.key) }) { throw .duplicateKey(put.key) }
            case .deleteRange(let delete):
                if let clash = puts.first(where: { delete.range.contains($0) }) { throw .duplicateKey(clash) }
                deletes.append(delete.range)
            case .txn(let nested):
                // Each branch of a nested transaction may write what the other does, not what we do.
                for branch in [nested.success, nested.failure] {
                    var nestedPuts = puts
                    var nestedDeletes = deletes
                    try collectWrites(branch, puts: &nestedPuts, deletes: &nestedDeletes)
                }
            case .range:
                break
            }
        }
    }

    // MARK: Compaction

    /// Forgets history before `revision`: reads at older revisions fail afterwards.
    public func compact(_ revision: Int64) throws(MVCCError) {
        if revision <= compactRevision { throw .compacted(requested: revision, compactRevision: compactRevision) }
        if revision > currentRevision { throw .futureRevision(requested: revision, currentRevision: currentRevision) }
        // Only keys written since the last compaction can hold revisions it drops: every other
        // key was already cut down to its one visible revision then. A key written more than
        // once is visited again, which finds nothing more to drop.
        let firstKept = history.partitionPoint { $0.revision.main < revision }
        var dropped = DroppedVersions()
        for entry in history[..<firstKept] {
            guard keyIndexes[entry.key]?.compact(atMain: revision, dropped: &dropped) == true else { continue }
            keyIndexes.removeValue(forKey: entry.key)
            sortedKeys.remove(entry.key.bytes)
        }
        retainedRevisions -= dropped.versions
        retainedTombstones -= dropped.tombstones
        retainedBytes -= dropped.bytes
        history.removeFirst(firstKept)
        compactRevision = revision
    }

    // MARK: Watch support

    /// The change a history entry records, as a watcher sees it.
    func event(at entry: HistoryEntry) -> WatchEvent? {
        guard let version = keyIndexes[entry.key]?.version(at: entry.revision) else { return nil }
        let prevKV = value(of: version.kv.key, atMain: entry.revision.main - 1)
        return WatchEvent(kind: version.isTombstone ? .delete : .put, kv: version.kv, prevKV: prevKV)
    }
}

extension Array {
    /// The index of the first element for which `belongsBefore` is false, in an array where it
    /// holds for a prefix.
    func partitionPoint(_ belongsBefore: (Element) -> Bool) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongsBefore(self[mid]) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }
}
