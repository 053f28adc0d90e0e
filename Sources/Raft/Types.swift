/// A member of a Raft group is named by a non-zero 64-bit id; zero means "nobody".
public typealias NodeID = UInt64

/// The id that stands for no node: no leader known, no vote cast.
public let noNode: NodeID = 0

/// What an entry of the log carries.
public enum EntryType: UInt8, Sendable, Hashable {
    /// Application data (for etcd, an encoded request), or empty for a new leader's first entry.
    case normal = 0
    /// An encoded `ConfChange`, which takes effect when the application applies it.
    case confChange = 1
}

/// One record of the replicated log.
public struct Entry: Sendable, Hashable {
    public var term: UInt64
    public var index: UInt64
    public var type: EntryType
    public var data: [UInt8]

    public init(term: UInt64 = 0, index: UInt64 = 0, type: EntryType = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.type = type
        self.data = data
    }

    /// Bytes the entry takes on the wire and in a batch: the payload plus a fixed header.
    public var sizeBytes: Int { data.count + 17 }
}

/// The state a member must persist before it sends any message that depends on it.
public struct HardState: Sendable, Hashable {
    public var term: UInt64
    public var vote: NodeID
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: NodeID = noNode, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public var isEmpty: Bool { term == 0 && vote == noNode && commit == 0 }
}

/// The role a member plays in its current term.
public enum StateRole: String, Sendable, Hashable, CustomStringConvertible {
    case follower
    case preCandidate
    case candidate
    case leader

    public var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// Volatile state that need not be persisted: who leads, and what this member is.
public struct SoftState: Sendable, Hashable {
    public var lead: NodeID
    public var role: StateRole

    public init(lead: NodeID, role: StateRole) {
        self.lead = lead
        self.role = role
    }
}

/// The members of the group: voters, and learners that receive the log but never vote.
public struct ConfState: Sendable, Hashable {
    /// Sorted, without duplicates.
    public var voters: [NodeID]
    /// Sorted, without duplicates, none of them a voter.
    public var learners: [NodeID]

    public init(voters: [NodeID] = [], learners: [NodeID] = []) {
        let voterSet = Set(voters)
        self.voters = voterSet.sorted()
        self.learners = Set(learners).subtracting(voterSet).sorted()
    }

    /// Whether `id` is a voter or a learner.
    public func contains(_ id: NodeID) -> Bool {
        voters.contains(id) || learners.contains(id)
    }
}

/// A single-member change to the configuration, with etcd's kinds and numbering: add a voter (or
/// promote a learner), remove a voter or learner, update a member's attributes, add a learner.
public struct ConfChange: Sendable, Hashable {
    public enum Kind: UInt8, Sendable, Hashable {
        /// Adds a voter; for a member that is a learner, promotes it.
        case addNode = 0
        case removeNode = 1
        /// Changes nothing in Raft: the application updates the member's attributes.
        case updateNode = 2
        /// Adds a learner; for a member that is a voter, demotes it.
        case addLearnerNode = 3
    }

    public var kind: Kind
    public var nodeID: NodeID
    /// Opaque bytes for the application (etcd puts the member's URLs here).
    public var context: [UInt8]

    public init(kind: Kind, nodeID: NodeID, context: [UInt8] = []) {
        self.kind = kind
        self.nodeID = nodeID
        self.context = context
    }
}

public struct SnapshotMetadata: Sendable, Hashable {
    public var index: UInt64
    public var term: UInt64
    public var confState: ConfState

    public init(index: UInt64 = 0, term: UInt64 = 0, confState: ConfState = ConfState()) {
        self.index = index
        self.term = term
        self.confState = confState
    }
}

/// The application state up to and including `metadata.index`, standing in for the log before it.
public struct Snapshot: Sendable, Hashable {
    public var metadata: SnapshotMetadata
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata = SnapshotMetadata(), data: [UInt8] = []) {
        self.metadata = metadata
        self.data = data
    }

    public var isEmpty: Bool { metadata.index == 0 }
}

