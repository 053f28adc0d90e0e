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

    /// From receipt to response, if it has been answered.
    public var latencyNanos: UInt64? {
        respondedNanos.map { $0 - receivedNanos }
    }
}
