import Cluster
import MVCC
import Raft
import Server
import Synchronization
import Testing

/// Bugs `rafttop check` found in the cluster, each with the test that failed first.
@Suite struct CheckFindingsTests {
    /// A linearizable read waiting for its ReadIndex is no work: `applyCycle` returned true for
    /// it, and the simulator's settle loop spun its 10,000 rounds on every step (a seed took
    /// minutes instead of a tenth of a second).
    @Test func aWaitingReadIsNoApplyWork() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let leader = try #require(cluster.leader)
        let follower = try #require(cluster.ids.first { $0 != leader })
        cluster.isolate(follower)
        let member = try #require(cluster.member(follower))
        member.range(RangeRequest(range: KeyRange(key: bytes("k")))) { _ in }
        _ = try member.raftCycle()
        #expect(try member.applyCycle() == false)
    }
}
