import EtcdAPI
import Foundation
import SwiftProtobuf
import Testing

/// A member's gRPC port: unary KV calls answered by the front server itself, everything else
/// relayed to the full gRPC server behind it.
@Suite struct FrontServerTests {
    @Test func anOversizedRequestIsRefusedAsGRPCRefusesIt() async throws {
        try await APIHarness.with(members: 1, maxRequestBytes: 1024) { api in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            var put = Etcdserverpb_PutRequest()
            put.key = Data("big".utf8)
            put.value = Data(repeating: 1, count: 600 * 1024)
            do {
                _ = try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
                Issue.record("an oversized put was accepted")
            } catch let UnaryCallError.status(code, message) {
                #expect(code == 8)
                #expect(message.contains("larger than max"))
            }
            // Under the transport's limit but over the member's: etcd's own error.
            put.value = Data(repeating: 1, count: 2048)
            await #expect(throws: UnaryCallError.status(code: 3, message: "etcdserver: request is too large")) {
                _ = try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
            }
            // The connection still serves.
            put.value = Data("small".utf8)
            _ = try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
            await connection.close()
        }
    }

    @Test func aMalformedMessageGetsAnErrorNamingIt() async throws {
        try await APIHarness.with(members: 1) { api in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            do {
                _ = try await connection.patientCall(path: "/etcdserverpb.KV/Range", message: [0xFF, 0xFF, 0xFF])
                Issue.record("a malformed range was answered")
            } catch let UnaryCallError.status(code, message) {
                #expect(code == 3)
                #expect(message.contains("RangeRequest"))
            }
            await connection.close()
        }
    }

    @Test func answersThatArriveTogetherEachReachTheirOwnCall() async throws {
        // 200 puts in flight on one connection at once: the members apply them in batches and
        // the connection writes each batch's answers together. Every call gets its own answer:
        // the revisions it reports are all different and are exactly the ones the puts made.
        try await APIHarness.with { api in
            let leader = try #require(api.cluster.leader)
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: leader))
            let revisions = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        var put = Etcdserverpb_PutRequest()
                        put.key = Data("together-\(i)".utf8)
                        put.value = Data("\(i)".utf8)
                        let answer = try await UnaryCallConnectionTests.retryingUnavailable {
                            try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes())
                        }
                        return (i, try Etcdserverpb_PutResponse(serializedBytes: answer).header.revision)
                    }
                }
                return try await group.reduce(into: [Int: Int64]()) { $0[$1.0] = $1.1 }
            }
            #expect(Set(revisions.values).count == 200)
            var range = Etcdserverpb_RangeRequest()
            range.key = Data("together-".utf8)
            range.rangeEnd = Data("together.".utf8)
            let stored = try Etcdserverpb_RangeResponse(
                serializedBytes: try await connection.patientCall(path: "/etcdserverpb.KV/Range", message: try range.serializedBytes()))
            #expect(stored.kvs.count == 200)
            for kv in stored.kvs {
                let i = try #require(Int(String(decoding: kv.value, as: UTF8.self)))
                #expect(revisions[i] == kv.modRevision, "put \(i) was answered with another put's revision")
            }
            await connection.close()
        }
    }

    @Test func relayedAndDirectCallsShareOneConnection() async throws {
        try await APIHarness.with { api in
            let leader = try #require(api.cluster.leader)
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: leader))
            var put = Etcdserverpb_PutRequest()
            put.key = Data("k".utf8)
            put.value = Data("v".utf8)
            let written = try Etcdserverpb_PutResponse(
                serializedBytes: try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes()))
            // Status is relayed to the full server, on the same connection.
            let status = try Etcdserverpb_StatusResponse(
                serializedBytes: try await connection.patientCall(path: "/etcdserverpb.Maintenance/Status",
                                                           message: try Etcdserverpb_StatusRequest().serializedBytes()))
            #expect(status.header.memberID == UInt64(leader))
            #expect(status.header.revision >= written.header.revision)
            let members = try Etcdserverpb_MemberListResponse(
                serializedBytes: try await connection.patientCall(path: "/etcdserverpb.Cluster/MemberList",
                                                           message: try Etcdserverpb_MemberListRequest().serializedBytes()))
            #expect(members.members.count == 3)
            await connection.close()
        }
    }

    @Test func discardedPutsAreAnsweredAndNotStored() async throws {
        try await APIHarness.with(members: 1, discardPuts: true) { api in
            let connection = try await UnaryCallConnection.connect(host: "127.0.0.1", port: api.port(of: 1))
            let revisionBefore = try #require(api.cluster.member(1)).status().storeRevision
            var put = Etcdserverpb_PutRequest()
            put.key = Data("discarded".utf8)
            put.value = Data("never stored".utf8)
            let answer = try Etcdserverpb_PutResponse(
                serializedBytes: try await connection.patientCall(path: "/etcdserverpb.KV/Put", message: try put.serializedBytes()))
            #expect(answer.header.revision == 0 && answer.header.memberID == 1)
            // Reads still go to the member, which never saw the put.
            var range = Etcdserverpb_RangeRequest()
            range.key = put.key
            let read = try Etcdserverpb_RangeResponse(
                serializedBytes: try await connection.patientCall(path: "/etcdserverpb.KV/Range", message: try range.serializedBytes()))
            #expect(read.kvs.isEmpty)
            #expect(try #require(api.cluster.member(1)).status().storeRevision == revisionBefore)
            await connection.close()
        }
    }
}
