import Foundation
import Raft
import RaftSimulation

/// What `rafttop check raft` found over its seeds.
struct CheckSummary: Encodable {
    let members: Int
    let steps: Int
    private(set) var seedsRun = 0
    private(set) var stepsRun = 0
    private(set) var faults: [FaultKind: Int] = [:]
    private(set) var violations = 0
    private(set) var proposals = 0
    private(set) var snapshotsDelivered = 0
    private(set) var readsAnswered = 0
    /// The most rounds a healed group took to commit a proposal everywhere.
    private(set) var livenessRoundsMax = 0
    /// The report of every seed that broke an invariant.
    private(set) var failures: [SimulationReport] = []

    init(members: Int, steps: Int) {
        self.members = members
        self.steps = steps
    }

    mutating func add(_ report: SimulationReport) {
        seedsRun += 1
        stepsRun += report.steps
        faults.merge(report.faults, uniquingKeysWith: +)
        violations += report.violations.count
        proposals += report.proposals
        snapshotsDelivered += report.snapshotsDelivered
        readsAnswered += report.readsAnswered
        livenessRoundsMax = max(livenessRoundsMax, report.livenessRounds ?? 0)
        if !report.passed { failures.append(report) }
    }

    var text: String {
        var lines = ["seeds run: \(seedsRun) (\(members) members, \(steps) fault steps each)",
                     "steps: \(stepsRun)",
                     "proposals: \(proposals), snapshots delivered: \(snapshotsDelivered), reads answered: \(readsAnswered)",
                     "liveness: healed groups committed within \(livenessRoundsMax) rounds at most",
                     "faults injected:"]
        for kind in FaultKind.allCases {
            lines.append("  \(kind.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0))\(faults[kind] ?? 0)")
        }
        lines.append("violations: \(violations)")
        for report in failures {
            lines.append("")
            lines.append("FAILED seed \(report.seed):")
            for violation in report.violations {
                lines.append("  \(violation)")
            }
            lines.append("  replay: \(report.replayCommand)")
        }
        return lines.joined(separator: "\n")
    }
}
