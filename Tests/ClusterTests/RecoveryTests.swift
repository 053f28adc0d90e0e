import Cluster
import Foundation
import MVCC
import Raft
import Server
import Testing

/// What a member reports about its start from disk: the snapshot it loaded and the entries of
/// its WAL it applied again after it.
@Suite struct RecoveryTests {
    @Test(arguments: [false, true])
    func aRestartedMemberReportsItsSnapshotAndTheEntriesItReplayed(fromSnapshot: Bool) throws {
        let directory = temporaryDataDirectory("recovery")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure = onDisk(in: directory, smallSnapshots: fromSnapshot)
        var appliedBefore: [NodeID: UInt64] = [:]
        do {
            let cluster = try simulatedCluster(configure: configure)
            #expect(cluster.run(until: { cluster.leader != nil }))
            // A new cluster's members start from nothing: no snapshot, nothing to replay.
            for id in cluster.ids {
                #expect(cluster.member(id)!.status().recovery == { var r = Recovery(); r.replayNanos = 0; return r }(), "member \(id)")
            }
            let acks = Acks()
            for i in 0..<35 { cluster.put(key: bytes("k\(i)"), value: bytes("v\(i)"), completion: acks.completion(for: "\(i)")) }
            #expect(cluster.run(until: { acks.answered == 35 }))
            // One put at a time until every member has applied past its last snapshot, so the
            // WAL holds committed entries after it.
            var more = 0
            while more < 20 && !cluster.ids.allSatisfy({ cluster.member($0)!.status().appliedIndex > cluster.member($0)!.status().snapshotIndex }) {
                cluster.put(key: bytes("more\(more)"), value: bytes("v"), completion: acks.completion(for: "more\(more)"))
                more += 1
                #expect(cluster.run(until: { acks.answered == 35 + more }))
            }
            // Every member has applied (and so saved as committed) what the leader committed.
            #expect(cluster.run(until: { cluster.ids.allSatisfy { cluster.member($0)!.status().appliedIndex >= cluster.member(cluster.leader ?? 1)!.status().raft.commit } }))
            for id in cluster.ids { appliedBefore[id] = cluster.member(id)!.status().appliedIndex }
            cluster.shutdown()
        }
        let restarted = try simulatedCluster(configure: configure)
        #expect(restarted.run(until: { restarted.ids.allSatisfy { restarted.member($0)!.status().recovery.replayNanos != nil } }))
        for id in restarted.ids {
            let recovery = restarted.member(id)!.status().recovery
            let before = try #require(appliedBefore[id])
            if fromSnapshot {
                #expect(recovery.snapshotIndex > 0 && recovery.snapshotIndex <= before, "member \(id): \(recovery)")
                #expect(recovery.snapshotBytes > 0, "member \(id): \(recovery)")
            } else {
                #expect(recovery.snapshotIndex == 0 && recovery.snapshotBytes == 0, "member \(id): \(recovery)")
            }
            // Every entry it had applied is either in the snapshot or replayed from the WAL.
            #expect(recovery.snapshotIndex + recovery.entriesToReplay >= before, "member \(id): \(recovery), applied \(before)")
            #expect(recovery.entriesToReplay > 0, "member \(id): \(recovery)")
            #expect(restarted.member(id)!.status().appliedIndex >= recovery.snapshotIndex + recovery.entriesToReplay)
        }
    }
}
