/// Why a membership change was refused, in the words etcd 3.4's gRPC API answers with
/// (api/v3rpc/rpctypes/error.go, mapped from membership/errors.go and etcdserver/errors.go).
public enum MembershipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Adding an id that is a member already.
    case memberExists
    /// No member with the id, or one that was removed (etcd answers both the same).
    case memberNotFound
    /// Another member has one of the peer URLs.
    case peerURLExists
    /// etcd 3.4 allows one learner at a time.
    case tooManyLearners
    /// Promoting a member that is a voter already.
    case memberNotLearner
    /// Promoting a learner whose log is less than 90% of the leader's.
    case learnerNotReady
    /// The change would leave fewer started voters than a quorum (etcd's strict reconfig check).
    case notEnoughStartedMembers
    /// The URLs are missing, too many or too long.
    case badURLs(String)
    /// Only the leader knows whether a learner caught up.
    case notLeader
    /// A change proposed while another is not yet applied: Raft takes one at a time.
    case changeInProgress
    /// rafttop runs its members in one process, and at most this many of them.
    case tooManyMembers(Int)

    public var description: String {
        switch self {
        case .memberExists: "etcdserver: member ID already exist"
        case .memberNotFound: "etcdserver: member not found"
        case .peerURLExists: "etcdserver: Peer URLs already exists"
        case .tooManyLearners: "etcdserver: too many learner members in cluster"
        case .memberNotLearner: "etcdserver: can only promote a learner member"
        case .learnerNotReady: "etcdserver: can only promote a learner member which is in sync with leader"
        case .notEnoughStartedMembers: "etcdserver: re-configuration failed due to not enough started members"
        case .badURLs: "etcdserver: given member URLs are invalid"
        case .notLeader: "etcdserver: not leader"
        case .changeInProgress: "etcdserver: a membership change is already in progress"
        case .tooManyMembers(let limit): "rafttop: a cluster runs at most \(limit) members"
        }
    }
}
