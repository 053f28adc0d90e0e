import Foundation
import GRPCCore
import MVCC
import Server
import Testing
@testable import EtcdAPI

/// Bad requests get etcd's status code and message, and the member keeps serving.
@Suite struct ErrorMappingTests {
    @Test func badRequestsOverTheWire() async throws {
        try await APIHarness.with(maxRequestBytes: 64 * 1024) { h in
            try await h.withKV { kv in
                func expectFailure(_ code: RPCError.Code, _ message: String, _ call: () async throws -> Void,
                                   sourceLocation: SourceLocation = #_sourceLocation) async {
                    let failure = await rpcFailure(call)
                    #expect(failure?.0 == code, sourceLocation: sourceLocation)
                    #expect(failure?.1 == message, sourceLocation: sourceLocation)
                }
                await expectFailure(.invalidArgument, "etcdserver: key is not provided") {
                    _ = try await kv.put(Etcdserverpb_PutRequest("", "v"))
                }
                await expectFailure(.invalidArgument, "etcdserver: key is not provided") {
                    _ = try await kv.range(Etcdserverpb_RangeRequest(""))
                }
                await expectFailure(.invalidArgument, "etcdserver: request is too large") {
                    _ = try await kv.put(Etcdserverpb_PutRequest("big", String(repeating: "x", count: 100 * 1024)))
                }
                await expectFailure(.notFound, "etcdserver: requested lease not found") {
                    var put = Etcdserverpb_PutRequest("k", "v")
                    put.lease = 7
                    _ = try await kv.put(put)
                }
                await expectFailure(.invalidArgument, "etcdserver: value is provided") {
                    var put = Etcdserverpb_PutRequest("k", "v")
                    put.ignoreValue = true
                    _ = try await kv.put(put)
                }
                await expectFailure(.invalidArgument, "etcdserver: key not found") {
                    var put = Etcdserverpb_PutRequest("missing", "")
                    put.ignoreValue = true
                    _ = try await kv.put(put)
                }
                await expectFailure(.outOfRange, "etcdserver: mvcc: required revision is a future revision") {
                    var range = Etcdserverpb_RangeRequest("k")
                    range.revision = 1000
                    _ = try await kv.range(range)
                }
                await expectFailure(.invalidArgument, "etcdserver: duplicate key given in txn request") {
                    var txn = Etcdserverpb_TxnRequest()
                    var put = Etcdserverpb_RequestOp()
                    put.requestPut = Etcdserverpb_PutRequest("dup", "1")
                    txn.success = [put, put]
                    _ = try await kv.txn(txn)
                }
                await expectFailure(.invalidArgument, "etcdserver: too many operations in txn request") {
                    var txn = Etcdserverpb_TxnRequest()
                    txn.success = (0..<129).map { i in
                        var op = Etcdserverpb_RequestOp()
                        op.requestPut = Etcdserverpb_PutRequest("k\(i)", "v")
                        return op
                    }
                    _ = try await kv.txn(txn)
                }
                await expectFailure(.outOfRange, "etcdserver: mvcc: required revision is a future revision") {
                    var compact = Etcdserverpb_CompactionRequest()
                    compact.revision = 1000
                    _ = try await kv.compact(compact)
                }
                // Still serving after all of that.
                _ = try await kv.put(Etcdserverpb_PutRequest("after", "ok"))
                #expect(try await kv.range(Etcdserverpb_RangeRequest("after")).kvs.first?.valueString == "ok")
            }
        }
    }

    @Test func ignoreValueKeepsTheValue() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in
                _ = try await kv.put(Etcdserverpb_PutRequest("k", "kept"))
                var put = Etcdserverpb_PutRequest("k", "")
                put.ignoreValue = true
                put.prevKv = true
                let response = try await kv.put(put)
                #expect(response.prevKv.valueString == "kept")
                let now = try #require(try await kv.range(Etcdserverpb_RangeRequest("k")).kvs.first)
                #expect(now.valueString == "kept" && now.version == 2)
            }
        }
    }

    @Test func aStoppedMemberIsUnavailable() async throws {
        try await APIHarness.with { h in
            try h.cluster.crash(3)
            try await h.withKV(3) { kv in
                let failure = await rpcFailure { _ = try await kv.range(Etcdserverpb_RangeRequest("k")) }
                #expect(failure?.0 == .unavailable)
                #expect(failure?.1 == "etcdserver: server stopped")
                // A put is answered without a task on the front server's path: refused the same way.
                let putFailure = await rpcFailure { _ = try await kv.put(Etcdserverpb_PutRequest("k", "v")) }
                #expect(putFailure?.0 == .unavailable)
                #expect(putFailure?.1 == "etcdserver: server stopped")
            }
            try h.cluster.restart(3)
            try await waitFor("member 3 to learn the leader") { h.cluster.member(3)?.basicStatus.lead ?? 0 != 0 }
            try await h.withKV(3) { kv in
                _ = try await kv.put(Etcdserverpb_PutRequest("back", "again"))
            }
        }
    }

    @Test(arguments: [
        (ServerError.tooManyRequests, RPCError.Code.resourceExhausted, "etcdserver: too many requests"),
        (.requestTooLarge(bytes: 2, limitBytes: 1), .invalidArgument, "etcdserver: request is too large"),
        (.timeout, .unavailable, "etcdserver: request timed out"),
        (.noLeader, .unavailable, "etcdserver: no leader"),
        (.stopped, .unavailable, "etcdserver: server stopped"),
        (.store(.compacted(requested: 1, compactRevision: 2)), .outOfRange, "etcdserver: mvcc: required revision has been compacted"),
        (.store(.futureRevision(requested: 9, currentRevision: 2)), .outOfRange, "etcdserver: mvcc: required revision is a future revision"),
        (.store(.emptyKey), .invalidArgument, "etcdserver: key is not provided"),
        (.store(.duplicateKey([1])), .invalidArgument, "etcdserver: duplicate key given in txn request"),
    ])
    func serverErrorsMapToEtcdStatuses(error: ServerError, code: RPCError.Code, message: String) {
        let mapped = EtcdAPIError(error)
        #expect(mapped.rpcErrorCode == code)
        #expect(mapped.rpcErrorMessage == message)
    }
}
