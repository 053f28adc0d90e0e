import Cluster
import MVCC
import Raft
import Server
import Synchronization
import Testing

/// Whole clusters under random faults, many seeds: every acknowledged put survives on every
/// member, and no two members ever apply different entries at the same index.
@Suite struct ClusterSimulationTests {
    final class AppliedLog: Sendable {
        let entries = Mutex<[UInt64: Entry]>([:])
        let conflicts = Mutex<[String]>([])

        func record(_ member: NodeID, _ entry: Entry) {
            entries.withLock { e in
                if let seen = e[entry.index] {
                    if seen != entry {
                        conflicts.withLock { $0.append("member \(member) applied \(entry.term)/\(entry.index) but another applied \(seen.term)/\(seen.index) with other data") }
                    }
                } else {
                    e[entry.index] = entry
                }
            }
        }
    }

    struct Rng {
        var generator: SplitMix64
        mutating func next(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
    }

    static func run(seed: UInt64) throws -> (issues: [String], acknowledged: Int) {
        let applied = AppliedLog()
        var config = ClusterConfig(memberCount: 3, driver: .simulated(seed: seed))
        config.network = SimulatedNetwork.Settings(latencyMicros: 300, jitterMicros: 2000, lossRate: 0.02, duplicateRate: 0.01)
        config.member.snapshotCount = 50
        config.member.snapshotCatchUpEntries = 10
        config.member.applyObserver = { applied.record($0, $1) }
        // Each member's WAL on a simulated disk: a crash loses or tears whatever was not synced.
        config.storeOnSimulatedDisks(seed: seed)
        let cluster = try Cluster(config: config)
        var rng = Rng(generator: SplitMix64(seed: seed ^ 0xfeed))
        let acks = Mutex<[String: Int]>([:])
        var sequence = 0
        for _ in 0..<60 {
            for _ in 0..<rng.next(4) {
                sequence += 1
                // A key per put: with concurrent writers, a later write may land before an earlier one.
                let key = "k\(sequence)"
                let seq = sequence
                cluster.put(key: bytes(key), value: bytes("\(seq)"), via: NodeID(rng.next(3) + 1)) { result in
                    if case .success = result { acks.withLock { $0[key] = max($0[key] ?? 0, seq) } }
                }
            }
            let target = NodeID(rng.next(3) + 1)
            switch rng.next(12) {
            case 0: try cluster.crash(target)
            case 1: try cluster.restart(target)
            case 2: cluster.isolate(target)
            case 3: cluster.heal()
            case 4: try cluster.pause(target)
            case 5: try cluster.resume(target)
            case 6: try cluster.transferLeadership(to: target)
            default: break
            }
            cluster.advance(byNanos: UInt64(50 + rng.next(400)) * 1_000_000)
        }
        cluster.heal()
        for id in cluster.ids {
            try cluster.resume(id)
            try cluster.restart(id)
        }
        var issues: [String] = []
        let converged = cluster.run(until: {
            let applied = cluster.ids.compactMap { cluster.member($0)?.status().appliedIndex }
            return cluster.leader != nil && applied.count == 3 && Set(applied).count == 1
        }, stepNanos: 100_000_000, limitNanos: 60_000_000_000)
        cluster.advance(byNanos: 15_000_000_000)
        if !converged { issues.append("seed \(seed): members did not converge after healing") }
        issues.append(contentsOf: applied.conflicts.withLock { $0 }.map { "seed \(seed): \($0)" })
        let acknowledged = acks.withLock { $0 }
        for (key, seq) in acknowledged {
            for id in cluster.ids {
                let stored = (try? cluster.member(id)?.localRange(RangeRequest(range: KeyRange(key: bytes(key)))).kvs.first?.value)
                    .flatMap { $0 }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? -1
                if stored < seq { issues.append("seed \(seed): \(key) acknowledged at \(seq), member \(id) has \(stored)") }
            }
        }
        return (issues, acknowledged.count)
    }

    @Test(arguments: 0..<10)
    func seeds(batch: Int) async throws {
        var acknowledged = 0
        for seed in UInt64(batch * 10 + 1)...UInt64(batch * 10 + 10) {
            // The pool's thread goes to any test waiting for it between seeds.
            await Task.yield()
            let (issues, acks) = try Self.run(seed: seed)
            acknowledged += acks
            #expect(issues.isEmpty, "\(issues.prefix(3).joined(separator: "\n"))")
        }
        #expect(acknowledged > 0, "the faults left some puts acknowledged")
    }
}
