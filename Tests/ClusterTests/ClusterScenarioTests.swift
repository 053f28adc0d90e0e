import Cluster
import Foundation
import MVCC
import Raft
import Server
import Synchronization
import Testing

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Collects the outcome of each request issued by a test.
final class Acks: Sendable {
    private let results = Mutex<[String: Result<Response, ServerError>]>([:])

    func completion(for key: String) -> Completion {
        { result in self.results.withLock { $0[key] = result } }
    }

    var acknowledged: [String] { results.withLock { r in r.filter { (try? $0.value.get()) != nil }.map(\.key).sorted() } }
    var answered: Int { results.withLock { $0.count } }

    func result(for key: String) -> Result<Response, ServerError>? { results.withLock { $0[key] } }
}

func simulatedCluster(members: Int = 3, seed: UInt64 = 1, configure: (inout ClusterConfig) -> Void = { _ in }) throws -> Cluster {
    var config = ClusterConfig(memberCount: members, driver: .simulated(seed: seed))
    config.network = SimulatedNetwork.Settings(latencyMicros: 500, jitterMicros: 200)
    configure(&config)
    return try Cluster(config: config)
}

/// A configuration that keeps the members on disk in `directory`, with a snapshot every 10
/// entries (2 kept for catch-up) when `smallSnapshots`, so a few puts take one.
func onDisk(in directory: String, smallSnapshots: Bool) -> (inout ClusterConfig) -> Void {
    {
        $0.storeOnDisk(in: directory)
        if smallSnapshots {
            $0.member.snapshotCount = 10
            $0.member.snapshotCatchUpEntries = 2
        }
    }
}

/// A fresh path under the temporary directory, for a test's data directory.
func temporaryDataDirectory(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-\(name)-\(UUID().uuidString)").path
}

func value(_ cluster: Cluster, _ id: NodeID, _ key: String) -> [UInt8]? {
    try? cluster.member(id)?.localRange(RangeRequest(range: KeyRange(key: bytes(key)))).kvs.first?.value
}

@Suite struct ClusterScenarioTests {
    @Test func electsALeaderAndReplicatesPuts() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let acks = Acks()
        for i in 0..<20 { cluster.put(key: bytes("k\(i)"), value: bytes("v\(i)"), completion: acks.completion(for: "k\(i)")) }
        #expect(cluster.run(until: { acks.answered == 20 }))
        #expect(acks.acknowledged.count == 20)
        cluster.advance(byNanos: 500_000_000)
        for id in cluster.ids { #expect(value(cluster, id, "k19") == bytes("v19"), "member \(id)") }
        let snapshot = cluster.snapshot()
        #expect(snapshot.members.allSatisfy { $0.status?.appliedIndex == snapshot.members[0].status?.appliedIndex })
        #expect(snapshot.latency.count == 20)
        #expect(snapshot.members.contains { !$0.log.isEmpty })
        #expect(snapshot.events.contains { if case .leaderElected = $0.kind { true } else { false } })
    }

    @Test func failoverElectsANewLeaderAndKeepsEveryAcknowledgedPut() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let acks = Acks()
        for i in 0..<10 { cluster.put(key: bytes("a\(i)"), value: bytes("x"), completion: acks.completion(for: "a\(i)")) }
        #expect(cluster.run(until: { acks.answered == 10 }))
        let old = try #require(cluster.leader)
        try cluster.crash(old)
        #expect(cluster.run(until: { cluster.leader != nil && cluster.leader != old }, limitNanos: 10_000_000_000))
        for i in 10..<20 { cluster.put(key: bytes("a\(i)"), value: bytes("x"), completion: acks.completion(for: "a\(i)")) }
        #expect(cluster.run(until: { acks.answered == 20 }))
        try cluster.restart(old)
        cluster.advance(byNanos: 2_000_000_000)
        #expect(acks.acknowledged.count == 20)
        for key in acks.acknowledged {
            for id in cluster.ids { #expect(value(cluster, id, key) != nil, "\(key) on member \(id)") }
        }
        let election = cluster.events.compactMap { event -> UInt64? in
            if case .leaderElected(_, _, let nanos?) = event.kind { return nanos } else { return nil }
        }
        #expect(!election.isEmpty, "the failover's election is timed")
    }

    @Test func partitionedLeaderCannotCommitAndMajorityMovesOn() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let old = try #require(cluster.leader)
        cluster.isolate(old)
        let stranded = Acks()
        cluster.put(key: bytes("minority"), value: bytes("x"), via: old, completion: stranded.completion(for: "minority"))
        #expect(cluster.run(until: { cluster.leader != nil && cluster.leader != old }, limitNanos: 10_000_000_000))
        let acks = Acks()
        cluster.put(key: bytes("majority"), value: bytes("y"), completion: acks.completion(for: "majority"))
        #expect(cluster.run(until: { acks.answered == 1 }))
        #expect(stranded.acknowledged.isEmpty, "the minority side cannot commit")
        cluster.heal()
        cluster.advance(byNanos: 3_000_000_000)
        for id in cluster.ids { #expect(value(cluster, id, "majority") == bytes("y"), "member \(id) converged") }
        let applied = cluster.snapshot().members.compactMap { $0.status?.appliedIndex }
        #expect(Set(applied).count == 1)
    }

