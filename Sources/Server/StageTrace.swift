import Raft

/// Where one request spent its time, stage by stage, in monotonic nanoseconds: the put path of
/// etcd made visible. Stages a request never reached stay nil.
public struct StageTrace: Sendable, Hashable {
    public enum Stage: String, Sendable, CaseIterable {
        case received, authChecked, proposed, leaderAppended, leaderSynced, committed, applied, responded
    }

    public var requestID: UInt64
    public var member: NodeID
    public var summary: String
    /// The Raft index of the entry, once the leader appended it.
    public var index: UInt64 = 0
    /// The term of that entry: with `index`, it names the entry on every member's log.
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
    /// When each follower appended the entry to its log (took the Ready that carried it), as
    /// that follower recorded it: filled by joining its recent entry times by index and term.
    public var followerAppendedNanos: [NodeID: UInt64] = [:]
    /// When each follower's write of the entry was durable (its fsync returned).
    public var followerSyncedNanos: [NodeID: UInt64] = [:]
    /// When each follower applied the entry to its store.
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

    public func time(of stage: Stage) -> UInt64? {
        switch stage {
        case .received: receivedNanos
        case .authChecked: authCheckedNanos
        case .proposed: proposedNanos
        case .leaderAppended: leaderAppendedNanos
        case .leaderSynced: leaderSyncedNanos
        case .committed: committedNanos
        case .applied: appliedNanos
        case .responded: respondedNanos
        }
    }

    /// Every follower with at least one stage recorded, in id order.
    public var followers: [NodeID] {
        Set(followerAckNanos.keys).union(followerAppendedNanos.keys).union(followerSyncedNanos.keys)
            .union(followerAppliedNanos.keys).subtracting([member]).sorted()
    }

    /// Fills a follower's append, fsync and apply times from the times it recorded for the entry.
    public mutating func join(follower: NodeID, _ times: EntryStageTimes) {
        if let t = times.appendedNanos { followerAppendedNanos[follower] = t }
        if let t = times.syncedNanos { followerSyncedNanos[follower] = t }
        if let t = times.appliedNanos { followerAppliedNanos[follower] = t }
    }

    /// From receipt to response, if it has been answered. The two are read on different
    /// threads, so a response stamped a hair before the receipt counts as no time, not a trap.
    public var latencyNanos: UInt64? {
        respondedNanos.map { $0 > receivedNanos ? $0 - receivedNanos : 0 }
    }
}
