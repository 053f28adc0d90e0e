import Raft

/// What to simulate: the seed that chooses everything, the group's size, and how long to run.
public struct SimulationOptions: Sendable, Hashable, Codable {
    public static let defaultMemberCount = 3
    public static let defaultSteps = 1000
    public static let defaultLivenessRoundsMax = 200

    public var seed: UInt64
    /// Members in the group, all voters at first.
    public var memberCount: Int
    /// Steps with faults; then the network heals, crashed members restart and the liveness
    /// rounds begin.
    public var steps: Int
    /// Rounds (a tick of every member and one hop of every message in flight) within which the
    /// healed group must commit a proposal on every member, beyond three for each entry it still
    /// has to commit when the faults stop.
    public var livenessRoundsMax: Int
    /// Whether the leader also demotes voters to learners and promotes learners back, one
    /// configuration change at a time, among the faults.
    public var membershipChanges: Bool

    public init(
        seed: UInt64, memberCount: Int = defaultMemberCount, steps: Int = defaultSteps,
        livenessRoundsMax: Int = defaultLivenessRoundsMax, membershipChanges: Bool = false
    ) {
        self.membershipChanges = membershipChanges
        self.seed = seed
        self.memberCount = memberCount
        self.steps = steps
        self.livenessRoundsMax = livenessRoundsMax
    }
}
