import Testing
@testable import MVCC

@Suite struct StoreHashTests {
    /// The bytes a hash up to `revision` covers, joined.
    func hashed(_ store: MVCCStore, upTo revision: Int64 = 0) throws -> [UInt8] {
        let image = store.image()
        let range = try image.hashedRange(atRevision: revision)
        var out: [UInt8] = []
        image.hashRecords(upTo: range.revision, pieceBytes: 64) { out += $0 }
        return out
    }

    /// The same writes to different keys, in two orders, with a delete and a compaction.
    func made(order: [Int]) throws -> MVCCStore {
        let store = MVCCStore()
        for i in order { _ = try store.put(PutRequest(key: b("key\(i)"), value: b("value"))) }
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("key3"))))
        _ = try store.put(PutRequest(key: b("key5"), value: b("second")))
        try store.compact(4)
        return store
    }

    @Test func sameContentsHashAlikeWhateverTheOrderOfInsertion() throws {
        let a = try made(order: Array(0..<40))
        let reversed = try made(order: Array((0..<40).reversed()))
        // Keys got different revisions, so the stores differ; what is the same is a store made the same way.
        let c = try made(order: Array(0..<40))
        #expect(try hashed(a) == hashed(c))
        #expect(try hashed(a) != hashed(reversed))
        // A store rebuilt from a snapshot holds its keys in hash tables built another way.
        let restored = MVCCStore()
        try restored.restore(fromSnapshot: a.snapshotData())
        #expect(try hashed(restored) == hashed(a))
        for revision in [Int64(5), 20, 41] {
            #expect(try hashed(restored, upTo: revision) == hashed(a, upTo: revision), "up to \(revision)")
        }
    }

    @Test func aDifferentValueOrAMissingDeleteChangesTheHash() throws {
        let a = try made(order: Array(0..<10))
        let other = try made(order: Array(0..<10))
        #expect(try hashed(a) == hashed(other))
        _ = try a.put(PutRequest(key: b("key1"), value: b("x")))
        _ = try other.put(PutRequest(key: b("key1"), value: b("y")))
        #expect(a.currentRevision == other.currentRevision)
        #expect(try hashed(a) != hashed(other))
        // Up to the revision before the differing write they still agree.
        #expect(try hashed(a, upTo: a.currentRevision - 1) == hashed(other, upTo: other.currentRevision - 1))
    }

    @Test func aHashAtARevisionIgnoresWritesAfterIt() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("a"), value: b("1")))
        let before = try hashed(store)
        _ = try store.put(PutRequest(key: b("a"), value: b("2")))
        _ = try store.put(PutRequest(key: b("b"), value: b("3")))
        #expect(try hashed(store, upTo: 2) == before)
        #expect(try hashed(store) != before)
    }

    @Test func revisionsOutsideTheHistoryAreRefusedAsEtcdRefusesThem() throws {
        let store = try made(order: Array(0..<10))
        let image = store.image()
        #expect(throws: MVCCError.compacted(requested: 4, compactRevision: 4)) { try image.hashedRange(atRevision: 4) }
        #expect(throws: MVCCError.futureRevision(requested: 99, currentRevision: store.currentRevision)) {
            try image.hashedRange(atRevision: 99)
        }
        #expect(try image.hashedRange(atRevision: 0).revision == store.currentRevision)
        #expect(try image.hashedRange(atRevision: 5).revision == 5)
    }

    @Test func defragmentGivesBackWhatACompactionFreedAndChangesNothingReadable() throws {
        let store = MVCCStore()
        for i in 0..<200 { _ = try store.put(PutRequest(key: b("k\(i % 10)"), value: Array(repeating: 7, count: 100))) }
        let grown = store.allocatedBytes
        #expect(grown == store.retainedBytes)
        try store.compact(190)
        #expect(store.retainedBytes < grown)
        #expect(store.allocatedBytes == grown, "a compaction frees room without giving it back")
        let snapshot = store.snapshotData()
        let hash = try hashed(store)
        store.defragment()
        #expect(store.allocatedBytes == store.retainedBytes)
        #expect(store.snapshotData() == snapshot)
        #expect(try hashed(store) == hash)
        _ = try store.put(PutRequest(key: b("k1"), value: b("after")))
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("k1")))).kvs.first?.value == b("after"))
    }
}
