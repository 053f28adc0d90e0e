import Cluster
import Foundation
import MVCC
import Raft
import Server
import Testing

/// The real-time driver: threads, the wall clock. Short ticks keep elections quick; the checks
/// are on behaviour, never on how long anything took.
@Suite struct RealTimeTests {
    func cluster() throws -> Cluster {
        var config = ClusterConfig(memberCount: 3, driver: .realTime)
        config.member.tickNanos = 10_000_000
        return try Cluster(config: config)
    }

    /// Polls `condition` until it holds; the bound is for a hang, not a speed: a whole `swift
    /// test` run on two cores starves these threads for tens of seconds.
    func waitFor(_ condition: () -> Bool, seconds: Double = 120) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    @Test func putsFailoverAndRestart() async throws {
        let cluster = try cluster()
        defer { cluster.shutdown() }
        #expect(try await waitFor { cluster.leader != nil })
        for i in 0..<20 {
            let result = await cluster.put(key: bytes("rt\(i)"), value: bytes("v"))
            #expect((try? result.get()) != nil, "put \(i): \(result)")
        }
        let old = try #require(cluster.leader)
        try cluster.crash(old)
        #expect(try await waitFor { cluster.leader != nil && cluster.leader != old })
        let after = await cluster.put(key: bytes("after"), value: bytes("v"))
        #expect((try? after.get()) != nil)
        try cluster.restart(old)
        #expect(try await waitFor { value(cluster, old, "after") != nil })
        #expect(value(cluster, old, "rt19") == bytes("v"))
    }

    /// A follower cut off while the leader snapshots and compacts its log catches up from a
    /// snapshot the leader reads back from its disk, off its raft lock.
    @Test func anIsolatedFollowerCatchesUpFromASnapshotReadBackFromDisk() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rafttop-readback-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = ClusterConfig(memberCount: 3, driver: .realTime)
        config.member.tickNanos = 10_000_000
        config.member.snapshotCount = 20
        config.member.snapshotCatchUpEntries = 5
        config.storeOnDisk(in: directory)
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        #expect(try await waitFor { cluster.leader != nil })
        let leader = try #require(cluster.leader)
        let follower = try #require(cluster.ids.first { $0 != leader })
        cluster.isolate(follower)
        for i in 0..<120 {
            let result = await cluster.put(key: bytes("rb\(i)"), value: bytes("v\(i)"))
            #expect((try? result.get()) != nil, "put \(i): \(result)")
        }
        cluster.heal()
        #expect(try await waitFor { value(cluster, follower, "rb119") == bytes("v119") })
        #expect(value(cluster, follower, "rb0") == bytes("v0"))
        #expect((cluster.member(follower)?.status().metrics.snapshotsInstalled ?? 0) >= 1)
    }

    @Test func loadGeneratorKeepsEveryAcknowledgedPut() async throws {
        let cluster = try cluster()
        defer { cluster.shutdown() }
        #expect(try await waitFor { cluster.leader != nil })
        let load = LoadGenerator(cluster: cluster, clients: 8, valueSize: 64)
        load.start()
        #expect(try await waitFor { load.counts.acknowledged >= 500 })
        load.stop()
        #expect(try await waitFor { load.outstanding == 0 })
        let acknowledged = load.acknowledged
        #expect(!acknowledged.isEmpty)
        #expect(try await waitFor {
            cluster.ids.allSatisfy { id in
                acknowledged.allSatisfy { key, sequence in
                    guard let stored = value(cluster, id, key) else { return false }
                    // A later put of the same key may have overwritten it, never an earlier one.
                    let seq = Int(String(decoding: stored.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)) ?? -1
                    return seq >= sequence
                }
            }
        })
    }
}

@Suite struct DiskRecoveryTests {
    @Test func wholeClusterRestartsFromItsWALs() async throws {
        let directory = try TemporaryDirectory()
        var config = ClusterConfig(memberCount: 3, driver: .realTime)
        config.member.tickNanos = 10_000_000
        config.member.snapshotCount = 40
        config.member.snapshotCatchUpEntries = 10
        config.storeOnDisk(in: directory.path)
        var acknowledged: [String] = []
        do {
            let cluster = try Cluster(config: config)
            #expect(try await RealTimeTests().waitFor { cluster.leader != nil })
            for i in 0..<100 {
                if case .success = await cluster.put(key: bytes("w\(i)"), value: bytes("\(i)")) { acknowledged.append("w\(i)") }
            }
            // Real time saves snapshots on a thread of their own; none may have failed.
            #expect(try await RealTimeTests().waitFor {
                cluster.ids.allSatisfy { (cluster.member($0)?.status().metrics.snapshotsTaken ?? 0) > 0 }
            })
            #expect(cluster.ids.allSatisfy { cluster.member($0)?.status().metrics.snapshotFailures == 0 })
            cluster.shutdown()
        }
        #expect(acknowledged.count == 100)
        let cluster = try Cluster(config: config)
        defer { cluster.shutdown() }
        #expect(try await RealTimeTests().waitFor { cluster.leader != nil })
        #expect(try await RealTimeTests().waitFor {
            cluster.ids.allSatisfy { id in acknowledged.allSatisfy { value(cluster, id, $0) != nil } }
        })
        #expect(FileManager.default.fileExists(atPath: directory.path + "/member-1/wal"))
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/member-1/snap")
        #expect(snapshots.contains { $0.hasSuffix(".snap") })
    }
}

/// A directory under /tmp, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "rafttop-test-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
