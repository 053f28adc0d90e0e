import Raft

/// What the simulation did to the group.
public enum FaultKind: String, Sendable, Hashable, Codable, CodingKeyRepresentable, CaseIterable, CustomStringConvertible {
    case messageLost = "message-lost"
    case messageDuplicated = "message-duplicated"
    case messageDelayed = "message-delayed"
    case messageReordered = "message-reordered"
    /// Lost because the in-flight list was full.
    case messageOverflowed = "message-overflowed"
    /// Lost because a partition or a crash stood between sender and receiver.
    case messageUndeliverable = "message-undeliverable"
    case partition = "partition"
    case heal = "heal"
    case crash = "crash"
    case restart = "restart"
    case compaction = "compaction"
    case leaderTransfer = "leader-transfer"
    /// A voter demoted to a learner, or a learner promoted (runs with membership changes).
    case demotion = "demotion"
    case promotion = "promotion"

    public var description: String { rawValue }
}

/// The outcome of one simulated run: enough to print, compare, and replay it.
public struct SimulationReport: Sendable, Hashable, Codable {
    public var seed: UInt64
    public var memberCount: Int
    /// Steps of faults asked for, before the liveness rounds.
    public var faultSteps: Int
    /// Steps run, the liveness rounds included; a run stops at the first step with a violation.
    public var steps: Int
    public var faults: [FaultKind: Int]
    /// Empty when the run kept every invariant.
    public var violations: [Violation]
    /// The highest term any member reached.
    public var termMax: UInt64
    /// The highest commit index any member reached.
    public var commitMax: UInt64
    public var proposals: Int
    /// Proposals the member refused at once (no leader, transfer under way, ...).
    public var proposalsDropped: Int
    public var readsAnswered: Int
    /// Snapshots that reached a follower.
    public var snapshotsDelivered: Int
    /// Rounds the healed group took to commit a proposal everywhere; nil if it did not get there.
    public var livenessRounds: Int?
    /// Whether the run demoted and promoted members among its faults.
    public var membershipChanges = false

    public var passed: Bool { violations.isEmpty }

    /// The command line that replays this run.
    public var replayCommand: String {
        var command = "swift run rafttop check raft --seed \(seed)"
        if memberCount != SimulationOptions.defaultMemberCount { command += " --members \(memberCount)" }
        if faultSteps != SimulationOptions.defaultSteps { command += " --steps \(faultSteps)" }
        if membershipChanges { command += " --membership" }
        return command
    }

    /// Every fault that happened at least once, in a fixed order.
    public var faultCounts: [(kind: FaultKind, count: Int)] {
        FaultKind.allCases.compactMap { kind in faults[kind].map { (kind, $0) } }
    }
}
