import Foundation
import Raft

/// What `rafttop check raft` found over its seeds.
struct CheckSummary: Encodable {
    let members: Int
    let steps: Int
    private(set) var seedsRun = 0
    private(set) var stepsRun = 0
    private(set) var faults: [FaultKind: Int] = [:]
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
        if !report.passed { failures.append(report) }
    }

    var text: String {
        var lines = ["seeds run: \(seedsRun) (\(members) members, \(steps) fault steps each)",
                     "steps: \(stepsRun)",
                     "faults injected:"]
        for kind in FaultKind.allCases {
            lines.append("  \(kind.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0))\(faults[kind] ?? 0)")
        }
        lines.append("violations: \(failures.reduce(0) { $0 + $1.violations.count })")
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
