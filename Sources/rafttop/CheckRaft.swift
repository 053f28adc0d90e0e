import ArgumentParser
import Foundation
import Raft
import RaftSimulation

/// `rafttop check raft`: runs seeded fault-injection simulations of a Raft group and checks its
/// safety and liveness after every step.
struct CheckRaft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft",
        abstract: "Simulate a Raft group under faults, seed by seed, and check every invariant after each step.",
        discussion: """
            Each seed chooses every fault (message loss, duplication, delay and reordering, \
            partitions, crashes and restarts, log compaction, leader transfers), so a failing seed \
            replays exactly with --seed.
            """
    )

    @Option(help: "Replay this one seed.")
    var seed: UInt64?

    @Option(help: "Run this many seeds, starting at --first-seed.")
    var seeds: UInt64 = 1

    @Option(help: "The first seed of a --seeds run.")
    var firstSeed: UInt64 = 1

    @Option(help: "Members in the group: 3 or 5.")
    var members: Int = SimulationOptions.defaultMemberCount

    @Option(help: "Steps with faults per seed, before the network heals.")
    var steps: Int = SimulationOptions.defaultSteps

    @Flag(help: "Also demote voters to learners and promote them back among the faults; a learner must never lead.")
    var membership = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard members == 3 || members == 5 else { throw ValidationError("--members must be 3 or 5") }
        guard steps >= 0 else { throw ValidationError("--steps must not be negative") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        if seed != nil && seeds != 1 { throw ValidationError("give --seed or --seeds, not both") }
    }

    func run() throws {
        let seedRange = seed.map { $0...$0 } ?? firstSeed...(firstSeed + seeds - 1)
        var summary = CheckSummary(members: members, steps: steps)
        SeedInFlight.installHandlers()
        SeedInFlight.memberCount = UInt64(members)
        for seed in seedRange {
            SeedInFlight.seed = seed
            let options = SimulationOptions(seed: seed, memberCount: members, steps: steps, membershipChanges: membership)
            let report = Simulation(options: options).run()
            summary.add(report)
        }
        SeedInFlight.seed = 0
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
