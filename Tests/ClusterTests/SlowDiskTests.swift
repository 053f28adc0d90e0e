import Cluster
import Raft
import Server
import Testing

/// A member whose simulated disk is slow: its raft loop waits for each write as it would wait
/// in fsync, so nothing it acknowledges runs ahead of its disk.
@Suite struct SlowDiskTests {
    static let millis: UInt64 = 1_000_000

    /// One member: a put is answered only once its entry is durable.
    @Test func aPutWaitsForTheSlowDisk() throws {
        let cluster = try simulatedCluster(members: 1) { $0.storeOnSimulatedDisks(seed: 1) }
        #expect(cluster.run(until: { cluster.leader != nil }))
        cluster.advance(byNanos: 100 * Self.millis)
        try cluster.slowDisk(1, latencyNanos: 300 * Self.millis, jitterNanos: 0, durationNanos: 10_000 * Self.millis, seed: 1)
        let acks = Acks()
        let proposed = cluster.nowNanos()
        cluster.put(key: bytes("k"), value: bytes("v"), completion: acks.completion(for: "k"))
        cluster.advance(byNanos: 299 * Self.millis)
        #expect(acks.answered == 0)
        #expect(cluster.member(1)?.persistingUntilNanos == proposed + 300 * Self.millis)
        cluster.advance(byNanos: 1 * Self.millis)
        #expect(acks.acknowledged == ["k"])
        #expect(cluster.member(1)?.persistingUntilNanos == nil)
        #expect(cluster.member(1)?.status().metrics.walFsyncNanosLast == 300 * Self.millis)
    }

    /// Three members: the leader commits with the fast follower, and the slow one acknowledges
    /// the entry (and applies it) only after its disk has made it durable.
    @Test func aSlowFollowerAcknowledgesOnlyWhatIsDurable() throws {
        let cluster = try simulatedCluster { $0.storeOnSimulatedDisks(seed: 2) }
        #expect(cluster.run(until: { cluster.leader != nil }))
        cluster.advance(byNanos: 200 * Self.millis)
        let leaderID = try #require(cluster.leader)
        let slow = try #require(cluster.ids.first { $0 != leaderID })
        let leader = try #require(cluster.member(leaderID))
        try cluster.slowDisk(slow, latencyNanos: 400 * Self.millis, jitterNanos: 0, durationNanos: 10_000 * Self.millis, seed: 2)
        let acks = Acks()
        let proposed = cluster.nowNanos()
        cluster.put(key: bytes("k"), value: bytes("v"), completion: acks.completion(for: "k"))
        #expect(cluster.run(until: { acks.answered == 1 }, stepNanos: Self.millis, limitNanos: 100 * Self.millis))
        #expect(acks.acknowledged == ["k"])
        let index = leader.status().raft.commit
        #expect(try #require(leader.status().raft.progress[slow]).match < index)
        #expect(value(cluster, slow, "k") == nil)

        #expect(cluster.run(until: { (leader.status().raft.progress[slow]?.match ?? 0) >= index },
                            stepNanos: Self.millis, limitNanos: 2_000 * Self.millis))
        #expect(cluster.nowNanos() - proposed >= 400 * Self.millis)
        #expect(cluster.run(until: { value(cluster, slow, "k") == bytes("v") }, limitNanos: 2_000 * Self.millis))
    }
}
