import Testing
@testable import MVCC

/// Random writes, compactions and reads against a plain model of every revision's contents.
@Suite struct ModelTests {
    struct Rng {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test(arguments: 1...20)
    func storeMatchesModel(seed: Int) throws {
        var rng = Rng(state: UInt64(seed))
        let store = MVCCStore()
        // The model: the whole key-value map at each revision.
        var states: [Int64: [String: String]] = [1: [:]]
        var current: [String: String] = [:]
        let keys = ["a", "b", "c", "d", "e"]
        for step in 0..<300 {
            switch rng.next(10) {
            case 0..<5:
                let k = keys[rng.next(keys.count)]
                let v = "v\(step)"
                _ = try store.put(PutRequest(key: b(k), value: b(v)))
                current[k] = v
                states[store.currentRevision] = current
            case 5, 6:
                let lo = rng.next(keys.count)
                let hi = lo + rng.next(keys.count - lo + 1)
                let range = KeyRange(key: b(keys[lo]), rangeEnd: hi < keys.count ? b(keys[hi]) : [0])
                let removed = keys[lo..<hi].filter { current[$0] != nil }
                let result = try store.deleteRange(DeleteRangeRequest(range: range))
                #expect(Int(result.deleted) == removed.count)
                if !removed.isEmpty {
                    for k in removed { current[k] = nil }
                    states[store.currentRevision] = current
                }
            case 7 where rng.next(4) == 0 && store.currentRevision > store.compactRevision:
                let target = store.compactRevision + 1 + Int64(rng.next(Int(store.currentRevision - store.compactRevision)))
                try store.compact(target)
                // Half the time, copy what is live into a fresh arena, as a compaction that
                // leaves more garbage than live bytes does; the reads after must not change.
                if rng.next(2) == 0 {
                    let garbage = store.arena.garbageBytes
                    store.repackArena()
                    #expect(store.arena.garbageBytes == 0 && store.arena.usedBytes + garbage >= store.arena.liveBytes)
                }
            default:
                let rev = store.compactRevision + Int64(rng.next(Int(store.currentRevision - store.compactRevision) + 1))
                let atRev = max(rev, 1)
                let expected = states.filter { $0.key <= atRev }.max { $0.key < $1.key }!.value
                let got = try store.range(RangeRequest(range: KeyRange(key: [0], rangeEnd: [0]), revision: atRev))
                let gotMap = Dictionary(uniqueKeysWithValues: got.kvs.map { (String(decoding: $0.key, as: UTF8.self), String(decoding: $0.value, as: UTF8.self)) })
                #expect(gotMap == expected, "seed \(seed) step \(step) revision \(atRev)")
            }
            let (versions, tombstones, bytes) = Self.recount(store)
            #expect(store.retainedRevisions == versions, "seed \(seed) step \(step)")
            #expect(store.retainedTombstones == tombstones, "seed \(seed) step \(step)")
            #expect(store.retainedBytes == bytes, "seed \(seed) step \(step)")
        }
        // A watch from the compact revision replays every change since, and the store's
        // snapshot restores to the same state.
        let watch = try store.watch(range: KeyRange(key: [0], rangeEnd: [0]), startRevision: max(store.compactRevision, 1))
        var replayed = states.filter { $0.key <= max(store.compactRevision, 1) }.max { $0.key < $1.key }!.value
        for event in store.watchHub.takeEvents(watch) {
            let k = String(decoding: event.kv.key, as: UTF8.self)
            replayed[k] = event.kind == .put ? String(decoding: event.kv.value, as: UTF8.self) : nil
        }
        #expect(replayed == current, "seed \(seed): the watch's replay")
        let copy = MVCCStore()
        try copy.restore(fromSnapshot: store.snapshotData())
        #expect(copy.retainedRevisions == store.retainedRevisions && copy.retainedBytes == store.retainedBytes)
        #expect(copy.snapshotData() == store.snapshotData())
    }

    /// The retained totals counted from scratch.
    static func recount(_ store: MVCCStore) -> (versions: Int, tombstones: Int, bytes: Int) {
        var versions = 0
        var tombstones = 0
        var bytes = 0
        for i in 0..<store.entries.count {
            let entry = store.entries[UInt32(i)]
            guard !entry.isFree else { continue }
            for record in store.older(entry) + [entry.latest] {
                versions += 1
                if record.isTombstone { tombstones += 1 }
                bytes += Int(entry.key.length) + store.arena.bytes(record.value).count + VersionRecord.bookkeepingBytes
            }
        }
        return (versions, tombstones, bytes)
    }
}