    @Test func followerCatchesUpByLogAndBySnapshot() throws {
        let cluster = try simulatedCluster { $0.member.snapshotCount = 30; $0.member.snapshotCatchUpEntries = 5 }
        #expect(cluster.run(until: { cluster.leader != nil }))
        let lead = try #require(cluster.leader)
        let follower = cluster.ids.first { $0 != lead }!
        try cluster.crash(follower)
        let acks = Acks()
        for i in 0..<100 { cluster.put(key: bytes("c\(i)"), value: bytes("v"), completion: acks.completion(for: "c\(i)")) }
        #expect(cluster.run(until: { acks.answered == 100 }))
        try cluster.restart(follower)
        cluster.advance(byNanos: 3_000_000_000)
        #expect(value(cluster, follower, "c99") == bytes("v"))
        #expect(try cluster.member(follower)!.localRange(RangeRequest(range: .prefix(bytes("c")), countOnly: true)).count == 100)
    }

    @Test func allMembersKilledAndRestartedKeepAcknowledgedPuts() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let acks = Acks()
        for i in 0..<30 { cluster.put(key: bytes("d\(i)"), value: bytes("v"), completion: acks.completion(for: "d\(i)")) }
        #expect(cluster.run(until: { acks.answered == 30 }))
        for id in cluster.ids { try cluster.crash(id) }
        for id in cluster.ids { try cluster.restart(id) }
        #expect(cluster.run(until: { cluster.leader != nil }, limitNanos: 10_000_000_000))
        cluster.advance(byNanos: 1_000_000_000)
        for key in acks.acknowledged {
            for id in cluster.ids { #expect(value(cluster, id, key) == bytes("v"), "\(key) on member \(id)") }
        }
    }

    @Test func pausedMemberFallsBehindThenCatchesUp() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let lead = try #require(cluster.leader)
        let follower = cluster.ids.first { $0 != lead }!
        try cluster.pause(follower)
        #expect(cluster.memberState(follower) == .paused)
        let acks = Acks()
        cluster.put(key: bytes("p"), value: bytes("1"), completion: acks.completion(for: "p"))
        #expect(cluster.run(until: { acks.answered == 1 }))
        #expect(value(cluster, follower, "p") == nil)
        try cluster.resume(follower)
        cluster.advance(byNanos: 500_000_000)
        #expect(value(cluster, follower, "p") == bytes("1"))
    }

    @Test func leadershipTransferMovesTheLeader() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let lead = try #require(cluster.leader)
        let target = cluster.ids.first { $0 != lead }!
        try cluster.transferLeadership(to: target)
        #expect(cluster.run(until: { cluster.leader == target }, limitNanos: 5_000_000_000))
    }

    @Test func sameSeedSameRun() throws {
        func run() throws -> [String] {
            let cluster = try simulatedCluster(seed: 42) { $0.network.lossRate = 0.05 }
            cluster.run(until: { cluster.leader != nil })
            for i in 0..<10 { cluster.put(key: bytes("s\(i)"), value: bytes("v")) }
            cluster.advance(byNanos: 2_000_000_000)
            return cluster.events.map { "\($0.atNanos) \($0.description)" }
        }
        #expect(try run() == run())
    }
}

@Suite struct ClusterSizeTests {
    @Test(arguments: [1, 5, 7])
    func clustersOfOtherSizesElectAndCommit(members: Int) throws {
        let cluster = try simulatedCluster(members: members)
        #expect(cluster.run(until: { cluster.leader != nil }))
        let acks = Acks()
        cluster.put(key: bytes("k"), value: bytes("v"), completion: acks.completion(for: "k"))
        #expect(cluster.run(until: { acks.answered == 1 }))
        #expect(acks.acknowledged == ["k"])
        cluster.advance(byNanos: 500_000_000)
        for id in cluster.ids { #expect(value(cluster, id, "k") == bytes("v"), "member \(id)") }
    }

    @Test(arguments: [0, 8])
    func memberCountOutsideOneToSevenIsRefused(members: Int) {
        #expect(throws: ClusterError.self) { try simulatedCluster(members: members) }
    }

    @Test func loadAtATargetRateIssuesAboutThatMany() throws {
        let cluster = try simulatedCluster()
        #expect(cluster.run(until: { cluster.leader != nil }))
        let load = LoadGenerator(cluster: cluster, clients: 4, valueSize: 32, targetRate: 100)
        load.start()
        cluster.advance(byNanos: 2_000_000_000)
        load.stop()
        cluster.advance(byNanos: 500_000_000)
        // 100 puts/s for 2 s of simulated time, give or take the first and last round.
        #expect((190...210).contains(load.counts.sent), "sent \(load.counts.sent)")
        #expect(load.counts.acknowledged == load.counts.sent)
    }
}
