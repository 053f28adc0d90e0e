import Raft

/// What the safety checker sees of one member after a step.
public struct MemberObservation: Sendable, Hashable {
    public var id: NodeID
    /// False while the member is crashed; its persisted state stays, but it takes no part.
    public var isUp: Bool
    public var role: StateRole
    /// Whether the member's own configuration makes it a learner.
    public var isLearner = false
    public var term: UInt64
    public var commit: UInt64
    /// The last index Raft handed out to apply.
    public var applied: UInt64
    /// The last index the application's state includes.
    public var stateMachineIndex: UInt64
    /// The index and term the log starts after (its snapshot's, or the last compacted entry's).
    public var snapshotIndex: UInt64
    public var snapshotTerm: UInt64
    /// The log after the snapshot: `entries[k].index == snapshotIndex + 1 + k`.
    public var entries: [Entry]
    /// Changes whenever the log does; nil when unknown. The checker skips comparisons of logs
    /// whose versions it has checked before.
    public var logVersion: UInt64?

    public init(
        id: NodeID, isUp: Bool = true, role: StateRole, term: UInt64, commit: UInt64, applied: UInt64,
        stateMachineIndex: UInt64? = nil, snapshotIndex: UInt64 = 0, snapshotTerm: UInt64 = 0,
        entries: [Entry]
    ) {
        self.id = id
        self.isUp = isUp
        self.role = role
        self.term = term
        self.commit = commit
        self.applied = applied
        self.stateMachineIndex = stateMachineIndex ?? applied
        self.snapshotIndex = snapshotIndex
        self.snapshotTerm = snapshotTerm
        self.entries = entries
    }

    public var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }

    /// The entry at `index`, if the log holds it (not compacted, not past the end).
    public func entry(at index: UInt64) -> Entry? {
        guard index > snapshotIndex && index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)]
    }

    /// The term at `index`, including the snapshot's; nil when unknown.
    public func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        return entry(at: index)?.term
    }
}

/// Something a member did during a step that the checker must hear of as it happens.
public enum SimEvent: Sendable, Hashable {
    /// The member's application applied `entry`, after which its state's digest is `digest`.
    case applied(member: NodeID, entry: Entry, digest: UInt64)
    /// The member's application state was replaced by a snapshot (received, or loaded on restart).
    case restored(member: NodeID, index: UInt64, digest: UInt64)
    /// A ReadIndex asked for when every member's commit was at most `floor` came back with `index`.
    case readAnswered(member: NodeID, index: UInt64, floor: UInt64)
}
