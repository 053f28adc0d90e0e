import ArgumentParser
import Cluster
import Foundation
import MVCC
import Raft
import Server

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scripted demonstrations that run a real-time cluster and report what happened.",
        subcommands: [DemoFailover.self]
    )
}

/// Kills the leader under load and reports how the cluster recovered.
struct DemoFailover: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Put continuously, kill the leader, wait for a new one, restart the old one, check every put.")

    @Option(help: "Concurrent clients putting during the demo.")
    var clients: Int = 8

    @Option(help: "Seconds of load before and after the failover.")
    var phaseSeconds: Double = 2

    @Flag(help: "Print one JSON line instead of a report.")
    var json = false

    @Flag(help: "Run the demo on real etcd members rafttop launches (see `rafttop etcd`).")
    var etcd = false

    @Option(help: "With --etcd: the etcd binary, a path or a name on PATH.")
    var etcdPath: String = "etcd"

    @OptionGroup var storage: StorageOptions
    @OptionGroup var placement: PlacementOptions

    func validate() throws {
        guard clients > 0 else { throw ValidationError("--clients must be at least 1") }
        guard phaseSeconds > 0 else { throw ValidationError("--phase-seconds must be positive") }
    }

    func run() throws {
        if etcd { return try runOnEtcd() }
        let setup = try storage.makeClusterConfig(members: 3, placement: placement)
        let cluster = try Cluster(config: setup.config)
        defer {
            cluster.shutdown()
            setup.cleanUp()
        }
        guard waitUntil(seconds: 15, { cluster.isReady }) else { throw DemoError.noLeader }
        let load = LoadGenerator(cluster: cluster, clients: clients, valueSize: 256)
        load.start()
        sleepSeconds(phaseSeconds)
        let before = cluster.snapshot().latency
        cluster.resetLatency()

        let oldLeader = cluster.leader!
        let crashedAt = cluster.nowNanos()
        try cluster.crash(oldLeader)
        guard waitUntil(seconds: 30, { cluster.leader != nil && cluster.leader != oldLeader }) else {
            load.stop()
            throw DemoError.noNewLeader(oldLeader)
        }
        let newLeader = cluster.leader!
        let failoverNanos = cluster.nowNanos() - crashedAt
        cluster.resetLatency()
        sleepSeconds(phaseSeconds)
        let after = cluster.snapshot().latency

        try cluster.restart(oldLeader)
        load.stop()
        _ = waitUntil(seconds: 30, { load.outstanding == 0 })
        // Every acknowledged put is committed by now; a member outside the quorum that
        // acknowledged it may still be applying it, the old leader most of all. Wait for every
        // member to apply what the leader has committed before looking for the puts.
        let target = cluster.member(newLeader)?.status().raft.commit ?? 0
        let caughtUp = waitUntil(seconds: 30, { (cluster.member(oldLeader)?.status().appliedIndex ?? 0) >= target })
        _ = waitUntil(seconds: 30, { cluster.ids.allSatisfy { (cluster.member($0)?.status().appliedIndex ?? 0) >= target } })

        let acknowledged = load.acknowledged
        var lost = 0
        for (key, sequence) in acknowledged {
            for id in cluster.ids where !storedAtLeast(cluster, member: id, key: key, sequence: sequence) {
                lost += 1
                if lost <= 5 {
                    let status = cluster.member(id)?.status()
                    FileHandle.standardError.write(Data(("missing: \(key) at sequence \(sequence) on m\(id)"
                        + " (applied \(status?.appliedIndex ?? 0), commit \(status?.raft.commit ?? 0), leader commit \(target))\n").utf8))
                }
                break
            }
        }
        let report = FailoverReport(
            oldLeader: oldLeader, newLeader: newLeader, failoverMillis: Double(failoverNanos) / 1e6,
            ackedPuts: load.counts.acknowledged, lostPuts: lost, oldLeaderCaughtUp: caughtUp,
            p50MillisBefore: Double(before.percentileMicros(50)) / 1000, p99MillisBefore: Double(before.percentileMicros(99)) / 1000,
            p50MillisAfter: Double(after.percentileMicros(50)) / 1000, p99MillisAfter: Double(after.percentileMicros(99)) / 1000)
        print(json ? try report.json() : report.text)
        if lost > 0 || !caughtUp { throw ExitCode(1) }
    }

    private func storedAtLeast(_ cluster: Cluster, member id: NodeID, key: String, sequence: Int) -> Bool {
        guard let kv = try? cluster.member(id)?.localRange(RangeRequest(range: KeyRange(key: Array(key.utf8)))).kvs.first else {
            return false
        }
        let stored = Int(String(decoding: kv.value.prefix { $0 != UInt8(ascii: ":") }, as: UTF8.self)) ?? -1
        return stored >= sequence
    }
}

