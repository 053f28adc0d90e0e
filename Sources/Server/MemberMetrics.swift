import Raft

/// A member's counters, named after etcd's metrics (etcd_server_proposals_*, etcd_disk_wal_fsync_*).
public struct MemberMetrics: Sendable, Hashable {
    public var proposalsFailed = 0
    public var leaderChangesSeen = 0
    public var walFsyncCount = 0
    public var walFsyncNanosTotal: UInt64 = 0
    public var walFsyncNanosLast: UInt64 = 0
    /// Entries written by the raft loop, to show how many each fsync carried.
    public var walEntriesWritten = 0
    public var applyNanosTotal: UInt64 = 0
    public var applyBatches = 0
    public var snapshotsTaken = 0
    public var snapshotsInstalled = 0

    public init() {}
}

/// A consistent view of one member for the UI and tests.
public struct MemberStatus: Sendable, Hashable {
    public var id: UInt64
    public var raft: Raft.Status
    public var appliedIndex: UInt64
    /// etcd_server_proposals_committed_total / applied_total: the positions they count.
    public var proposalsCommitted: UInt64 { raft.commit }
    public var proposalsApplied: UInt64 { appliedIndex }
    /// Requests this member is waiting on (etcd_server_proposals_pending).
    public var proposalsPending: Int
    public var readsPending: Int
    public var metrics: MemberMetrics
    public var storeRevision: Int64
    public var storeCompactRevision: Int64
    public var keyCount: Int
    public var snapshotIndex: UInt64
    public var stopped: Bool
}
