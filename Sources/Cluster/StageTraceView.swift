import Server

/// Where one request spent its time, stage by stage on every member, in monotonic nanoseconds:
/// the trace pane's rows and the tour's put. Taken from the member's trace, its followers'
/// stages joined in, when the cluster's snapshot is; stages a request never reached stay nil.
public struct StageTraceView: Sendable, Hashable {
    public var requestID: UInt64
    /// The member that received the request.
    public var member: NodeID
    public var summary: String
    /// The Raft index and term of the entry, once the leader appended it (0 before).
    public var index: UInt64 = 0
    public var term: UInt64 = 0
    public var receivedNanos: UInt64
    /// When the member put the user name and auth revision in the header; only with auth on.
    public var authCheckedNanos: UInt64?
    /// The user the request ran as; empty without one.
    public var username = ""
    public var proposedNanos: UInt64?
    public var leaderAppendedNanos: UInt64?
    public var leaderSyncedNanos: UInt64?
    /// When each follower's MsgAppResp covering the entry reached the leader.
    public var followerAckNanos: [NodeID: UInt64] = [:]
    /// When each follower appended, synced and applied the entry, as that follower recorded it.
    public var followerAppendedNanos: [NodeID: UInt64] = [:]
    public var followerSyncedNanos: [NodeID: UInt64] = [:]
    public var followerAppliedNanos: [NodeID: UInt64] = [:]
    public var committedNanos: UInt64?
    public var appliedNanos: UInt64?
    public var respondedNanos: UInt64?
    /// The error the client got, if any.
    public var error: String?

    public init(requestID: UInt64, member: NodeID, summary: String, receivedNanos: UInt64) {
        self.requestID = requestID
        self.member = member
        self.summary = summary
        self.receivedNanos = receivedNanos
    }

    init(_ trace: StageTrace) {
        self.init(requestID: trace.requestID, member: trace.member, summary: trace.summary, receivedNanos: trace.receivedNanos)
        index = trace.index
        term = trace.term
        authCheckedNanos = trace.authCheckedNanos
        username = trace.username
        proposedNanos = trace.proposedNanos
        leaderAppendedNanos = trace.leaderAppendedNanos
        leaderSyncedNanos = trace.leaderSyncedNanos
        followerAckNanos = trace.followerAckNanos
        followerAppendedNanos = trace.followerAppendedNanos
        followerSyncedNanos = trace.followerSyncedNanos
        followerAppliedNanos = trace.followerAppliedNanos
        committedNanos = trace.committedNanos
        appliedNanos = trace.appliedNanos
        respondedNanos = trace.respondedNanos
        error = trace.error
    }

    /// Every follower with at least one stage recorded, in id order.
    public var followers: [NodeID] {
        Set(followerAckNanos.keys).union(followerAppendedNanos.keys).union(followerSyncedNanos.keys)
            .union(followerAppliedNanos.keys).subtracting([member]).sorted()
    }

    /// From receipt to response, if it has been answered (a response stamped a hair before the
    /// receipt, on another thread, counts as no time).
    public var latencyNanos: UInt64? {
        respondedNanos.map { $0 > receivedNanos ? $0 - receivedNanos : 0 }
    }
}
