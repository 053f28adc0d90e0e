import Foundation
import GRPCCore
import Testing
@testable import EtcdAPI

@Suite struct MaintenanceClusterTests {
    @Test func statusReportsRaftPositions() async throws {
        try await APIHarness.with { h in
            try await h.withKV { kv in _ = try await kv.put(Etcdserverpb_PutRequest("k", "v")) }
            let leader = try #require(h.cluster.leader)
            for id in h.cluster.ids {
                try await waitFor("member \(id) to apply the put") { h.cluster.member(id)!.storeRevision == 2 }
                let status = try await h.withClient(id) { try await Etcdserverpb_Maintenance.Client(wrapping: $0).status(Etcdserverpb_StatusRequest()) }
                #expect(status.version == etcdAPIVersion)
                #expect(status.leader == leader)
                #expect(status.header.memberID == id)
                #expect(status.header.revision == 2)
                #expect(status.raftTerm >= 1 && status.raftIndex >= status.raftAppliedIndex && status.raftAppliedIndex >= 2)
                #expect(status.dbSize > 0)
                #expect(status.errors.isEmpty)
            }
        }
    }

    @Test func memberListNamesEveryClientURL() async throws {
        try await APIHarness.with { h in
            let list = try await h.withClient(2) { try await Etcdserverpb_Cluster.Client(wrapping: $0).memberList(Etcdserverpb_MemberListRequest()) }
            #expect(list.members.map(\.id) == [1, 2, 3])
            #expect(list.members.map(\.name) == ["member-1", "member-2", "member-3"])
            #expect(list.members.map(\.clientUrls) == h.endpoints.map { ["http://\($0.grpc)"] })
            #expect(list.header.memberID == 2)
        }
    }

    @Test func moveLeader() async throws {
        try await APIHarness.with { h in
            let leader = try #require(h.cluster.leader)
            let target = h.cluster.ids.first { $0 != leader }!
            let notLeader = await rpcFailure {
                _ = try await h.withClient(target) { client in
                    var request = Etcdserverpb_MoveLeaderRequest()
                    request.targetID = leader
                    return try await Etcdserverpb_Maintenance.Client(wrapping: client).moveLeader(request)
                }
            }
            #expect(notLeader?.0 == .failedPrecondition && notLeader?.1 == "etcdserver: not leader")
            _ = try await h.withClient(leader) { client in
                var request = Etcdserverpb_MoveLeaderRequest()
                request.targetID = target
                return try await Etcdserverpb_Maintenance.Client(wrapping: client).moveLeader(request)
            }
            #expect(h.cluster.member(target)!.basicStatus.lead == target)
        }
    }
}
