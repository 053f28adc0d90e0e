import Testing
@testable import MVCC

@Suite struct TxnTests {
    @Test func compareOnValueChoosesBranch() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("v1")))
        let txn = TxnRequest(
            compare: [Compare(range: KeyRange(key: b("k")), target: .value(b("v1")), result: .equal)],
            success: [.put(PutRequest(key: b("k"), value: b("v2")))],
            failure: [.range(RangeRequest(range: KeyRange(key: b("k"))))])
        let first = try store.txn(txn)
        #expect(first.succeeded && first.revision == 3)
        let second = try store.txn(txn)
        #expect(!second.succeeded && second.revision == 3)
        guard case .range(let r)? = second.responses.first else { Issue.record("expected a range"); return }
        #expect(r.kvs.first?.value == b("v2"))
    }

    @Test func missingKeyComparesAsZeroButNeverByValue() throws {
        let store = MVCCStore()
        let created = try store.txn(TxnRequest(
            compare: [Compare(range: KeyRange(key: b("lock")), target: .createRevision(0), result: .equal)],
            success: [.put(PutRequest(key: b("lock"), value: b("me")))]))
        #expect(created.succeeded)
        let byValue = try store.txn(TxnRequest(
            compare: [Compare(range: KeyRange(key: b("absent")), target: .value([]), result: .equal)]))
        #expect(!byValue.succeeded)
        let notEqual = try store.txn(TxnRequest(
            compare: [Compare(range: KeyRange(key: b("absent")), target: .version(0), result: .notEqual)]))
        #expect(!notEqual.succeeded)
    }

    @Test func compareResultsGreaterAndLess() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("k"), value: b("m")))
        _ = try store.put(PutRequest(key: b("k"), value: b("m")))
        let key = KeyRange(key: b("k"))
        #expect(try store.txn(TxnRequest(compare: [Compare(range: key, target: .version(1), result: .greater)])).succeeded)
        #expect(try store.txn(TxnRequest(compare: [Compare(range: key, target: .version(3), result: .less)])).succeeded)
        #expect(try store.txn(TxnRequest(compare: [Compare(range: key, target: .modRevision(3), result: .equal)])).succeeded)
        #expect(try store.txn(TxnRequest(compare: [Compare(range: key, target: .value(b("a")), result: .greater)])).succeeded)
        #expect(!(try store.txn(TxnRequest(compare: [Compare(range: key, target: .value(b("z")), result: .greater)])).succeeded))
    }

    @Test func compareOverARangeNeedsEveryKey() throws {
        let store = MVCCStore()
        _ = try store.put(PutRequest(key: b("a1"), value: b("x")))
        _ = try store.put(PutRequest(key: b("a2"), value: b("y")))
        let allX = Compare(range: .prefix(b("a")), target: .value(b("x")), result: .equal)
        #expect(!(try store.txn(TxnRequest(compare: [allX])).succeeded))
        _ = try store.put(PutRequest(key: b("a2"), value: b("x")))
        #expect(try store.txn(TxnRequest(compare: [allX])).succeeded)
    }

    @Test func writesOfATxnShareOneRevisionAndReadsSeeThem() throws {
        let store = MVCCStore()
        let result = try store.txn(TxnRequest(success: [
            .put(PutRequest(key: b("a"), value: b("1"))),
            .put(PutRequest(key: b("b"), value: b("2"))),
            .range(RangeRequest(range: .prefix([]))),
        ]))
        #expect(result.revision == 2 && store.currentRevision == 2)
        guard case .range(let r)? = result.responses.last else { Issue.record("expected a range"); return }
        #expect(r.kvs.map(\.key) == [b("a"), b("b")])
        #expect(r.kvs.allSatisfy { $0.modRevision == 2 })
    }

    @Test func readOnlyTxnDoesNotAdvanceRevision() throws {
        let store = MVCCStore()
        _ = try store.txn(TxnRequest(success: [.range(RangeRequest(range: KeyRange(key: b("a"))))]))
        #expect(store.currentRevision == 1)
    }

    @Test func duplicateKeysAreRefused() throws {
        let store = MVCCStore()
        #expect(throws: MVCCError.duplicateKey(b("k"))) {
            try store.txn(TxnRequest(success: [.put(PutRequest(key: b("k"), value: [])), .put(PutRequest(key: b("k"), value: []))]))
        }
        #expect(throws: MVCCError.duplicateKey(b("k2"))) {
            try store.txn(TxnRequest(success: [
                .deleteRange(DeleteRangeRequest(range: .prefix(b("k")))), .put(PutRequest(key: b("k2"), value: [])),
            ]))
        }
        // The same key in the two branches is fine: only one runs.
        _ = try store.txn(TxnRequest(success: [.put(PutRequest(key: b("k"), value: []))], failure: [.put(PutRequest(key: b("k"), value: []))]))
        #expect(store.currentRevision == 2)
    }

    @Test func nestedTxnRuns() throws {
        let store = MVCCStore()
        let result = try store.txn(TxnRequest(success: [
            .put(PutRequest(key: b("outer"), value: b("1"))),
            .txn(TxnRequest(
                compare: [Compare(range: KeyRange(key: b("outer")), target: .version(1), result: .equal)],
                success: [.put(PutRequest(key: b("inner"), value: b("2")))])),
        ]))
        guard case .txn(let nested)? = result.responses.last else { Issue.record("expected a nested txn"); return }
        #expect(nested.succeeded)
        #expect(try store.range(RangeRequest(range: KeyRange(key: b("inner")))).kvs.first?.modRevision == 2)
    }
}
