import Foundation

/// A broken promise found in one run.
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case notLinearizable = "not-linearizable"
        case appliedLogsDiverge = "applied-logs-diverge"
        case revisionOrder = "revision-order"
        case acknowledgedWriteLost = "acknowledged-write-lost"
        case membersDisagree = "members-disagree"
        case malformedAnswer = "malformed-answer"
        case noProgress = "no-progress"
        case leaseBroken = "lease-broken"
        /// A leader whose term a quorum of its voters never reached (a learner counted), or a
        /// removed member running again.
        case membershipQuorum = "membership-quorum"
        /// The cluster could not be run: a member refused to restart from its disk, say.
        case clusterFailed = "cluster-failed"
    }

    public var kind: Kind
    public var detail: String
    /// For a linearizability violation: a small history that still fails, one operation a line.
    public var history: [String]

    public init(kind: Kind, detail: String, history: [String] = []) {
        self.kind = kind
        self.detail = detail
        self.history = history
    }

    public var description: String {
        ([" \(kind.rawValue): \(detail)"] + history.map { "    \($0)" }).joined(separator: "\n")
    }
}

/// What one seed did and found.
public struct SeedReport: Sendable, Hashable, Codable {
    public var seed: UInt64
    public var operations = 0
    /// Operations on keys whose linearizability was decided.
    public var operationsChecked = 0
    public var unknownOutcomes = 0
    /// Keys whose search ran out of steps.
    public var keysUndecided = 0
    public var appliedEntries = 0
    /// A hash of the whole history: equal for two runs of a seed that went the same way.
    public var historyDigest: UInt64 = 0
    public var faults: [ClusterFault: Int] = [:]
    public var violations: [Violation] = []

    public init(seed: UInt64) {
        self.seed = seed
    }

    public var passed: Bool { violations.isEmpty }
}

/// Many seeds' reports, summed: what `rafttop check` prints.
public struct ClusterCheckSummary: Sendable, Codable {
    public var members: Int
    public var operationsPerSeed: Int
    /// The sabotage the seeds ran with, if any.
    public var sabotage: String?
    /// Whether members were added, promoted and removed among the faults.
    public var membership = false
    public var seedsRun = 0
    public var operations = 0
    public var operationsChecked = 0
    public var unknownOutcomes = 0
    public var keysUndecided = 0
    /// The seeds' history digests combined, to compare two runs of the same seeds.
    public var historyDigest: UInt64 = 0
    public var faults: [ClusterFault: Int] = [:]
    public var violations = 0
    public var elapsedSeconds = 0.0
    public var failures: [SeedReport] = []

    public init(members: Int, operationsPerSeed: Int) {
        self.members = members
        self.operationsPerSeed = operationsPerSeed
    }

    public mutating func add(_ report: SeedReport) {
        seedsRun += 1
        operations += report.operations
        operationsChecked += report.operationsChecked
        unknownOutcomes += report.unknownOutcomes
        keysUndecided += report.keysUndecided
        historyDigest = (historyDigest ^ report.historyDigest) &* 0x100_0000_01b3
        faults.merge(report.faults, uniquingKeysWith: +)
        violations += report.violations.count
        if !report.passed { failures.append(report) }
    }

    public var seedsPerSecond: Double { elapsedSeconds > 0 ? Double(seedsRun) / elapsedSeconds : 0 }

    /// The command that replays `seed`.
    public func replayCommand(seed: UInt64) -> String {
        "rafttop check --seed \(seed) --members \(members) --ops \(operationsPerSeed)" + (sabotage.map { " --sabotage \($0)" } ?? "")
            + (membership ? " --membership" : "")
    }

    public var text: String {
        var lines = [
            "seeds run: \(seedsRun) (\(members) members, \(operationsPerSeed) client operations each)",
            "operations: \(operations), checked for linearizability: \(operationsChecked), with unknown outcome: \(unknownOutcomes)",
            "keys the checker could not decide within its budget: \(keysUndecided)",
            "faults injected:",
        ]
        for kind in ClusterFault.allCases {
            lines.append("  \(kind.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0))\(faults[kind] ?? 0)")
        }
        lines.append("violations: \(violations)")
        lines.append("elapsed: \(String(format: "%.1f", elapsedSeconds)) s (\(String(format: "%.1f", seedsPerSecond)) seeds/s)")
        for report in failures {
            lines.append("")
            lines.append("FAILED seed \(report.seed):")
            lines.append(contentsOf: report.violations.map(\.description))
            lines.append("  replay: \(replayCommand(seed: report.seed))")
        }
        return lines.joined(separator: "\n")
    }
}
