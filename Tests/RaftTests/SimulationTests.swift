import RaftSimulation
import Testing
@testable import Raft

/// Randomized fault-injection runs (see `Simulation`): every seed must keep every invariant.
/// A failure names the seed and the command that replays it.
@Suite struct SimulationTests {
    static let steps = SimulationOptions.defaultSteps
    /// Seeds per test case: the cases run in parallel.
    static let seedsPerCase: UInt64 = 25

    @Test("3-member groups keep every invariant", arguments: 0..<12)
    func threeMembers(batch: UInt64) async {
        await runSeeds(batch: batch, memberCount: 3, slot: Int(batch))
    }

    @Test("5-member groups keep every invariant", arguments: 0..<8)
    func fiveMembers(batch: UInt64) async {
        await runSeeds(batch: batch, memberCount: 5, slot: 32 + Int(batch))
    }

    private func runSeeds(batch: UInt64, memberCount: Int, slot: Int) async {
        let first = batch * Self.seedsPerCase + 1
        for seed in first..<(first + Self.seedsPerCase) {
            // Between seeds the pool's thread goes to whichever test waits for it (there is one a
            // core), so a suite that polls real time is not kept from running for minutes.
            await Task.yield()
            let options = SimulationOptions(seed: seed, memberCount: memberCount, steps: Self.steps)
            let report = SeedsInFlight.run(slot: slot, seed: seed, memberCount: memberCount) {
                Simulation(options: options).run()
            }
            for violation in report.violations {
                Issue.record("seed \(seed), \(memberCount) members: \(violation)\nreplay: \(report.replayCommand)")
            }
        }
    }

    @Test("groups whose leader demotes and promotes members keep every invariant", arguments: [3, 5])
    func membershipChanges(memberCount: Int) async {
        var promotions = 0
        var demotions = 0
        for seed in UInt64(501)...UInt64(520) {
            await Task.yield()
            let options = SimulationOptions(seed: seed, memberCount: memberCount, steps: Self.steps, membershipChanges: true)
            let report = Simulation(options: options).run()
            for violation in report.violations {
                Issue.record("seed \(seed), \(memberCount) members: \(violation)\nreplay: \(report.replayCommand)")
            }
            promotions += report.faults[.promotion, default: 0]
            demotions += report.faults[.demotion, default: 0]
        }
        #expect(promotions > 0 && demotions > 0, "\(demotions) demotions, \(promotions) promotions")
    }

    /// Seeds for single-member groups: the leader's own persisted copy is its whole quorum.
    static let singleMemberSeeds = UInt64(601)...UInt64(640)

    @Test("single-member groups keep every invariant")
    func singleMember() async {
        for seed in Self.singleMemberSeeds {
            await Task.yield()
            let report = Simulation(options: SimulationOptions(seed: seed, memberCount: 1, steps: Self.steps)).run()
            for violation in report.violations {
                Issue.record("seed \(seed), 1 member: \(violation)\nreplay: \(report.replayCommand)")
            }
        }
    }

    /// The mutation test of the rule that a leader counts its own entries only once persisted:
    /// with the core's deliberate bug, a leader of one commits and applies an entry while its
    /// write is in flight, and a crash before the write is durable loses an applied entry.
    @Test("the checker catches a leader that counts its unpersisted entries")
    func unpersistedSelfAckIsCaught() async {
        var caught: [UInt64: Violation] = [:]
        var crashes = 0
        for seed in Self.singleMemberSeeds {
            await Task.yield()
            let options = SimulationOptions(seed: seed, memberCount: 1, steps: Self.steps)
            let mutant = Simulation(options: options, countsUnpersistedSelfAck: true).run()
            crashes += mutant.faults[.crash, default: 0]
            if let violation = mutant.violations.first { caught[seed] = violation }
        }
        #expect(crashes > 0)
        #expect(!caught.isEmpty, "no seed of \(Self.singleMemberSeeds) caught the mutation in \(crashes) crashes")
        // What it finds: a member applied one entry at an index, and after the crash another.
        #expect(caught.values.contains { $0.invariant == .stateMachineSafety }, "\(caught)")
        // The same seeds pass without the bug.
        for seed in caught.keys.sorted() {
            let report = Simulation(options: SimulationOptions(seed: seed, memberCount: 1, steps: Self.steps)).run()
            #expect(report.violations.isEmpty, "seed \(seed): \(report.violations)")
        }
    }

    @Test("the same seed gives the same run")
    func sameSeedSameReport() {
        for memberCount in [3, 5] {
            let options = SimulationOptions(seed: 42, memberCount: memberCount, steps: 800)
            let first = Simulation(options: options).run()
            let second = Simulation(options: options).run()
            #expect(first == second)
            let other = Simulation(options: SimulationOptions(seed: 43, memberCount: memberCount, steps: 800)).run()
            #expect(first != other)
        }
    }

    @Test("runs inject every kind of fault and exercise snapshots and reads")
    func runsExerciseFaults() {
        var faults: [FaultKind: Int] = [:]
        var snapshots = 0
        var reads = 0
        var livenessChecked = 0
        for seed: UInt64 in 1...20 {
            // Half the runs change members too, so demotions and promotions happen.
            let report = Simulation(options: SimulationOptions(seed: seed, steps: 800, membershipChanges: seed.isMultiple(of: 2))).run()
            faults.merge(report.faults, uniquingKeysWith: +)
            snapshots += report.snapshotsDelivered
            reads += report.readsAnswered
            if report.livenessRounds != nil { livenessChecked += 1 }
        }
        for kind in FaultKind.allCases {
            #expect(faults[kind, default: 0] > 0, "no \(kind) in 20 seeds")
        }
        #expect(snapshots > 0)
        #expect(reads > 0)
        #expect(livenessChecked == 20)
    }

    @Test("a group given no time after the faults is reported as not live")
    func livenessViolationReported() {
        let report = Simulation(options: SimulationOptions(seed: 1, steps: 0, livenessRoundsMax: 0)).run()
        #expect(report.violations.map(\.invariant) == [.liveness])
        #expect(report.replayCommand == "swift run rafttop check raft --seed 1 --steps 0")
    }
}