struct FailoverReport {
    var oldLeader: NodeID
    var newLeader: NodeID
    var failoverMillis: Double
    var ackedPuts: Int
    var lostPuts: Int
    var oldLeaderCaughtUp: Bool
    var p50MillisBefore: Double
    var p99MillisBefore: Double
    var p50MillisAfter: Double
    var p99MillisAfter: Double

    /// What `--json` prints: one line, latencies to thousandths of a millisecond.
    struct JSON: Encodable {
        var oldLeader: NodeID
        var newLeader: NodeID
        var failoverMillis: Double
        var ackedPuts: Int
        var lostPuts: Int
        var oldLeaderCaughtUp: Bool
        var p50MillisBefore: Double
        var p99MillisBefore: Double
        var p50MillisAfter: Double
        var p99MillisAfter: Double

        enum CodingKeys: String, CodingKey {
            case oldLeader = "old_leader"
            case newLeader = "new_leader"
            case failoverMillis = "failover_ms"
            case ackedPuts = "acked_puts"
            case lostPuts = "lost_puts"
            case oldLeaderCaughtUp = "old_leader_caught_up"
            case p50MillisBefore = "p50_ms_before"
            case p99MillisBefore = "p99_ms_before"
            case p50MillisAfter = "p50_ms_after"
            case p99MillisAfter = "p99_ms_after"
        }
    }

    func json() throws -> String {
        try jsonLine(JSON(oldLeader: oldLeader, newLeader: newLeader, failoverMillis: failoverMillis.rounded(places: 3),
                          ackedPuts: ackedPuts, lostPuts: lostPuts, oldLeaderCaughtUp: oldLeaderCaughtUp,
                          p50MillisBefore: p50MillisBefore.rounded(places: 3), p99MillisBefore: p99MillisBefore.rounded(places: 3),
                          p50MillisAfter: p50MillisAfter.rounded(places: 3), p99MillisAfter: p99MillisAfter.rounded(places: 3)))
    }

    var text: String {
        """
        leader \(oldLeader) killed; member \(newLeader) leads after \(String(format: "%.1f", failoverMillis)) ms
        puts acknowledged: \(ackedPuts), missing afterwards on some member: \(lostPuts)
        old leader restarted and caught up: \(oldLeaderCaughtUp ? "yes" : "no")
        latency before: p50 \(String(format: "%.2f", p50MillisBefore)) ms, p99 \(String(format: "%.2f", p99MillisBefore)) ms
        latency after:  p50 \(String(format: "%.2f", p50MillisAfter)) ms, p99 \(String(format: "%.2f", p99MillisAfter)) ms
        """
    }
}

enum DemoError: Error, CustomStringConvertible {
    case noLeader
    case noNewLeader(NodeID)

    var description: String {
        switch self {
        case .noLeader: "no leader was elected within 15 s"
        case .noNewLeader(let old): "no new leader within 30 s of killing leader \(old)"
        }
    }
}

func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(5_000)
    }
    return true
}

func sleepSeconds(_ seconds: Double) {
    usleep(UInt32(seconds * 1_000_000))
}
