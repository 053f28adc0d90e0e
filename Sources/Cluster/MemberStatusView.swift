import Raft
import Server

/// A member's identity in a view: raft's node id, under Cluster's own name so that a view reads
/// the cluster's snapshot without importing Raft.
public typealias NodeID = UInt64

/// The member id that stands for none (no vote cast, no leader known).
public let noMember: NodeID = 0

/// What a member is in its group, as raft's role says: the role column, the tour's stages and
/// the row colours read it.
public enum MemberRole: String, Sendable, Hashable, CustomStringConvertible {
    case follower
    case preCandidate
    case candidate
    case leader

    init(_ role: StateRole) {
        switch role {
        case .follower: self = .follower
        case .preCandidate: self = .preCandidate
        case .candidate: self = .candidate
        case .leader: self = .leader
        }
    }

    public var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// How the leader replicates to one follower (raft's probe / replicate / snapshot).
public enum ReplicationState: String, Sendable, Hashable, CustomStringConvertible {
    case probe
    case replicate
    case snapshot

    init(_ state: ProgressState) {
        switch state {
        case .probe: self = .probe
        case .replicate: self = .replicate
        case .snapshot: self = .snapshot
        }
    }

    public var description: String { rawValue }
}

/// What the leader knows of one follower's log, as the members table shows it.
public struct FollowerProgressView: Sendable, Hashable {
    public var match: UInt64
    public var next: UInt64
    public var state: ReplicationState
    /// The leader holds back MsgApps to it (its inflight window is full, or it is probed).
    public var paused: Bool

    public init(match: UInt64, next: UInt64, state: ReplicationState, paused: Bool) {
        self.match = match
        self.next = next
        self.state = state
        self.paused = paused
    }
}

/// A member's election and heartbeat timers, in ticks.
public struct ElectionTimerView: Sendable, Hashable {
    /// Ticks since the election timer was last reset.
    public var electionElapsed: Int
    /// This term's timeout: the member campaigns when `electionElapsed` reaches it.
    public var randomizedElectionTimeout: Int
    /// A leader's ticks since its last heartbeat, and how many it waits between them.
    public var heartbeatElapsed: Int
    public var heartbeatTimeout: Int

    public init(electionElapsed: Int = 0, randomizedElectionTimeout: Int = 0, heartbeatElapsed: Int = 0, heartbeatTimeout: Int = 0) {
        self.electionElapsed = electionElapsed
        self.randomizedElectionTimeout = randomizedElectionTimeout
        self.heartbeatElapsed = heartbeatElapsed
        self.heartbeatTimeout = heartbeatTimeout
    }
}

/// A member's raft state as the screen needs it: where its log stands, whom it follows or
/// leads, and (on a leader) every follower's progress.
public struct RaftStatusView: Sendable, Hashable {
    public var term: UInt64
    public var vote: NodeID
    public var commit: UInt64
    public var lead: NodeID
    public var role: MemberRole
    public var firstIndex: UInt64
    public var lastIndex: UInt64
    public var learners: [NodeID]
    /// On a leader, every member's progress (its own included); empty otherwise.
    public var progress: [NodeID: FollowerProgressView]
    public var timer: ElectionTimerView

    public init(term: UInt64, vote: NodeID, commit: UInt64, lead: NodeID, role: MemberRole, firstIndex: UInt64,
                lastIndex: UInt64, learners: [NodeID] = [], progress: [NodeID: FollowerProgressView] = [:],
                timer: ElectionTimerView = ElectionTimerView()) {
        self.term = term
        self.vote = vote
        self.commit = commit
        self.lead = lead
        self.role = role
        self.firstIndex = firstIndex
        self.lastIndex = lastIndex
        self.learners = learners
        self.progress = progress
        self.timer = timer
    }

