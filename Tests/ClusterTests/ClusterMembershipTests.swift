import Cluster
import Foundation
import MVCC
import Raft
import Server
import Synchronization
import Testing

/// The answer to one membership change, once it comes.
final class MembershipAnswer: Sendable {
    private let result = Mutex<Result<MembershipChangeResult, ServerError>?>(nil)

    var completion: MembershipCompletion {
        { answer in self.result.withLock { $0 = answer } }
    }

    var answered: Bool { result.withLock { $0 != nil } }
    var value: Result<MembershipChangeResult, ServerError>? { result.withLock { $0 } }

    var error: ServerError? {
        if case .failure(let error)? = value { error } else { nil }
    }
}

/// etcd's membership changes on a simulated cluster: each one a configuration change through
/// Raft; an added member starts in the process and catches up, a removed one stops for good.
@Suite struct ClusterMembershipTests {
    func put(_ cluster: Cluster, _ keys: Range<Int>, prefix: String = "k") {
        let acks = Acks()
        for i in keys { cluster.put(key: bytes("\(prefix)\(i)"), value: bytes("v\(i)"), completion: acks.completion(for: "\(i)")) }
        #expect(cluster.run(until: { acks.answered == keys.count }))
        #expect(acks.acknowledged.count == keys.count)
    }

    func change(_ cluster: Cluster, _ start: (@escaping MembershipCompletion) -> Void) -> MembershipAnswer {
        let answer = MembershipAnswer()
        start(answer.completion)
        #expect(cluster.run(until: { answer.answered }))
        return answer
    }

    func count(_ cluster: Cluster, _ id: NodeID, prefix: String = "k") -> Int? {
        guard let member = cluster.member(id),
              let result = try? member.localRange(RangeRequest(range: .prefix(bytes(prefix)), countOnly: true)) else { return nil }
        return Int(result.count)
    }

