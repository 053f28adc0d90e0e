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

    /// A member that stops fails every waiting proposal with `stopped`, though the proposal may
    /// be in its log and committed after it restarts: the client retried it, and the retry
    /// applied a delete a second time, after later writes (seed 10 of `rafttop check`).
    @Test func aProposalFailedByAStoppingMemberIsNotRetried() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let leader = try #require(cluster.leader)
        let results = Mutex<[Result<Response, ServerError>]>([])
        cluster.put(key: bytes("k"), value: bytes("v"), via: leader) { result in results.withLock { $0.append(result) } }
        cluster.advance(byNanos: 0)
        try cluster.crash(leader)
        cluster.advance(byNanos: 3_000_000_000)
        let seen = results.withLock { $0 }
        #expect(seen.count == 1)
        #expect(seen.first.map { if case .failure(.stopped) = $0 { true } else { false } } == true,
                "the client was told \(seen), not that the outcome is unknown")
    }

    /// The simulated network duplicated forwarded proposals (MsgProp), which etcd's TCP streams
    /// never do, and the leader appended and applied the request twice (seed 19).
    @Test func theNetworkDoesNotDuplicateProposals() {
        var network = SimulatedNetwork(settings: SimulatedNetwork.Settings(duplicateRate: 1), seed: 1)
        network.send([Message(type: .prop, to: 1, from: 2), Message(type: .app, to: 2, from: 1)], now: 0)
        let delivered = network.takeDue(now: 0).delivered
        #expect(delivered.filter { $0.type == .prop }.count == 1)
        #expect(delivered.filter { $0.type == .app }.count == 2)
    }
}
