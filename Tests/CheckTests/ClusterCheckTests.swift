import Check
import Testing

/// `rafttop check` as `swift test` runs it: a few hundred seeds of whole clusters under faults,
/// and a broken cluster that it must catch.
@Suite struct ClusterCheckTests {
    static let operationsPerSeed = 100

    static func run(seeds: ClosedRange<UInt64>, members: Int = 3, sabotage: ClusterCheck.Sabotage? = nil) async -> ClusterCheckSummary {
        var summary = ClusterCheckSummary(members: members, operationsPerSeed: operationsPerSeed)
        for seed in seeds {
            // The pool's thread goes to any test waiting for it between seeds (see SimulationTests).
            await Task.yield()
            summary.add(ClusterCheck(options: ClusterCheck.Options(
                seed: seed, memberCount: members, operations: operationsPerSeed, sabotage: sabotage)).run())
        }
        return summary
    }

    /// 300 seeds of three members, in batches that run side by side.
    @Test(arguments: 0..<10)
    func threeMembers(batch: UInt64) async {
        let summary = await Self.run(seeds: (batch * 30 + 1)...(batch * 30 + 30))
        #expect(summary.violations == 0, "\(summary.text)")
        #expect(summary.operationsChecked > 20 * Self.operationsPerSeed, "most operations were checked")
        #expect(summary.faults.values.reduce(0, +) > 100, "faults were injected")
        #expect(summary.faults[.slowDisk, default: 0] > 0, "slow disks were injected")
    }

    /// Members added as learners, promoted and removed among the faults: no learner counts
    /// toward a quorum, no removed member runs again, and the usual checks still hold.
    @Test(arguments: 0..<2)
    func membershipChanges(batch: UInt64) async {
        var summary = ClusterCheckSummary(members: 3, operationsPerSeed: Self.operationsPerSeed)
        for seed in (2001 + batch * 20)...(2020 + batch * 20) {
            await Task.yield()
            summary.add(ClusterCheck(options: ClusterCheck.Options(
                seed: seed, memberCount: 3, operations: Self.operationsPerSeed, membershipChanges: true)).run())
        }
        #expect(summary.violations == 0, "\(summary.text)")
        #expect(summary.faults[.memberAdd, default: 0] > 0, "learners were added")
        #expect(summary.faults[.memberPromote, default: 0] > 0, "learners were promoted")
    }

    @Test func fiveMembers() async {
        let summary = await Self.run(seeds: 1001...1030, members: 5)
        #expect(summary.violations == 0, "\(summary.text)")
        #expect(summary.faults[.slowDisk, default: 0] > 0, "slow disks were injected")
    }

    /// A lease whose keep-alives never arrive runs out while the check believes it kept alive:
    /// within 50 seeds (faults may keep a seed leaderless for longer than the TTL, which excuses
    /// it) the check must say that the kept lease was revoked.
    @Test func aKeptLeaseThatRunsOutIsCaught() async throws {
        var caught: Violation?
        for seed in UInt64(1)...50 where caught == nil {
            await Task.yield()
            let report = ClusterCheck(options: ClusterCheck.Options(seed: seed, operations: 300, sabotage: .ignoredKeepAlives)).run()
            caught = report.violations.first { $0.kind == .leaseBroken }
        }
        let violation = try #require(caught, "50 seeds of keep-alives that never arrived went unnoticed")
        #expect(violation.detail.contains("was revoked though keep-alives reached the leader"), "\(violation.detail)")
    }

    /// Members that answer reads from their own store, skipping ReadIndex, serve stale reads:
    /// the check must say so within 100 seeds, with a history that shows it.
    @Test func aClusterThatServesStaleReadsIsCaught() async throws {
        var caught: SeedReport?
        for seed in UInt64(1)...100 {
            await Task.yield()
            let report = ClusterCheck(options: ClusterCheck.Options(
                seed: seed, operations: Self.operationsPerSeed, sabotage: .localReads)).run()
            if report.violations.contains(where: { $0.kind == .notLinearizable }) {
                caught = report
                break
            }
        }
        let report = try #require(caught, "100 seeds of stale reads went unnoticed")
        let violation = try #require(report.violations.first { $0.kind == .notLinearizable })
        #expect(!violation.history.isEmpty && violation.history.count < 20, "\(violation.history)")
    }
}