    init(_ status: Status) {
        let t = status.basic.timer
        self.init(
            term: status.term, vote: status.vote, commit: status.commit, lead: status.lead, role: MemberRole(status.role),
            firstIndex: status.firstIndex, lastIndex: status.lastIndex, learners: status.learners,
            progress: status.progress.mapValues {
                FollowerProgressView(match: $0.match, next: $0.next, state: ReplicationState($0.state), paused: $0.paused)
            },
            timer: ElectionTimerView(electionElapsed: t.electionElapsed, randomizedElectionTimeout: t.randomizedElectionTimeout,
                                     heartbeatElapsed: t.heartbeatElapsed, heartbeatTimeout: t.heartbeatTimeout))
    }
}

/// An alarm a member raised, by etcd's alarm types.
public struct RaisedAlarm: Sendable, Hashable, Comparable {
    public enum Kind: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The store is past its space quota.
        case noSpace
        /// A member's store differs from the others'.
        case corrupt

        /// etcd's name for it, as `etcdctl alarm list` prints it.
        public var description: String {
            switch self {
            case .noSpace: "NOSPACE"
            case .corrupt: "CORRUPT"
            }
        }
    }

    public var memberID: NodeID
    public var alarm: Kind

    public init(memberID: NodeID, alarm: Kind) {
        self.memberID = memberID
        self.alarm = alarm
    }

    /// Nil for the "every type" value, which a member never raises.
    init?(_ alarm: AlarmMember) {
        switch alarm.alarm {
        case .noSpace: self.init(memberID: alarm.memberID, alarm: .noSpace)
        case .corrupt: self.init(memberID: alarm.memberID, alarm: .corrupt)
        case .none: return nil
        }
    }

    public static func < (lhs: RaisedAlarm, rhs: RaisedAlarm) -> Bool {
        (lhs.alarm, lhs.memberID) < (rhs.alarm, rhs.memberID)
    }
}

/// Everything the screen shows of a running member, taken from its status when the cluster's
/// snapshot is: raft's view, how far it applied, what waits on it, auth, alarms and leases.
public struct MemberStatusView: Sendable, Hashable {
    public var raft: RaftStatusView
    public var appliedIndex: UInt64
    /// Requests the member is waiting on (etcd_server_proposals_pending).
    public var proposalsPending: Int
    /// Whether auth is on, and the auth revision, as this member applied them.
    public var auth: AuthView
    /// The alarms this member has applied (every member's, as the log raised them).
    public var alarms: [RaisedAlarm]
    /// Leases this member has applied.
    public var leaseCount: Int
    /// On the leader, the lease that runs out next and when (on the member's clock).
    public var nextLeaseExpiry: LeaseExpiryView?

    public init(raft: RaftStatusView, appliedIndex: UInt64, proposalsPending: Int = 0,
                auth: AuthView = AuthView(enabled: false, revision: 1), alarms: [RaisedAlarm] = [], leaseCount: Int = 0,
                nextLeaseExpiry: LeaseExpiryView? = nil) {
        self.raft = raft
        self.appliedIndex = appliedIndex
        self.proposalsPending = proposalsPending
        self.auth = auth
        self.alarms = alarms
        self.leaseCount = leaseCount
        self.nextLeaseExpiry = nextLeaseExpiry
    }

    init(_ status: MemberStatus) {
        self.init(
            raft: RaftStatusView(status.raft), appliedIndex: status.appliedIndex, proposalsPending: status.proposalsPending,
            auth: AuthView(enabled: status.auth.enabled, revision: status.auth.revision),
            alarms: status.alarms.compactMap(RaisedAlarm.init), leaseCount: status.leaseCount,
            nextLeaseExpiry: status.nextLeaseExpiry.map { LeaseExpiryView(id: $0.id, atNanos: $0.atNanos) })
    }
}

/// Whether auth is on at a member, and the auth revision it applied.
public struct AuthView: Sendable, Hashable {
    public var enabled: Bool
    public var revision: UInt64

    public init(enabled: Bool, revision: UInt64) {
        self.enabled = enabled
        self.revision = revision
    }
}

/// A lease and when it runs out, on the member's clock.
public struct LeaseExpiryView: Sendable, Hashable {
    public var id: Int64
    public var atNanos: UInt64

    public init(id: Int64, atNanos: UInt64) {
        self.id = id
        self.atNanos = atNanos
    }

    /// The id as etcd and etcdctl print it: lowercase hexadecimal.
    public var idHex: String { String(UInt64(bitPattern: id), radix: 16) }
}
