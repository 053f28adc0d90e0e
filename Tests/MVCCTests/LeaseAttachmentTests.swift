import MVCC
import Testing

/// Which keys a lease holds, as the store keeps it through puts, deletes, transactions and
/// snapshots; and etcd's ignore_lease.
@Suite struct LeaseAttachmentTests {
    static func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func aKeyBelongsToTheLeaseOfItsLiveValue() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: Self.b("a"), value: Self.b("1"), lease: 5))
        _ = try store.put(PutRequest(key: Self.b("b"), value: Self.b("1"), lease: 5))
        _ = try store.put(PutRequest(key: Self.b("c"), value: Self.b("1"), lease: 6))
        #expect(store.keys(attachedTo: 5) == [Self.b("a"), Self.b("b")])
        // A put with another lease moves the key; a put with none frees it; a delete too.
        _ = try store.put(PutRequest(key: Self.b("a"), value: Self.b("2"), lease: 6))
        _ = try store.put(PutRequest(key: Self.b("c"), value: Self.b("2")))
        #expect(store.keys(attachedTo: 5) == [Self.b("b")])
        #expect(store.keys(attachedTo: 6) == [Self.b("a")])
        _ = try store.txn(TxnRequest(success: [.deleteRange(DeleteRangeRequest(range: .prefix(Self.b("b"))))]))
        #expect(store.keys(attachedTo: 5).isEmpty)
        // A snapshot brings the attachments back from the live values.
        let restored = MVCCStore()
        try restored.restore(fromSnapshot: store.snapshotData())
        #expect(restored.keys(attachedTo: 6) == [Self.b("a")])
        #expect(restored.keys(attachedTo: 5).isEmpty)
    }

    @Test func ignoreLeaseKeepsTheLeaseAndNeedsALiveKey() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: Self.b("k"), value: Self.b("1"), lease: 9))
        _ = try store.put(PutRequest(key: Self.b("k"), value: Self.b("2"), ignoreLease: true))
        let kv = try #require(try store.range(RangeRequest(range: KeyRange(key: Self.b("k")))).kvs.first)
        #expect(kv.lease == 9 && kv.value == Self.b("2"))
        #expect(store.keys(attachedTo: 9) == [Self.b("k")])
        #expect(throws: MVCCError.keyNotFound) { try store.put(PutRequest(key: Self.b("missing"), value: [], ignoreLease: true)) }
    }

    @Test func theLeasesATransactionWouldPutFollowItsCompares() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: Self.b("x"), value: Self.b("1")))
        let txn = TxnRequest(compare: [Compare(range: KeyRange(key: Self.b("x")), target: .value(Self.b("1")), result: .equal)],
                             success: [.put(PutRequest(key: Self.b("y"), value: [], lease: 3)),
                                       .txn(TxnRequest(compare: [Compare(range: KeyRange(key: Self.b("x")), target: .version(9), result: .equal)],
                                                       success: [.put(PutRequest(key: Self.b("z"), value: [], lease: 4))],
                                                       failure: [.put(PutRequest(key: Self.b("z"), value: [], lease: 5))]))],
                             failure: [.put(PutRequest(key: Self.b("y"), value: [], lease: 6))])
        #expect(store.leasesPut(by: txn) == [3, 5])
    }
}
