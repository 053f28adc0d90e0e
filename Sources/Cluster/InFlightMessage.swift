import Raft

/// The kinds of message members send each other, named as raft names them (`MsgApp`, ...):
/// the messages pane and the tour read them without importing Raft.
public enum MessageKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case prop
    case app
    case appResp
    case vote
    case voteResp
    case snap
    case heartbeat
    case heartbeatResp
    case transferLeader
    case timeoutNow
    case readIndex
    case readIndexResp
    case preVote
    case preVoteResp
    /// A message a member only generates for itself (MsgHup, MsgBeat, ...); never on the wire.
    case local

    init(_ type: MessageType) {
        switch type {
        case .prop: self = .prop
        case .app: self = .app
        case .appResp: self = .appResp
        case .vote: self = .vote
        case .voteResp: self = .voteResp
        case .snap: self = .snap
        case .heartbeat: self = .heartbeat
        case .heartbeatResp: self = .heartbeatResp
        case .transferLeader: self = .transferLeader
        case .timeoutNow: self = .timeoutNow
        case .readIndex: self = .readIndex
        case .readIndexResp: self = .readIndexResp
        case .preVote: self = .preVote
        case .preVoteResp: self = .preVoteResp
        case .hup, .beat, .unreachable, .snapStatus, .checkQuorum: self = .local
        }
    }

    public var description: String {
        switch self {
        case .prop: "MsgProp"
        case .app: "MsgApp"
        case .appResp: "MsgAppResp"
        case .vote: "MsgVote"
        case .voteResp: "MsgVoteResp"
        case .snap: "MsgSnap"
        case .heartbeat: "MsgHeartbeat"
        case .heartbeatResp: "MsgHeartbeatResp"
        case .transferLeader: "MsgTransferLeader"
        case .timeoutNow: "MsgTimeoutNow"
        case .readIndex: "MsgReadIndex"
        case .readIndexResp: "MsgReadIndexResp"
        case .preVote: "MsgPreVote"
        case .preVoteResp: "MsgPreVoteResp"
        case .local: "MsgLocal"
        }
    }
}

/// A message on the simulated network, as a view shows it: who sent it to whom, what it says,
/// and when it was sent and is due.
public struct InFlightMessage: Sendable, Hashable {
    public var type: MessageKind
    public var from: NodeID
    public var to: NodeID
    public var term: UInt64
    /// The term and index of the entry before the ones carried (MsgApp), or of the sender's
    /// last entry (MsgVote, MsgPreVote); the index a MsgAppResp acknowledges.
    public var logTerm: UInt64
    public var index: UInt64
    public var commit: UInt64
    public var reject: Bool
    /// The indices of the entries it carries; nil when it carries none.
    public var entryIndices: ClosedRange<UInt64>?
    public var sentNanos: UInt64
    public var dueNanos: UInt64

    public init(type: MessageKind, from: NodeID, to: NodeID, term: UInt64, logTerm: UInt64 = 0, index: UInt64 = 0,
                commit: UInt64 = 0, reject: Bool = false, entryIndices: ClosedRange<UInt64>? = nil,
                sentNanos: UInt64 = 0, dueNanos: UInt64 = 0) {
        self.type = type
        self.from = from
        self.to = to
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.commit = commit
        self.reject = reject
        self.entryIndices = entryIndices
        self.sentNanos = sentNanos
        self.dueNanos = dueNanos
    }

    init(_ item: SimulatedNetwork.InFlight) {
        let m = item.message
        let indices = m.entries.first.flatMap { first in m.entries.last.map { first.index...$0.index } }
        self.init(type: MessageKind(m.type), from: m.from, to: m.to, term: m.term, logTerm: m.logTerm, index: m.index,
                  commit: m.commit, reject: m.reject, entryIndices: indices, sentNanos: item.sentNanos, dueNanos: item.dueNanos)
    }

    /// How many entries it carries.
    public var entryCount: Int { entryIndices.map { $0.count } ?? 0 }
}
