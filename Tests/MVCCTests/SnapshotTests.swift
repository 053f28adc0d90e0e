import ByteCoding
import Testing
@testable import MVCC

@Suite struct StoreSnapshotTests {
    func populated() throws -> MVCCStore {
        let store = MVCCStore()
        for i in 0..<20 { _ = try store.put(PutRequest(key: b("k\(i % 7)"), value: b("v\(i)"), lease: Int64(i % 3))) }
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("k3"))))
        try store.compact(10)
        _ = try store.put(PutRequest(key: b("k3"), value: b("again")))
        store.setConsistentIndex(42)
        return store
    }

    @Test func roundTripKeepsEveryReadableRevision() throws {
        let original = try populated()
        let copy = MVCCStore()
        try copy.restore(fromSnapshot: original.snapshotData())
        #expect(copy.currentRevision == original.currentRevision)
        #expect(copy.compactRevision == 10)
        #expect(copy.consistentIndex == 42)
        for rev in 10...original.currentRevision {
            let request = RangeRequest(range: KeyRange(key: [0], rangeEnd: [0]), revision: rev)
            #expect(try copy.range(request) == original.range(request), "revision \(rev)")
        }
        #expect(copy.snapshotData() == original.snapshotData())
    }

    /// An image shares the store's tables and arena; whatever the store does after, the image
    /// encodes the store as it was when taken.
    @Test func anImageKeepsTheStoreAsItWasWhileTheStoreGoesOn() throws {
        let store = MVCCStore()
        for i in 0..<10_000 { _ = try store.put(PutRequest(key: b("k\(i % 6_000)"), value: b("value \(i)"))) }
        let before = store.snapshotData()
        let image = store.image()
        for i in 0..<10_000 { _ = try store.put(PutRequest(key: b("k\(i % 9_000)"), value: b("later \(i)"))) }
        _ = try store.deleteRange(DeleteRangeRequest(range: KeyRange(key: b("k1"), rangeEnd: b("k5"))))
        try store.compact(store.currentRevision)
        store.repackArena()
        #expect(image.encoded() == before)
        #expect(image.encodedBytes == before.count)
        #expect(store.arena.garbageBytes == 0)
        // The same contents restored, key by key, from the image's bytes.
        let copy = MVCCStore()
        try copy.restore(fromSnapshot: image.encoded())
        #expect(copy.snapshotData() == before)
    }

    /// A count of records that the bytes left cannot hold is refused before anything is built.
    @Test func aRecordCountBeyondTheBytesIsRefused() throws {
        var bytes = try populated().snapshotData()
        // The count sits after the magic and three 8-byte fields.
        for i in 0..<8 { bytes[28 + i] = 0xff }
        #expect(throws: MVCCError.self) { try MVCCStore().restore(fromSnapshot: bytes) }
        do {
            try MVCCStore().restore(fromSnapshot: bytes)
        } catch {
            #expect(error.description.contains("records cannot fit"), "\(error)")
        }
    }

    @Test func restoredStoreKeepsWriting() throws {
        let copy = MVCCStore()
        try copy.restore(fromSnapshot: populated().snapshotData())
        let put = try copy.put(PutRequest(key: b("k1"), value: b("new"), prevKV: true))
        #expect(put.revision == 24)
        #expect(put.prevKV != nil)
    }

    @Test func everyTruncationIsACleanError() throws {
        let data = try populated().snapshotData()
        for cut in stride(from: 0, to: data.count, by: 7) {
            let store = MVCCStore()
            #expect(throws: MVCCError.self) { try store.restore(fromSnapshot: Array(data[..<cut])) }
            #expect(store.currentRevision == 1, "a failed restore leaves the store unchanged")
        }
    }

    /// A snapshot with `(main, key, value)` records in the order given (puts only).
    static func handMade(current: Int64, _ records: [(Int64, String, String)]) -> [UInt8] {
        var out = ByteWriter()
        out.bytes(MVCCStore.snapshotMagic)
        out.int64(current)
        out.int64(0)
        out.uint64(0)
        out.uint64(UInt64(records.count))
        for (main, key, value) in records {
            out.int64(main)
            out.int64(0)
            out.uint8(0)
            out.lengthPrefixed(b(key))
            out.lengthPrefixed(b(value))
            out.int64(main)
            out.int64(1)
            out.int64(0)
        }
        return out.buffer
    }

    @Test func recordsInRevisionOrderDecodeAndComeBackInKeyOrder() throws {
        // Snapshots used to list records in revision order; now key by key.
        let store = MVCCStore()
        try store.restore(fromSnapshot: Self.handMade(current: 3, [(2, "b", "1"), (3, "a", "2")]))
        #expect(try store.range(RangeRequest(range: KeyRange(key: [0], rangeEnd: [0]))).kvs.map(\.value) == [b("2"), b("1")])
        #expect(store.snapshotData() == Self.handMade(current: 3, [(3, "a", "2"), (2, "b", "1")]))
        let events = store.watchHub.takeEvents(try store.watch(range: KeyRange(key: [0], rangeEnd: [0]), startRevision: 1))
        #expect(events.map(\.kv.modRevision) == [2, 3], "history is in revision order again")
    }

    @Test func aRevisionTwiceOrAKeyGoingBackIsRefused() throws {
        #expect(throws: MVCCError.self) { try MVCCStore().restore(fromSnapshot: Self.handMade(current: 3, [(2, "a", "1"), (2, "b", "1")])) }
        #expect(throws: MVCCError.self) { try MVCCStore().restore(fromSnapshot: Self.handMade(current: 3, [(3, "a", "1"), (2, "a", "2")])) }
        #expect(throws: MVCCError.self) { try MVCCStore().restore(fromSnapshot: Self.handMade(current: 3, [(4, "a", "1")])) }
    }

    @Test func badMagicAndTrailingBytesAreNamed() throws {
        let data = try populated().snapshotData()
        var wrong = data
        wrong[0] = 0
        #expect(throws: MVCCError.corruptSnapshot("at byte 0: bad magic")) { try MVCCStore().restore(fromSnapshot: wrong) }
        #expect(throws: MVCCError.corruptSnapshot("at byte \(data.count): 1 unexpected trailing bytes")) {
            try MVCCStore().restore(fromSnapshot: data + [9])
        }
    }
}