/// The kinds of message members exchange, plus the local ones a member steps into itself.
public enum MessageType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case hup = 0
    case beat
    case prop
    case app
    case appResp
    case vote
    case voteResp
    case snap
    case heartbeat
    case heartbeatResp
    case unreachable
    case snapStatus
    case checkQuorum
    case transferLeader
    case timeoutNow
    case readIndex
    case readIndexResp
    case preVote
    case preVoteResp

    public var description: String {
        switch self {
        case .hup: "MsgHup"
        case .beat: "MsgBeat"
        case .prop: "MsgProp"
        case .app: "MsgApp"
        case .appResp: "MsgAppResp"
        case .vote: "MsgVote"
        case .voteResp: "MsgVoteResp"
        case .snap: "MsgSnap"
        case .heartbeat: "MsgHeartbeat"
        case .heartbeatResp: "MsgHeartbeatResp"
        case .unreachable: "MsgUnreachable"
        case .snapStatus: "MsgSnapStatus"
        case .checkQuorum: "MsgCheckQuorum"
        case .transferLeader: "MsgTransferLeader"
        case .timeoutNow: "MsgTimeoutNow"
        case .readIndex: "MsgReadIndex"
        case .readIndexResp: "MsgReadIndexResp"
        case .preVote: "MsgPreVote"
        case .preVoteResp: "MsgPreVoteResp"
        }
    }

    /// Messages a member generates for itself and never sends to a peer.
    public var isLocal: Bool {
        switch self {
        case .hup, .beat, .unreachable, .snapStatus, .checkQuorum: true
        default: false
        }
    }

    /// Answers to a request from a peer.
    public var isResponse: Bool {
        switch self {
        case .appResp, .voteResp, .heartbeatResp, .unreachable, .preVoteResp: true
        default: false
        }
    }

    /// The answer type for a vote request.
    var voteResponse: MessageType {
        switch self {
        case .vote: .voteResp
        case .preVote: .preVoteResp
        default: preconditionFailure("\(self) is not a vote request")
        }
    }
}

/// A Raft message. Fields a type does not use stay zero or empty.
public struct Message: Sendable, Hashable {
    public var type: MessageType
    public var to: NodeID
    public var from: NodeID
    public var term: UInt64
    /// For MsgApp, the term of the entry at `index`; for votes, the candidate's last term;
    /// for a rejected MsgAppResp, the term of the follower's entry at `rejectHint`.
    public var logTerm: UInt64
    /// For MsgApp, the index just before `entries`; for MsgAppResp, the follower's last matching index.
    public var index: UInt64
    public var entries: [Entry]
    public var commit: UInt64
    public var snapshot: Snapshot?
    public var reject: Bool
    public var rejectHint: UInt64
    /// For heartbeats and ReadIndex, the read request's context; for a transfer vote, a marker.
    public var context: [UInt8]

    public init(
        type: MessageType, to: NodeID = noNode, from: NodeID = noNode, term: UInt64 = 0,
        logTerm: UInt64 = 0, index: UInt64 = 0, entries: [Entry] = [], commit: UInt64 = 0,
        snapshot: Snapshot? = nil, reject: Bool = false, rejectHint: UInt64 = 0, context: [UInt8] = []
    ) {
        self.type = type
        self.to = to
        self.from = from
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.entries = entries
        self.commit = commit
        self.snapshot = snapshot
        self.reject = reject
        self.rejectHint = rejectHint
        self.context = context
    }
}

/// The answer to a ReadIndex request: once `index` is applied, a read sees every write acknowledged
/// before the request was made.
public struct ReadState: Sendable, Hashable {
    public var index: UInt64
    public var requestContext: [UInt8]

    public init(index: UInt64, requestContext: [UInt8]) {
        self.index = index
        self.requestContext = requestContext
    }
}

/// How a snapshot sent to a follower ended, as the transport reports it.
public enum SnapshotStatus: Sendable, Hashable {
    case finished
    case failure
}
