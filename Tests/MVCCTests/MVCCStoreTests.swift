import Testing
@testable import MVCC

func b(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct MVCCStoreTests {
    @Test func emptyStoreStartsAtRevisionOne() throws {
        let store = MVCCStore()
        #expect(store.currentRevision == 1)
        let r = try store.range(RangeRequest(range: KeyRange(key: b("a"))))
        #expect(r.kvs.isEmpty && r.count == 0 && r.revision == 1)
    }

    @Test func putTracksCreateModAndVersion() throws {
        let store = MVCCStore()
        let first = try store.put(PutRequest(key: b("k"), value: b("v1")))
        #expect(first.revision == 2)
        let second = try store.put(PutRequest(key: b("k"), value: b("v2"), prevKV: true))
        #expect(second.revision == 3)
        #expect(second.prevKV?.value == b("v1"))
        let kv = try #require(try store.range(RangeRequest(range: KeyRange(key: b("k")))).kvs.first)
        #expect(kv.value == b("v2"))
        #expect(kv.createRevision == 2)
        #expect(kv.modRevision == 3)
        #expect(kv.version == 2)
    }

    @Test func putWithoutPrevKVReturnsNone() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("v1")))
        #expect(try store.put(PutRequest(key: b("k"), value: b("v2"))).prevKV == nil)
    }

    @Test func emptyKeyIsRefused() {
        let store = MVCCStore()
        #expect(throws: MVCCError.emptyKey) { try store.put(PutRequest(key: [], value: b("v"))) }
        #expect(store.currentRevision == 1)
    }

    @Test func rangeAtOldRevisionSeesOldValue() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("v1")))
        _ = try store.put(PutRequest(key: b("k"), value: b("v2")))
        let old = try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 2))
        #expect(old.kvs.map(\.value) == [b("v1")])
        #expect(old.revision == 3)
        let before = try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 1))
        #expect(before.kvs.isEmpty)
    }

    @Test func futureRevisionIsRefused() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("v")))
        #expect(throws: MVCCError.futureRevision(requested: 9, currentRevision: 2)) {
            try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 9))
        }
    }

    @Test func rangeEndConventions() throws {
        let store = MVCCStore()
        for k in ["a", "ab", "abc", "b", "c"] { _ = try store.put(PutRequest(key: b(k), value: b(k))) }
        let keys = { (r: KeyRange) throws -> [String] in
            try store.range(RangeRequest(range: r)).kvs.map { String(decoding: $0.key, as: UTF8.self) }
        }
        #expect(try keys(KeyRange(key: b("ab"))) == ["ab"])
        #expect(try keys(KeyRange(key: b("ab"), rangeEnd: b("b"))) == ["ab", "abc"])
        #expect(try keys(KeyRange(key: b("ab"), rangeEnd: [0])) == ["ab", "abc", "b", "c"])
        #expect(try keys(KeyRange.prefix(b("a"))) == ["a", "ab", "abc"])
        #expect(try keys(KeyRange(key: [0], rangeEnd: [0])) == ["a", "ab", "abc", "b", "c"])
        #expect(try keys(KeyRange(key: b("c"), rangeEnd: b("a"))) == [])
    }

    @Test func prefixOfAllFFReachesTheEnd() {
        #expect(KeyRange.prefix([0xff, 0xff]).rangeEnd == [0])
        #expect(KeyRange.prefix([0x61, 0xff]).rangeEnd == [0x62])
    }

    @Test func limitCountOnlyAndKeysOnly() throws {
        let store = MVCCStore()
        for k in ["k1", "k2", "k3", "k4"] { _ = try store.put(PutRequest(key: b(k), value: b("value"))) }
        let limited = try store.range(RangeRequest(range: .prefix(b("k")), limit: 2))
        #expect(limited.kvs.count == 2 && limited.count == 4 && limited.more)
        let all = try store.range(RangeRequest(range: .prefix(b("k")), limit: 4))
        #expect(!all.more)
        let counted = try store.range(RangeRequest(range: .prefix(b("k")), countOnly: true))
        #expect(counted.kvs.isEmpty && counted.count == 4 && !counted.more)
        let bare = try store.range(RangeRequest(range: .prefix(b("k")), keysOnly: true))
        #expect(bare.kvs.allSatisfy { $0.value.isEmpty } && bare.kvs.count == 4)
    }

    @Test func deleteRangeWritesTombstonesAtOneRevision() throws {
        let store = MVCCStore()
        for k in ["a", "b", "c"] { _ = try store.put(PutRequest(key: b(k), value: b(k))) }
        let deleted = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("a"), rangeEnd: b("c")), prevKV: true))
        #expect(deleted.deleted == 2)
        #expect(deleted.prevKVs.map(\.key) == [b("a"), b("b")])
        #expect(deleted.revision == 5)
        #expect(store.currentRevision == 5)
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("a"), rangeEnd: [0]))).kvs.map(\.key) == [b("c")])
        // Nothing to delete: no new revision.
        let none = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("zzz"))))
        #expect(none.deleted == 0 && store.currentRevision == 5)
    }

    @Test func recreatedKeyStartsAFreshLife() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("1")))
        _ = try store.put(PutRequest(key: b("k"), value: b("2")))
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("k"))))
        _ = try store.put(PutRequest(key: b("k"), value: b("3")))
        let kv = try #require(try store.range(RangeRequest(range: KeyRange(key: b("k")))).kvs.first)
        #expect(kv.createRevision == 5 && kv.version == 1)
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 4)).kvs.isEmpty)
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 3)).kvs.first?.version == 2)
    }

    @Test func compactionDropsOldRevisionsButKeepsVisibleOnes() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("1")))  // 2
        _ = try store.put(PutRequest(key: b("k"), value: b("2")))  // 3
        _ = try store.put(PutRequest(key: b("gone"), value: b("x")))  // 4
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("gone"))))  // 5
        _ = try store.put(PutRequest(key: b("k"), value: b("3")))  // 6
        try store.compact(5)
        #expect(store.compactRevision == 5)
        #expect(throws: MVCCError.compacted(requested: 4, compactRevision: 5)) {
            try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 4))
        }
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("k")), revision: 5)).kvs.first?.value == b("2"))
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("k")))).kvs.first?.value == b("3"))
        // Revision 2 (k=1), and both revisions of the deleted key, are gone.
        #expect(store.retainedRevisions == 2)
        #expect(store.id(of: b("gone")) == nil)
        #expect(throws: MVCCError.compacted(requested: 5, compactRevision: 5)) { try store.compact(5) }
        #expect(throws: MVCCError.futureRevision(requested: 99, currentRevision: 6)) { try store.compact(99) }
    }

    @Test func consistentIndexOnlyMovesForward() {
        let store = MVCCStore()
        store.setConsistentIndex(7)
        store.setConsistentIndex(7)
        #expect(store.consistentIndex == 7)
    }
}

@Suite struct KeyCountTests {
    @Test func keyCountFollowsPutsDeletesAndRestores() throws {
        let store = MVCCStore()
        for k in ["a", "b", "c"] { _ = try store.put(PutRequest(key: b(k), value: b("1"))) }
        _ = try store.put(PutRequest(key: b("a"), value: b("2")))
        #expect(store.keyCount == 3)
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("a"), rangeEnd: b("c"))))
        #expect(store.keyCount == 1)
        _ = try store.put(PutRequest(key: b("a"), value: b("3")))
        #expect(store.keyCount == 2)
        try store.compact(store.currentRevision)
        #expect(store.keyCount == 2)
        let copy = MVCCStore()
        try copy.restore(fromSnapshot: store.snapshotData())
        #expect(copy.keyCount == 2)
        #expect(try copy.range(RangeRequest(range: KeyRange(key: [0], rangeEnd: [0]), countOnly: true)).count == 2)
    }
}
