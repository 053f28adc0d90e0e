import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Server
import Testing
@testable import EtcdAPI

/// Maintenance's Alarm, Hash, HashKV, Defragment, Snapshot and Status over gRPC, in process.
@Suite struct MaintenanceServiceTests {
    func maintenance<R: Sendable>(_ h: APIHarness, _ id: UInt64,
                                  _ body: (Etcdserverpb_Maintenance.Client<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        try await h.withClient(id) { try await body(Etcdserverpb_Maintenance.Client(wrapping: $0)) }
    }

    @Test func aFullQuotaRaisesNospaceInAlarmAndStatusUntilCompactDefragAndDisarm() async throws {
        try await APIHarness.with(quotaBackendBytes: 20_000) { h in
            let value = String(repeating: "v", count: 1_000)
            var refused: (RPCError.Code, String)?
            for i in 0..<100 where refused == nil {
                refused = await rpcFailure { try await h.withKV { kv in _ = try await kv.put(Etcdserverpb_PutRequest("k\(i % 4)", value)) } }
            }
            #expect(refused?.0 == .resourceExhausted)
            #expect(refused?.1 == "etcdserver: mvcc: database space exceeded")
            let list = try await maintenance(h, 2) { try await $0.alarm(Etcdserverpb_AlarmRequest()) }
            #expect(list.alarms.count == 1)
            let raisedBy = try #require(list.alarms.first?.memberID)
            #expect(list.alarms.first?.alarm == .nospace)
            for id in h.cluster.ids {
                try await waitFor("member \(id) to apply the alarm") { h.cluster.member(id)!.alarms.count == 1 }
                let status = try await maintenance(h, id) { try await $0.status(Etcdserverpb_StatusRequest()) }
                #expect(status.errors == ["memberID:\(raisedBy) alarm:NOSPACE "])
                #expect(status.dbSize >= status.dbSizeInUse)
            }
            // Compact, defragment every member, disarm: puts go through again.
            let revision = try await h.withKV { try await $0.range(Etcdserverpb_RangeRequest("k0")).header.revision }
            _ = try await h.withKV { kv in
                var compact = Etcdserverpb_CompactionRequest()
                compact.revision = revision
                return try await kv.compact(compact)
            }
            for id in h.cluster.ids {
                try await waitFor("member \(id) to compact") { h.cluster.member(id)!.status().storeCompactRevision == revision }
                let before = try await maintenance(h, id) { try await $0.status(Etcdserverpb_StatusRequest()) }
                #expect(before.dbSizeInUse < before.dbSize, "a compaction frees room that only a defragment gives back")
                _ = try await maintenance(h, id) { try await $0.defragment(Etcdserverpb_DefragmentRequest()) }
                let after = try await maintenance(h, id) { try await $0.status(Etcdserverpb_StatusRequest()) }
                #expect(after.dbSizeInUse == after.dbSize)
                #expect(after.dbSize < before.dbSize)
            }
            var disarm = Etcdserverpb_AlarmRequest()
            disarm.action = .deactivate
            disarm.memberID = raisedBy
            disarm.alarm = .nospace
            let disarmed = try await maintenance(h, 1) { try await $0.alarm(disarm) }
            #expect(disarmed.alarms.map(\.memberID) == [raisedBy])
            _ = try await h.withKV { try await $0.put(Etcdserverpb_PutRequest("after", "disarm")) }
            let none = try await maintenance(h, 3) { try await $0.status(Etcdserverpb_StatusRequest()) }
            #expect(none.errors.isEmpty)
        }
    }

    @Test func hashKVIsEqualOnEveryMemberAtTheSameRevision() async throws {
        try await APIHarness.with { h in
            for i in 0..<14 { _ = try await h.withKV { try await $0.put(Etcdserverpb_PutRequest("k\(i % 7)", "v\(i)")) } }
            _ = try await h.withKV { kv in
                var delete = Etcdserverpb_DeleteRangeRequest()
                delete.key = bytes("k3")
                return try await kv.deleteRange(delete)
            }
            let revision = try await h.withKV { try await $0.range(Etcdserverpb_RangeRequest("k0")).header.revision }
            for id in h.cluster.ids {
                try await waitFor("member \(id) to apply") { h.cluster.member(id)!.storeRevision == revision }
            }
            var request = Etcdserverpb_HashKVRequest()
            request.revision = revision
            var hashes: [UInt32] = []
            var wholeHashes: [UInt32] = []
            for id in h.cluster.ids {
                let answer = try await maintenance(h, id) { try await $0.hashKV(request) }
                #expect(answer.header.revision == revision)
                #expect(answer.compactRevision == -1, "etcd's compact revision before any compaction")
                hashes.append(answer.hash)
                wholeHashes.append(try await maintenance(h, id) { try await $0.hash(Etcdserverpb_HashRequest()) }.hash)
            }
            #expect(Set(hashes).count == 1)
            #expect(Set(wholeHashes).count == 1)
            request.revision = revision + 10
            let future = await rpcFailure { _ = try await maintenance(h, 1) { try await $0.hashKV(request) } }
            #expect(future?.0 == .outOfRange && future?.1 == "etcdserver: mvcc: required revision is a future revision")
        }
    }

    @Test func snapshotStreamsChunksWithRemainingBytesThenItsSha256() async throws {
        try await APIHarness.with { h in
            let big = String(repeating: "x", count: 20_000)
            for i in 0..<10 { _ = try await h.withKV { try await $0.put(Etcdserverpb_PutRequest("key\(i)", big)) } }
            let messages = try await maintenance(h, 2) { client in
                try await client.snapshot(Etcdserverpb_SnapshotRequest()) { response in
                    var all: [Etcdserverpb_SnapshotResponse] = []
                    for try await message in response.messages { all.append(message) }
                    return all
                }
            }
            #expect(messages.count >= 3)
            let chunks = messages.dropLast()
            #expect(chunks.dropLast().allSatisfy { $0.blob.count == SnapshotFile.chunkBytes })
            #expect(chunks.last?.remainingBytes == 0)
            var body: [UInt8] = []
            for chunk in chunks {
                body += [UInt8](chunk.blob)
                #expect(chunk.remainingBytes == UInt64(chunks.reduce(0) { $0 + $1.blob.count } - body.count))
            }
            #expect(body.count % SnapshotFile.blockBytes == 0)
            let digest = try #require(messages.last)
            #expect(digest.remainingBytes == 0 && digest.blob.count == 32)
            let contents = try SnapshotFile.decode(body + [UInt8](digest.blob))
            #expect(contents.keyCount == 10)
            #expect(contents.revision == 11)
        }
    }

    @Test func theGatewayAnswersAlarmHashAndDefragment() async throws {
        try await APIHarness.with { h in
            let routes = GatewayRoutes(api: h.server.api(for: 1))
            _ = try await h.withKV { try await $0.put(Etcdserverpb_PutRequest("k", "v")) }
            let raise = await routes.respond(method: "POST", path: "/v3/maintenance/alarm",
                                             body: Array(#"{"action":"ACTIVATE","memberID":"3","alarm":"NOSPACE"}"#.utf8))
            #expect(raise.status == 200)
            let list = await routes.respond(method: "POST", path: "/v3/maintenance/alarm", body: Array("{}".utf8))
            let alarms = try #require(try GatewayTests.json(list)["alarms"] as? [[String: Any]])
            #expect(alarms.count == 1 && alarms.first?["memberID"] as? String == "3" && alarms.first?["alarm"] as? String == "NOSPACE")
            let hash = await routes.respond(method: "POST", path: "/v3/maintenance/hash", body: Array("{}".utf8))
            #expect(hash.status == 200)
            #expect(try GatewayTests.json(hash)["hash"] != nil)
            let defragment = await routes.respond(method: "POST", path: "/v3/maintenance/defragment", body: Array("{}".utf8))
            #expect(defragment.status == 200)
        }
    }
}
