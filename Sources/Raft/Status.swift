/// Who a member is and where it stands, without the leader's view of followers.
public struct BasicStatus: Sendable, Hashable {
    public var id: NodeID
    public var hardState: HardState
    public var softState: SoftState
    public var applied: UInt64
    public var leadTransferee: NodeID
    /// The election and heartbeat timers, in ticks.
    public var timer = ElectionTimer()

    public var term: UInt64 { hardState.term }
    public var vote: NodeID { hardState.vote }
    public var commit: UInt64 { hardState.commit }
    public var lead: NodeID { softState.lead }
    public var role: StateRole { softState.role }
}

/// What a leader knows about one follower's replication.
public struct FollowerProgress: Sendable, Hashable {
    public var match: UInt64
    public var next: UInt64
    public var state: ProgressState
    /// MsgApps sent and not yet acknowledged.
    public var inflight: Int
    public var inflightBytes: UInt64
    public var paused: Bool
    public var recentActive: Bool
    public var pendingSnapshot: UInt64
    /// A learner receives the log but never counts in a quorum.
    public var isLearner: Bool = false
}

/// A member's full status, as `RawNode.status()` reports it.
public struct Status: Sendable, Hashable {
    public var basic: BasicStatus
    public var lastIndex: UInt64
    public var firstIndex: UInt64
    public var voters: [NodeID]
    public var learners: [NodeID] = []
    /// For a leader, every voter's and learner's progress (its own included); empty otherwise.
    public var progress: [NodeID: FollowerProgress]
    public var pendingReadIndex: Int

    public var id: NodeID { basic.id }
    public var term: UInt64 { basic.term }
    public var vote: NodeID { basic.vote }
    public var commit: UInt64 { basic.commit }
    public var applied: UInt64 { basic.applied }
    public var lead: NodeID { basic.lead }
    public var role: StateRole { basic.role }
}
