import Raft

/// A property a Raft group must keep, as the simulation checks it after every step.
public enum Invariant: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// At most one leader is elected in a term (§5.2, Election Safety).
    case electionSafety = "election-safety"
    /// A leader never overwrites or deletes entries in its log, and appends only entries of its
    /// own term (Leader Append-Only).
    case leaderAppendOnly = "leader-append-only"
    /// Two logs with an entry of the same index and term are identical up to that index (§5.3).
    case logMatching = "log-matching"
    /// An entry committed in a term is in the log of the leader of every later term (§5.4).
    case leaderCompleteness = "leader-completeness"
    /// No two members apply different entries at the same index, across restarts too (§5.4.3).
    case stateMachineSafety = "state-machine-safety"
    /// A member's commit index never goes back.
    case commitMonotonic = "commit-monotonic"
    /// A member applies only committed entries.
    case appliedWithinCommit = "applied-within-commit"
    /// A member applies entries one after another, without gaps or repeats.
    case applyOrder = "apply-order"
    /// A ReadIndex answer is at least every index committed before the read was asked for (§6.4).
    case linearizableRead = "linearizable-read"
    /// Once faults stop and the network heals, a leader is elected and a proposal commits.
    case liveness = "liveness"
    /// A learner never leads: it never campaigns, and a leader demoted steps down.
    case learnerNeverLeads = "learner-never-leads"

    public var description: String { rawValue }
}

/// One broken invariant: what, where, and at which step of the run.
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var invariant: Invariant
    /// The step of the run after which the checker saw it.
    public var step: Int
    /// The member at fault, or 0 when the violation is the group's.
    public var member: NodeID
    public var index: UInt64?
    public var term: UInt64?
    /// What was seen, for a person.
    public var detail: String

    public init(
        _ invariant: Invariant, step: Int, member: NodeID, index: UInt64? = nil, term: UInt64? = nil,
        detail: String
    ) {
        self.invariant = invariant
        self.step = step
        self.member = member
        self.index = index
        self.term = term
        self.detail = detail
    }

    public var description: String {
        var where_ = "step \(step)"
        if member != noNode { where_ += ", member \(member)" }
        if let term { where_ += ", term \(term)" }
        if let index { where_ += ", index \(index)" }
        return "\(invariant) (\(where_)): \(detail)"
    }
}
