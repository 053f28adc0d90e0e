import MVCC
import Raft

/// What a client request can fail with, worded as etcd words it so a person who knows etcd
/// recognises each one.
public enum ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Committed entries are more than 5,000 ahead of applied ones: the member is overloaded.
    case tooManyRequests
    /// The encoded request is larger than `maxRequestBytes`.
    case requestTooLarge(bytes: Int, limitBytes: Int)
    /// No answer within the request timeout.
    case timeout
    /// The member is shutting down or stopped.
    case stopped
    /// No leader is known, so the proposal has nowhere to go.
    case noLeader
    /// Raft refused the proposal for another reason.
    case proposalDropped(ProposalDropReason)
    /// The store refused the request when it was applied.
    case store(MVCCError)
    /// The request does not decode (a corrupt entry or a malformed client request).
    case malformedRequest(String)
    /// Auth refused the request: no or a bad user or token, no permission, or an auth change
    /// that is not allowed.
    case auth(AuthError)
    /// A lease request failed, or a write named a lease that is not granted.
    case lease(LeaseError)
    /// The store is past its space quota (etcd's ErrNoSpace): a NOSPACE alarm is raised and
    /// writes that add data are refused until it is disarmed.
    case noSpace
    /// As many hashes or snapshots of the whole state as a member runs at once are running.
    case wholeStateReadsBusy(limit: Int)
    /// A membership change was refused.
    case membership(MembershipError)

    public var description: String {
        switch self {
        case .tooManyRequests: "etcdserver: too many requests"
        case .requestTooLarge: "etcdserver: request is too large"
        case .timeout: "etcdserver: request timed out"
        case .stopped: "etcdserver: server stopped"
        case .noLeader: "etcdserver: no leader"
        case .proposalDropped: "raft proposal dropped"
        case .store(let error): error.description
        case .malformedRequest(let why): "etcdserver: malformed request: \(why)"
        case .auth(let error): error.description
        case .lease(let error): error.description
        case .noSpace: "etcdserver: mvcc: database space exceeded"
        case .wholeStateReadsBusy(let limit):
            "etcdserver: too many requests: \(limit) hashes or snapshots of this member's store are running; try again when one ends"
        case .membership(let error): error.description
        }
    }

    init(_ error: RaftError) {
        switch error {
        case .proposalDropped(.noLeader): self = .noLeader
        case .proposalDropped(let reason): self = .proposalDropped(reason)
        default: self = .malformedRequest(error.description)
        }
    }
}
