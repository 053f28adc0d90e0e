import Cluster
import Foundation
import Raft
import Server
import Testing

/// A put's stages on each follower (append, fsync, ack, apply), joined into the trace the
/// leader holds, and traces of puts still in flight.
@Suite struct FollowerStageTests {
    static let millis: UInt64 = 1_000_000

    static func puts(_ snapshot: ClusterSnapshot) -> [StageTraceView] {
        snapshot.traces.filter { $0.summary.hasPrefix("put") && $0.index > 0 }
    }

    /// Every follower appended, fsynced, acknowledged and applied every put, in that order.
    static func expectEveryFollowerStage(_ trace: StageTraceView, followers: [NodeID]) {
        for follower in followers {
            let appended = trace.followerAppendedNanos[follower]
            let synced = trace.followerSyncedNanos[follower]
            let acked = trace.followerAckNanos[follower]
            let applied = trace.followerAppliedNanos[follower]
            #expect(appended != nil && synced != nil && acked != nil && applied != nil,
                    "index \(trace.index), follower \(follower): \(String(describing: trace))")
            guard let appended, let synced, let acked, let applied else { continue }
            #expect(trace.leaderAppendedNanos! <= appended, "the leader appends before it sends")
            #expect(appended <= synced, "follower \(follower) appended before its fsync")
            #expect(synced <= acked, "follower \(follower) acknowledges only what is durable")
            #expect(trace.committedNanos! <= applied, "follower \(follower) applies what is committed")
        }
        #expect(trace.followers == followers)
    }

    @Test func everyFollowerStageOfEveryPutInSimulation() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let leader = try #require(cluster.leader)
        let followers = cluster.ids.filter { $0 != leader }
        let acks = Acks()
        for i in 0..<5 { cluster.put(key: bytes("k\(i)"), value: bytes("v"), completion: acks.completion(for: "k\(i)")) }
        #expect(cluster.run(until: { acks.answered == 5 }, stepNanos: Self.millis))
        // Followers learn the commit with the leader's next message, then apply.
        cluster.advance(byNanos: 300 * Self.millis)
        let traces = Self.puts(cluster.snapshot())
        #expect(traces.count == 5)
        for trace in traces {
            #expect(trace.member == leader)
            #expect(trace.respondedNanos != nil)
            Self.expectEveryFollowerStage(trace, followers: followers)
        }
    }

    @Test func aPutInFlightIsTracedBeforeItsAnswer() throws {
        let cluster = try simulatedCluster { $0.network = SimulatedNetwork.Settings(latencyMicros: 20_000, jitterMicros: 0) }
        #expect(cluster.run(until: { cluster.leader != nil }))
        cluster.advance(byNanos: 200 * Self.millis)
        let acks = Acks()
        cluster.put(key: bytes("slow"), value: bytes("v"), completion: acks.completion(for: "slow"))
        cluster.advance(byNanos: 1 * Self.millis)
        #expect(acks.answered == 0)
        let early = try #require(Self.puts(cluster.snapshot()).first)
        #expect(early.respondedNanos == nil)
        #expect(early.leaderAppendedNanos != nil)
        #expect(early.followerAckNanos.isEmpty)
        #expect(cluster.run(until: { acks.answered == 1 }, stepNanos: Self.millis))
        let answered = try #require(Self.puts(cluster.snapshot()).first { $0.requestID == early.requestID })
        #expect(answered.respondedNanos != nil)
        #expect(answered.followerAckNanos.count == 2)
    }

    /// A slow follower acknowledges after the put was answered with the fast one: its ack,
    /// fsync and apply still reach the trace.
    @Test func acksAfterTheAnswerAreKept() throws {
        let cluster = try simulatedCluster { $0.storeOnSimulatedDisks(seed: 3) }
        #expect(cluster.run(until: { cluster.leader != nil }))
        cluster.advance(byNanos: 200 * Self.millis)
        let leader = try #require(cluster.leader)
        let slow = try #require(cluster.ids.first { $0 != leader })
        try cluster.slowDisk(slow, latencyNanos: 300 * Self.millis, jitterNanos: 0, durationNanos: 10_000 * Self.millis, seed: 3)
        let acks = Acks()
        cluster.put(key: bytes("k"), value: bytes("v"), completion: acks.completion(for: "k"))
        #expect(cluster.run(until: { acks.answered == 1 }, stepNanos: Self.millis, limitNanos: 100 * Self.millis))
        let answered = try #require(Self.puts(cluster.snapshot()).first)
        #expect(answered.respondedNanos != nil)
        #expect(answered.followerAckNanos[slow] == nil)
        #expect(answered.followerSyncedNanos[slow] == nil)
        cluster.advance(byNanos: 1_000 * Self.millis)
        let later = try #require(Self.puts(cluster.snapshot()).first { $0.requestID == answered.requestID })
        let slowAck = try #require(later.followerAckNanos[slow])
        #expect(slowAck > later.respondedNanos!)
        Self.expectEveryFollowerStage(later, followers: cluster.ids.filter { $0 != leader })
    }

    @Test func durableIndexFollowsTheWAL() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let acks = Acks()
        cluster.put(key: bytes("k"), value: bytes("v"), completion: acks.completion(for: "k"))
        #expect(cluster.run(until: { acks.answered == 1 }))
        cluster.advance(byNanos: 300 * Self.millis)
        let snapshot = cluster.snapshot()
        for member in snapshot.members {
            let last = try #require(member.status?.raft.lastIndex)
            #expect(member.durableIndex == last, "member \(member.id)")
            #expect(member.durableIndex > 0)
        }
    }

    @Test func everyFollowerStageInRealTime() async throws {
        // etcd's 100 ms tick: with 10 ms ticks a whole test run's load made the leader change
        // between the puts, and a put answered by an old leader keeps no follower stages.
        let config = ClusterConfig(memberCount: 3, driver: .realTime)
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        let deadline = ContinuousClock.now + .seconds(120)
        while cluster.leader == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let leader = try #require(cluster.leader)
        for i in 0..<3 {
            let result = await cluster.put(key: bytes("rt\(i)"), value: bytes("v"))
            #expect((try? result.get()) != nil)
        }
        let followers = cluster.ids.filter { $0 != leader }
        func complete() -> [StageTraceView] {
            Self.puts(cluster.snapshot()).filter { t in
                followers.allSatisfy { t.followerAppliedNanos[$0] != nil && t.followerAckNanos[$0] != nil }
            }
        }
        while complete().count < 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let traces = complete()
        #expect(traces.count == 3)
        for trace in traces { Self.expectEveryFollowerStage(trace, followers: followers) }
    }
}