    @Test func aLearnerAddedCatchesUpNeverCountsAndIsPromoted() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        put(cluster, 0..<20)
        let added = change(cluster) { cluster.addMember(peerURLs: ["http://127.0.0.1:22383"], isLearner: true, completion: $0) }
        let result = try #require(try added.value?.get())
        #expect(result.member == MemberInfo(id: 4, name: "member-4", peerURLs: ["http://127.0.0.1:22383"], isLearner: true))
        #expect(cluster.ids == [1, 2, 3, 4])
        #expect(cluster.run(until: { count(cluster, 4) == 20 }))
        #expect(cluster.member(4)!.membership == cluster.member(1)!.membership)
        #expect(cluster.member(1)!.membership.members[4]?.isLearner == true)
        #expect(cluster.member(4)!.status().raft.voters == [1, 2, 3])
        #expect(cluster.member(4)!.status().raft.learners == [4])
        // The learner is no part of a quorum: with two voters down, nothing commits.
        let leader = try #require(cluster.leader)
        let others = [1, 2, 3].filter { $0 != leader }
        for id in others { try cluster.crash(NodeID(id)) }
        let stuck = Acks()
        cluster.put(key: bytes("stuck"), value: bytes("v"), completion: stuck.completion(for: "stuck"))
        cluster.advance(byNanos: 2_000_000_000)
        #expect(stuck.acknowledged.isEmpty)
        for id in others { try cluster.restart(NodeID(id)) }
        #expect(cluster.run(until: { cluster.leader != nil && stuck.answered == 1 }, limitNanos: 20_000_000_000))
        // Promoted, it counts.
        cluster.advance(byNanos: 1_000_000_000)
        let promoted = change(cluster) { cluster.promoteMember(4, completion: $0) }
        #expect(try promoted.value?.get().member.isLearner == false)
        cluster.advance(byNanos: 1_000_000_000)
        #expect(cluster.member(4)!.status().raft.voters == [1, 2, 3, 4])
    }

    @Test func aLearnerBehindIsNotPromoted() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let added = change(cluster) { cluster.addMember(peerURLs: ["http://10.0.0.4:2380"], isLearner: true, completion: $0) }
        #expect(added.error == nil)
        try cluster.crash(4)
        put(cluster, 0..<50)
        let refused = change(cluster) { cluster.promoteMember(4, completion: $0) }
        #expect(refused.error == .membership(.learnerNotReady))
        #expect(refused.error?.description == "etcdserver: can only promote a learner member which is in sync with leader")
    }

    @Test func etcdsChecksRefuseWhatEtcdRefuses() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let taken = change(cluster) { cluster.addMember(peerURLs: [cluster.config.peerURL(of: 2)], isLearner: false, completion: $0) }
        #expect(taken.error?.description == "etcdserver: Peer URLs already exists")
        // The refused add did not use up an id.
        let first = change(cluster) { cluster.addMember(peerURLs: ["http://10.0.0.4:2380"], isLearner: true, completion: $0) }
        #expect(try first.value?.get().member.id == 4)
        cluster.advance(byNanos: 500_000_000)
        let second = change(cluster) { cluster.addMember(peerURLs: ["http://10.0.0.5:2380"], isLearner: true, completion: $0) }
        #expect(second.error?.description == "etcdserver: too many learner members in cluster")
        let notFound = change(cluster) { cluster.removeMember(42, completion: $0) }
        #expect(notFound.error?.description == "etcdserver: member not found")
        let voter = change(cluster) { cluster.promoteMember(2, completion: $0) }
        #expect(voter.error?.description == "etcdserver: can only promote a learner member")
    }

    @Test func aRemovedMemberStopsAndNeverVotesAgain() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        put(cluster, 0..<10)
        let leader = try #require(cluster.leader)
        let removedID = [1, 2, 3].map { NodeID($0) }.first { $0 != leader }!
        let removed = change(cluster) { cluster.removeMember(removedID, completion: $0) }
        #expect(try removed.value?.get().members.map(\.id) == [1, 2, 3].map { NodeID($0) }.filter { $0 != removedID })
        #expect(!cluster.ids.contains(removedID))
        #expect(cluster.member(removedID) == nil)
        // Two voters left: both are needed, and they still commit.
        put(cluster, 10..<20)
        let again = change(cluster) { cluster.removeMember(removedID, completion: $0) }
        #expect(again.error == .membership(.memberNotFound))
    }

    @Test func removingTheLeaderElectsAnotherAmongTheRest() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let leader = try #require(cluster.leader)
        let removed = change(cluster) { cluster.removeMember(leader, completion: $0) }
        #expect(removed.error == nil)
        #expect(cluster.run(until: { cluster.leader != nil && cluster.leader != leader }, limitNanos: 10_000_000_000))
        put(cluster, 0..<5)
        for id in cluster.ids { #expect(cluster.member(id)!.membership.members[leader] == nil) }
    }

    @Test func anAddedMemberCatchesUpFromASnapshot() throws {
        let cluster = try simulatedCluster { $0.member.snapshotCount = 30; $0.member.snapshotCatchUpEntries = 5 }
        #expect(cluster.run(until: { cluster.leader != nil }))
        put(cluster, 0..<100)
        let added = change(cluster) { cluster.addMember(peerURLs: ["http://10.0.0.4:2380"], isLearner: false, completion: $0) }
        #expect(added.error == nil)
        #expect(cluster.run(until: { count(cluster, 4) == 100 }, limitNanos: 10_000_000_000))
        #expect(cluster.member(4)!.status().metrics.snapshotsInstalled >= 1)
        put(cluster, 100..<110)
        #expect(cluster.run(until: { count(cluster, 4) == 110 }))
    }

    @Test(arguments: [false, true])
    func membershipSurvivesARestartFromDisk(fromSnapshot: Bool) throws {
        let directory = temporaryDataDirectory("members")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure = onDisk(in: directory, smallSnapshots: fromSnapshot)
        var expected: Membership?
        do {
            let cluster = try simulatedCluster(configure: configure)
            #expect(cluster.run(until: { cluster.leader != nil }))
            #expect(change(cluster) { cluster.addMember(peerURLs: ["http://10.0.0.4:2380"], isLearner: true, completion: $0) }.error == nil)
            cluster.advance(byNanos: 500_000_000)
            let follower = [1, 2, 3].map { NodeID($0) }.first { $0 != cluster.leader }!
            #expect(change(cluster) { cluster.removeMember(follower, completion: $0) }.error == nil)
            put(cluster, 0..<30)
            #expect(cluster.run(until: { count(cluster, 4) == 30 }))
            expected = cluster.membership
            cluster.shutdown()
        }
        let restarted = try simulatedCluster(configure: configure)
        #expect(restarted.ids == (expected?.sorted.map(\.id) ?? []))
        #expect(restarted.run(until: { restarted.leader != nil }, limitNanos: 10_000_000_000))
        restarted.advance(byNanos: 1_000_000_000)
        for id in restarted.ids {
            #expect(restarted.member(id)?.membership == expected, "member \(id)")
            #expect(count(restarted, id) == 30, "member \(id)")
        }
    }
}
