import Foundation
import GRPCCore
import Testing
@testable import EtcdAPI

/// KV over gRPC, from an in-process client, as etcd answers it.
@Suite struct KVTests {
    @Test func putThenRangeWithHeaders() async throws {
        try await APIHarness.with { h in
            try await h.withKV(2) { kv in
                let put = try await kv.put(Etcdserverpb_PutRequest("foo", "bar"))
                #expect(put.header.revision == 2)
                #expect(put.header.memberID == 2)
                #expect(put.header.clusterID == h.cluster.clusterID)
                #expect(put.header.raftTerm >= 1)
                #expect(!put.hasPrevKv)

                let again = try await kv.put(Etcdserverpb_PutRequest("foo", "baz", prevKV: true))
                #expect(again.prevKv.valueString == "bar")
                #expect(again.header.revision == 3)

                let got = try await kv.range(Etcdserverpb_RangeRequest("foo"))
                #expect(got.count == 1)
                let v = try #require(got.kvs.first)
                #expect(v.keyString == "foo" && v.valueString == "baz")
                #expect(v.createRevision == 2 && v.modRevision == 3 && v.version == 2)
                #expect(got.header.revision == 3)
            }
        }
    }

    @Test func rangeOptions() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                for (k, v) in [("a/1", "z"), ("a/2", "y"), ("a/3", "x"), ("b/1", "w")] {
                    _ = try await kv.put(Etcdserverpb_PutRequest(k, v))
                }
                let prefix = try await kv.range(.prefix("a/"))
                #expect(prefix.kvs.map(\.keyString) == ["a/1", "a/2", "a/3"])

                var limited = Etcdserverpb_RangeRequest.prefix("a/")
                limited.limit = 2
                let two = try await kv.range(limited)
                #expect(two.kvs.count == 2 && two.more && two.count == 3)

                var atRevision = Etcdserverpb_RangeRequest.prefix("a/")
                atRevision.revision = 3
                #expect(try await kv.range(atRevision).kvs.map(\.keyString) == ["a/1", "a/2"])

                var keysOnly = Etcdserverpb_RangeRequest.prefix("a/")
                keysOnly.keysOnly = true
                #expect(try await kv.range(keysOnly).kvs.allSatisfy { $0.value.isEmpty })

                var countOnly = Etcdserverpb_RangeRequest.prefix("a/")
                countOnly.countOnly = true
                let counted = try await kv.range(countOnly)
                #expect(counted.kvs.isEmpty && counted.count == 3)

                var byValue = Etcdserverpb_RangeRequest.prefix("a/")
                byValue.sortTarget = .value
                byValue.sortOrder = .ascend
                byValue.limit = 2
                let sorted = try await kv.range(byValue)
                #expect(sorted.kvs.map(\.valueString) == ["x", "y"] && sorted.more && sorted.count == 3)

                var descending = Etcdserverpb_RangeRequest.prefix("a/")
                descending.sortOrder = .descend
                #expect(try await kv.range(descending).kvs.map(\.keyString) == ["a/3", "a/2", "a/1"])

                var fromKey = Etcdserverpb_RangeRequest("a/3")
                fromKey.rangeEnd = Data([0])
                #expect(try await kv.range(fromKey).kvs.map(\.keyString) == ["a/3", "b/1"])

                var serializable = Etcdserverpb_RangeRequest("b/1")
                serializable.serializable = true
                _ = try await kv.range(serializable)

                // A range end before the key holds no keys: an empty answer, as in etcd.
                let backwards = try await kv.range(Etcdserverpb_RangeRequest("b", rangeEnd: "a"))
                #expect(backwards.kvs.isEmpty && backwards.count == 0)
            }
        }
    }

    @Test func deleteRangeWithPrevKVs() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                for k in ["d/1", "d/2", "e"] { _ = try await kv.put(Etcdserverpb_PutRequest(k, "v-" + k)) }
                var delete = Etcdserverpb_DeleteRangeRequest()
                delete.key = bytes("d/")
                delete.rangeEnd = bytes("d0")
                delete.prevKv = true
                let deleted = try await kv.deleteRange(delete)
                #expect(deleted.deleted == 2)
                #expect(deleted.prevKvs.map(\.valueString) == ["v-d/1", "v-d/2"])
                #expect(deleted.header.revision == 5)
                #expect(try await kv.range(.prefix("d/")).count == 0)
            }
        }
    }

    @Test func txnCompareAndSwap() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                _ = try await kv.put(Etcdserverpb_PutRequest("k", "old"))
                func swap(expect: String, to new: String) -> Etcdserverpb_TxnRequest {
                    var txn = Etcdserverpb_TxnRequest()
                    var cmp = Etcdserverpb_Compare()
                    cmp.key = bytes("k")
                    cmp.target = .value
                    cmp.result = .equal
                    cmp.value = bytes(expect)
                    txn.compare = [cmp]
                    var put = Etcdserverpb_RequestOp()
                    put.requestPut = Etcdserverpb_PutRequest("k", new)
                    var get = Etcdserverpb_RequestOp()
                    get.requestRange = Etcdserverpb_RangeRequest("k")
                    txn.success = [put]
                    txn.failure = [get]
                    return txn
                }
                let won = try await kv.txn(swap(expect: "old", to: "new"))
                #expect(won.succeeded)
                #expect(won.header.revision == 3)
                guard case .responsePut? = won.responses.first?.response else { Issue.record("expected a put response"); return }

                let lost = try await kv.txn(swap(expect: "old", to: "newer"))
                #expect(!lost.succeeded)
                guard case .responseRange(let current)? = lost.responses.first?.response else {
                    Issue.record("expected a range response")
                    return
                }
                #expect(current.kvs.first?.valueString == "new")
                #expect(lost.header.revision == 3)
            }
        }
    }

    @Test func compactThenReadOldRevision() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                for i in 0..<4 { _ = try await kv.put(Etcdserverpb_PutRequest("c", "\(i)")) }
                var compact = Etcdserverpb_CompactionRequest()
                compact.revision = 4
                let done = try await kv.compact(compact)
                #expect(done.header.revision == 5)
                var old = Etcdserverpb_RangeRequest("c")
                old.revision = 3
                let failure = await rpcFailure { _ = try await kv.range(old) }
                #expect(failure?.0 == .outOfRange)
                #expect(failure?.1 == "etcdserver: mvcc: required revision has been compacted")
                old.revision = 4
                #expect(try await kv.range(old).kvs.first?.valueString == "2")
            }
        }
    }
}
