/// p50 and p99 of a latency histogram over some window, and how many observations they rest on.
public struct LatencyQuantiles: Sendable, Hashable {
    public var p50Micros: UInt64
    public var p99Micros: UInt64
    public var count: UInt64

    public init(p50Micros: UInt64, p99Micros: UInt64, count: UInt64) {
        self.p50Micros = p50Micros
        self.p99Micros = p99Micros
        self.count = count
    }
}

/// What a member of an external etcd cluster reported at its /metrics: the figures the built-in
/// cluster shows from its own members (pending proposals, fsync latency), and etcd's proposal
/// and leader-change counters.
public struct AttachedMetrics: Sendable, Hashable {
    /// etcd_server_proposals_pending: requests waiting for their entry to be applied, now.
    public var proposalsPending: Int64
    /// etcd_server_proposals_{committed,applied,failed}_total, since the member started.
    public var proposalsCommitted: UInt64
    public var proposalsApplied: UInt64
    public var proposalsFailed: UInt64
    /// etcd_server_leader_changes_seen_total, since the member started.
    public var leaderChanges: UInt64
    /// etcd_server_slow_apply_total: applies over 100 ms, since the member started.
    public var slowApplies: UInt64
    /// etcd_disk_wal_fsync_duration_seconds over the window; nil when it observed none.
    public var walFsync: LatencyQuantiles?
    /// etcd_disk_backend_commit_duration_seconds over the window; nil when it observed none.
    public var backendCommit: LatencyQuantiles?
    /// etcd_server_apply_duration_seconds over the window (etcd 3.5 and later; nil otherwise).
    public var apply: LatencyQuantiles?
    /// Whether the member exports apply durations at all (etcd 3.4 does not).
    public var applyExported: Bool
    /// How far back the quantiles reach, in ms: the difference of the histograms between two
    /// scrapes this far apart; 0 when they cover everything since the member started.
    public var windowMillis: UInt64

    public init(proposalsPending: Int64, proposalsCommitted: UInt64, proposalsApplied: UInt64, proposalsFailed: UInt64,
                leaderChanges: UInt64, slowApplies: UInt64, walFsync: LatencyQuantiles?, backendCommit: LatencyQuantiles?,
                apply: LatencyQuantiles?, applyExported: Bool, windowMillis: UInt64) {
        self.proposalsPending = proposalsPending
        self.proposalsCommitted = proposalsCommitted
        self.proposalsApplied = proposalsApplied
        self.proposalsFailed = proposalsFailed
        self.leaderChanges = leaderChanges
        self.slowApplies = slowApplies
        self.walFsync = walFsync
        self.backendCommit = backendCommit
        self.apply = apply
        self.applyExported = applyExported
        self.windowMillis = windowMillis
    }
}
