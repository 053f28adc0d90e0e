import ArgumentParser
import Check
import Foundation

/// `rafttop check` (or `rafttop check cluster`): whole simulated clusters under faults, with
/// clients whose history is checked for linearizability, seed by seed.
struct CheckCluster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Simulate whole clusters under faults, seed by seed, and check what their clients saw.",
        discussion: """
            Each seed runs members with their WALs on simulated disks, the put path and MVCC, while \
            concurrent clients put, get, delete and compare-and-set a few keys and faults strike: \
            crashes that lose unsynced writes, restarts, pauses, partitions, message loss, \
            duplication, delay and reordering, leader transfers, slow disks. The history is checked for \
            linearizability per key, and the members' applied logs, revisions and acknowledged \
            writes are checked too. A failing seed replays exactly with --seed.
            """
    )

    @Option(help: "Replay this one seed.")
    var seed: UInt64?

    @Option(help: "Run this many seeds, starting at --first-seed.")
    var seeds: UInt64 = 1

    @Option(help: "The first seed of a --seeds run.")
    var firstSeed: UInt64 = 1

    @Option(help: "Members in the cluster: 3 or 5.")
    var members: Int = 3

    @Option(help: "Client operations per seed.")
    var ops: Int = 200

    @Option(help: "Break the cluster on purpose, to see the check catch it: local-reads.")
    var sabotage: String?

    @Flag(help: "Also add, promote and remove members through Raft among the faults, and check that a learner never counts toward a quorum and a removed member never runs again.")
    var membership = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard members == 3 || members == 5 else { throw ValidationError("--members must be 3 or 5") }
        guard ops >= 1 else { throw ValidationError("--ops must be at least 1") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        if seed != nil && seeds != 1 { throw ValidationError("give --seed or --seeds, not both") }
        if let sabotage, ClusterCheck.Sabotage(rawValue: sabotage) == nil {
            throw ValidationError("--sabotage must be one of \(ClusterCheck.Sabotage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        DeterministicHashing.ensure()
        let seedRange = seed.map { $0...$0 } ?? firstSeed...(firstSeed + seeds - 1)
        var summary = ClusterCheckSummary(members: members, operationsPerSeed: ops)
        summary.sabotage = sabotage
        summary.membership = membership
        let started = Date()
        SeedInFlight.installHandlers()
        SeedInFlight.command = .cluster
        SeedInFlight.memberCount = UInt64(members)
        SeedInFlight.operations = UInt64(ops)
        for seed in seedRange {
            SeedInFlight.seed = seed
            let options = ClusterCheck.Options(seed: seed, memberCount: members, operations: ops,
                                               sabotage: sabotage.flatMap(ClusterCheck.Sabotage.init(rawValue:)),
                                               membershipChanges: membership)
            summary.add(ClusterCheck(options: options).run())
        }
        SeedInFlight.seed = 0
        summary.elapsedSeconds = Date().timeIntervalSince(started)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
        if !summary.failures.isEmpty {
            throw ExitCode.failure
        }
    }
}
