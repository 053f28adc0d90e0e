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

    /// Every key and value the store retains, packed in pages.
    var arena = ByteArena()
    /// Each key's record by key id: its bytes' slot and its retained writes.
    var entries = KeyEntries()
    /// The writes before each key's latest, for keys that have any (most have none).
    var olderVersions: [[VersionRecord]] = []
    /// Lists of `olderVersions` and key ids no longer in use, to reuse.
    var freeOlderLists: [Int32] = []
    var freeIDs: [UInt32] = []
    /// Key bytes to key id.
    var table = KeyTable()
    var sortedKeys = SortedKeys()
    /// Every write since the compact revision, in revision order, with its key: for watches
    /// that start in the past, and for compaction, which visits only the keys written since.
    var history: [HistoryEntry] = []
    let watchers = WatchHub()
    /// The live keys of each lease.
    var leaseAttachments = LeaseAttachments()

    /// A write in the history: its revision and the id of the key it wrote, in 16 bytes.
    struct HistoryEntry {
        var main: Int64
        var sub: Int32
        var key: UInt32

        var revision: Revision { Revision(main: main, sub: Int64(sub)) }
    }

    /// Compaction leaves the arena's dropped bytes behind; once they outweigh the live bytes and
    /// reach this much, the arena is copied down to what is live.
    static let repackGarbageBytes = 64 << 20

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
        for id in ids(in: request.range) {
            guard let record = visible(id, atMain: atMain) else { continue }
            count += 1
            if !request.countOnly && Int64(kvs.count) < limit {
                kvs.append(keyValue(key: keyBytes(id), record, withValue: !request.keysOnly))
            }
        }
        return RangeResult(kvs: kvs, count: count, more: count > Int64(kvs.count) && !request.countOnly, revision: currentRevision)
    }

    /// The ids of the keys a range names that the store has (live or not), in key order.
    func ids(in range: KeyRange) -> [UInt32] {
        if range.isSingleKey { return id(of: range.key).map { [$0] } ?? [] }
        return sortedKeys.ids(in: range, self)
    }

    func id(of key: [UInt8]) -> UInt32? {
        key.withUnsafeBytes { id(of: $0, hash: hashBytes($0)) }
    }

    func id(of key: UnsafeRawBufferPointer, hash: UInt32) -> UInt32? {
        table.find(hash: hash) { candidate in
            arena.withBytes(entries[candidate].key) { compareBytes($0, key) == 0 }
        }
    }

    func keyBytes(_ id: UInt32) -> [UInt8] {
        arena.bytes(entries[id].key)
    }

    /// The writes of a key before its latest, oldest first.
    func older(_ entry: KeyEntry) -> [VersionRecord] {
        entry.older >= 0 ? olderVersions[Int(entry.older)] : []
    }

    /// The put that is a key's value as of `atMain`, if the key existed then.
    func visible(_ id: UInt32, atMain: Int64) -> VersionRecord? {
        let entry = entries[id]
        if entry.latest.main <= atMain { return entry.isLive ? entry.latest : nil }
        let older = older(entry)
        guard let i = newestIndex(of: older, latest: entry.latest, atMain: atMain) else { return nil }
        return older[i].isTombstone ? nil : older[i]
    }

    /// A put as a reader sees it.
    func keyValue(key: [UInt8], _ record: VersionRecord, withValue: Bool = true) -> KeyValue {
        KeyValue(key: key, value: withValue ? arena.bytes(record.value) : [], createRevision: record.createRevision,
                 modRevision: record.main, version: record.version, lease: record.lease)
    }

    /// The value of one key as of `atMain`, if it existed then.
    func value(of key: [UInt8], atMain: Int64) -> KeyValue? {
        guard let id = id(of: key), let record = visible(id, atMain: atMain) else { return nil }
        return keyValue(key: key, record)
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
        let (hash, existing) = request.key.withUnsafeBytes { key in
            let hash = hashBytes(key)
            return (hash, id(of: key, hash: hash))
        }
        var lease = request.lease
        if request.ignoreLease {
            // etcd's ignore_lease keeps the lease of the value there is, and there must be one.
            guard let existing, entries[existing].isLive else { throw .keyNotFound }
            lease = entries[existing].latest.lease
        }
        let revision = write.nextRevision()
        let value = arena.append(request.value)
        var previous: VersionRecord?
        let record: VersionRecord
        let keyID: UInt32
        if let existing {
            keyID = existing
            let entry = entries[existing]
            if entry.isLive { previous = entry.latest }
            record = VersionRecord(main: revision.main, createRevision: previous?.createRevision ?? revision.main,
                                   version: (previous?.version ?? 0) + 1, lease: lease, value: value, sub: VersionRecord.sub(revision))
            push(record, to: existing)
        } else {
            record = VersionRecord(main: revision.main, createRevision: revision.main, version: 1, lease: lease, value: value,
                                   sub: VersionRecord.sub(revision))
            keyID = addKey(request.key, hash: hash, latest: record)
        }
        if previous == nil { keyCount += 1 }
        leaseAttachments.move(request.key, from: previous?.lease ?? 0, to: lease)
        retained(revision, key: keyID, bytes: request.key.count + request.value.count, isTombstone: false)
        guard request.prevKV || watchers.count > 0 else { return PutResult(prevKV: nil, revision: revision.main) }
        let previousKV = previous.map { keyValue(key: request.key, $0) }
        if watchers.count > 0 {
            write.events.append(WatchEvent(kind: .put, kv: keyValue(key: request.key, record), prevKV: previousKV))
        }
        return PutResult(prevKV: request.prevKV ? previousKV : nil, revision: revision.main)
    }

    private func applyDelete(_ request: DeleteRangeRequest, in write: inout WriteContext) -> DeleteRangeResult {
        var deleted: Int64 = 0
        var previousKVs: [KeyValue] = []
        for id in ids(in: request.range) {
            // The latest write is at or before this one: the key is live now if it is live there.
            let entry = entries[id]
            guard entry.isLive else { continue }
            let previous = entry.latest
            let revision = write.nextRevision()
            push(.tombstone(at: revision), to: id)
            let key = keyBytes(id)
            retained(revision, key: id, bytes: key.count, isTombstone: true)
            deleted += 1
            keyCount -= 1
            leaseAttachments.move(key, from: previous.lease, to: 0)
            guard request.prevKV || watchers.count > 0 else { continue }
            let previousKV = keyValue(key: key, previous)
            if request.prevKV { previousKVs.append(previousKV) }
            if watchers.count > 0 {
                write.events.append(WatchEvent(kind: .delete, kv: KeyValue(key: key, modRevision: revision.main), prevKV: previousKV))
            }
        }
        return DeleteRangeResult(deleted: deleted, prevKVs: previousKVs, revision: write.main)
    }

    /// Makes `record` a key's latest write, keeping the one it follows.
    func push(_ record: VersionRecord, to id: UInt32) {
        var entry = entries[id]
        precondition(record.revision > entry.latest.revision, "key revision \(record.revision) is not after \(entry.latest.revision)")
        if entry.older < 0 { entry.older = takeOlderList() }
        olderVersions[Int(entry.older)].append(entry.latest)
        entry.latest = record
        entries.update(id) { $0 = entry }
    }

    /// A new key with its first write.
    func addKey(_ key: UnsafeRawBufferPointer, hash: UInt32, latest: VersionRecord) -> UInt32 {
        let entry = KeyEntry(key: arena.append(key), older: -1, latest: latest)
        let id: UInt32
        if let free = freeIDs.popLast() {
            id = free
            entries.update(id) { $0 = entry }
        } else {
            id = entries.append(entry)
        }
        table.insert(hash: hash, id: id)
        sortedKeys.insert(id, self)
        return id
    }

    func addKey(_ key: [UInt8], hash: UInt32, latest: VersionRecord) -> UInt32 {
        key.withUnsafeBytes { addKey($0, hash: hash, latest: latest) }
    }

    private func takeOlderList() -> Int32 {
        if let free = freeOlderLists.popLast() { return free }
        precondition(olderVersions.count < Int(Int32.max), "the store ran out of version lists")
        olderVersions.append([])
        return Int32(olderVersions.count - 1)
    }

    private func releaseOlderList(_ list: Int32) {
        olderVersions[Int(list)] = []
        freeOlderLists.append(list)
    }

    /// Counts a new write in the history and the retained totals.
    private func retained(_ revision: Revision, key: UInt32, bytes: Int, isTombstone: Bool) {
        history.append(HistoryEntry(main: revision.main, sub: VersionRecord.sub(revision), key: key))
        retainedRevisions += 1
        if isTombstone { retainedTombstones += 1 }
        retainedBytes += bytes + VersionRecord.bookkeepingBytes
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
        let firstKept = history.partitionPoint { $0.main < revision }
        var dropped = DroppedVersions()
        for entry in history[..<firstKept] {
            compactKey(entry.key, atMain: revision, dropped: &dropped)
        }
        retainedRevisions -= dropped.versions
        retainedTombstones -= dropped.tombstones
        retainedBytes -= dropped.bytes
        history.removeFirst(firstKept)
        compactRevision = revision
        if arena.needsRepacking(minimumGarbage: Self.repackGarbageBytes) { repackArena() }
    }

    /// Drops the writes of one key that no read at `atMain` or later can see: everything before
    /// its newest write at or before `atMain`, and that write too when it is a tombstone (the
    /// key was deleted by then). A key left with no writes is forgotten.
    private func compactKey(_ id: UInt32, atMain: Int64, dropped: inout DroppedVersions) {
        let entry = entries[id]
        // Forgotten already, or one live write: nothing to drop.
        if entry.isFree || (entry.older < 0 && entry.isLive) { return }
        let older = older(entry)
        guard let newest = newestIndex(of: older, latest: entry.latest, atMain: atMain) else { return }
        let isTombstone = newest == older.count ? entry.latest.isTombstone : older[newest].isTombstone
        let dropCount = isTombstone ? newest + 1 : newest
        guard dropCount > 0 else { return }
        let keyBytes = Int(entry.key.length)
        for record in older.prefix(dropCount) {
            dropped.count(record, keyBytes: keyBytes)
            arena.release(record.value)
        }
        if dropCount == older.count + 1 {
            dropped.count(entry.latest, keyBytes: keyBytes)
            arena.release(entry.latest.value)
            forget(id)
        } else if dropCount == older.count {
            releaseOlderList(entry.older)
            entries.update(id) { $0.older = -1 }
        } else {
            olderVersions[Int(entry.older)].removeFirst(dropCount)
        }
    }

    /// Takes a key with no writes left out of every table; its id is reused.
    private func forget(_ id: UInt32) {
        let entry = entries[id]
        let hash = arena.withBytes(entry.key) { hashBytes($0) }
        table.remove(hash: hash, id: id)
        sortedKeys.remove(id, self)
        arena.release(entry.key)
        if entry.older >= 0 { releaseOlderList(entry.older) }
        entries.update(id) { $0 = KeyEntry.free }
        freeIDs.append(id)
    }

    /// Copies every live key and value into a fresh arena, letting the garbage go.
    func repackArena() {
        var fresh = ByteArena()
        let old = arena
        func copy(_ slot: ArenaSlot) -> ArenaSlot { old.withBytes(slot) { fresh.append($0) } }
        for i in 0..<entries.count {
            let id = UInt32(i)
            guard !entries[id].isFree else { continue }
            entries.update(id) { entry in
                entry.key = copy(entry.key)
                entry.latest.value = copy(entry.latest.value)
            }
        }
        for list in olderVersions.indices {
            for v in olderVersions[list].indices {
                olderVersions[list][v].value = copy(olderVersions[list][v].value)
            }
        }
        arena = fresh
    }

    // MARK: Watch support

    /// The change a history entry records, as a watcher sees it.
    func event(at entry: HistoryEntry) -> WatchEvent? {
        let keyEntry = entries[entry.key]
        guard !keyEntry.isFree else { return nil }
        let revision = entry.revision
        let record: VersionRecord
        if keyEntry.latest.revision == revision {
            record = keyEntry.latest
        } else if let found = older(keyEntry).last(where: { $0.revision == revision }) {
            record = found
        } else {
            return nil
        }
        let key = keyBytes(entry.key)
        let prevKV = visible(entry.key, atMain: entry.main - 1).map { keyValue(key: key, $0) }
        if record.isTombstone {
            return WatchEvent(kind: .delete, kv: KeyValue(key: key, modRevision: record.main), prevKV: prevKV)
        }
        return WatchEvent(kind: .put, kv: keyValue(key: key, record), prevKV: prevKV)
    }
}

extension MVCCStore: KeyBytesSource {
    func withKeyBytes<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        arena.withBytes(entries[id].key, body)
    }
}

extension KeyEntry {
    static let free = KeyEntry(key: .empty, older: -1,
                               latest: VersionRecord(main: 0, createRevision: 0, version: 0, lease: 0, value: .empty, sub: 0))
}

/// What a compaction dropped, for the store's running totals.
struct DroppedVersions {
    var versions = 0
    var tombstones = 0
    var bytes = 0

    mutating func count(_ record: VersionRecord, keyBytes: Int) {
        versions += 1
        if record.isTombstone { tombstones += 1 }
        bytes += keyBytes + Int(record.value.length) + VersionRecord.bookkeepingBytes
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
