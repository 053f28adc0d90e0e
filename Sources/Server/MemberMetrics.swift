import Raft

/// A member's counters, named after etcd's metrics (etcd_server_proposals_*, etcd_disk_wal_fsync_*),
/// as the UI and the benchmarks read them; `MemberMeters` serves them to Prometheus.
public struct MemberMetrics: Sendable, Hashable {
    public var proposalsFailed = 0
    public var leaderChangesSeen = 0
    /// Requests proposed again because their apply answered "auth revision old".
    public var authRetries = 0
    /// Revokes this member proposed, as leader, for leases that ran out.
    public var leasesExpired = 0
    public var walFsyncCount = 0
    public var walFsyncNanosTotal: UInt64 = 0
    public var walFsyncNanosLast: UInt64 = 0
    /// Entries written by the raft loop, to show how many each fsync carried.
    public var walEntriesWritten = 0
    public var applyNanosTotal: UInt64 = 0
    public var applyBatches = 0
    public var snapshotsTaken = 0
    /// Background snapshots that could not be saved (the member goes on; the next one tries again).
    public var snapshotFailures = 0
    public var snapshotsInstalled = 0

    public init() {}
}

/// How many synced WAL writes a member made and how many entries it wrote, so far.
public struct WALWriteTotals: Sendable, Hashable {
    public var syncs: Int
    public var entries: Int

    public init(syncs: Int, entries: Int) {
        self.syncs = syncs
        self.entries = entries
    }
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
    /// Whether auth is on, and the auth revision, as this member applied them.
    public var auth: AuthStatus
    public var stopped: Bool
    /// Leases this member has applied.
    public var leaseCount = 0
    /// On the leader, the lease that runs out next and when (on the member's clock).
    public var nextLeaseExpiry: LeaseExpiry?
    /// Whether the member serves requests yet (see `Member.isReady`).
    public var ready = true
    /// The alarms this member has applied (every member's, as the log raised them).
    public var alarms: [AlarmMember] = []
    /// How the member came back from its disk when it started.
    public var recovery = Recovery()
}

/// What a member's start from disk cost: reading its newest snapshot and its WAL, loading the
/// snapshot into the store, and applying the committed entries the WAL held after it.
public struct Recovery: Sendable, Hashable {
    /// The index of the snapshot started from (0: none).
    public var snapshotIndex: UInt64 = 0
    /// The size of the snapshot's state.
    public var snapshotBytes = 0
    /// Reading the snapshot file and the WAL after it.
    public var readNanos: UInt64 = 0
    /// Decoding the snapshot into the store, the auth state and the leases.
    public var installNanos: UInt64 = 0
    /// Committed entries in the WAL after the snapshot, applied again at start.
    public var entriesToReplay: UInt64 = 0
    /// Applying them, from the end of the install; nil until the member has applied them all.
    public var replayNanos: UInt64?

    public init() {}

    /// Entries replayed a second, once the replay is done (nil before, or when there was none).
    public var replayEntriesPerSecond: Double? {
        guard let replayNanos, entriesToReplay > 0, replayNanos > 0 else { return nil }
        return Double(entriesToReplay) / (Double(replayNanos) / 1e9)
    }
}
