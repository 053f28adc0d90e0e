import GRPCCore
import MVCC
import Server

/// The errors etcd's v3 API returns, each with the gRPC status code and the message etcd sends
/// (etcd's api/v3rpc/rpctypes), so a client such as etcdctl prints what it prints for etcd.
public enum EtcdAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    case emptyKey
    case keyNotFound
    case valueProvided
    case leaseProvided
    case tooManyOps
    case duplicateKey
    case compacted
    case futureRevision
    case leaseNotFound
    case leaseExist
    case leaseTTLTooLarge
    case requestTooLarge
    case tooManyRequests
    case noLeader
    case notLeader
    case badLeaderTransferee
    case stopped
    case timeout
    case timeoutDueToLeaderFail
    case leaderTransferTimeout
    case corrupt(String)
    /// The store is past its space quota and the NOSPACE alarm is up.
    case noSpace
    /// Too many calls that read the whole store (Hash, HashKV, Snapshot) at once, with why.
    case busy(String)
    /// etcd's concurrency.ErrElectionNotLeader: the leader key named is no longer the leader's.
    case electionNotLeader
    /// etcd's concurrency.ErrElectionNoLeader: no key under the election's prefix.
    case electionNoLeader
    /// etcd's v3election.ErrMissingLeaderKey: a Proclaim or Resign without its `leader`.
    case leaderKeyMissing
    /// The caller went away while its call waited (Go's context.Canceled).
    case cancelled
    /// A request that does not make sense (a malformed field), with why.
    case invalidArgument(String)
    /// Something etcd errs on without a dedicated status: sent as Unknown with its own text.
    case other(String)
    /// A method of etcd's API that rafttop does not serve.
    case unimplemented(String)
    /// Auth refused the request (see `AuthError` for etcd's wording).
    case auth(AuthError)
    /// A membership change was refused (see `MembershipError` for etcd's wording).
    case membership(MembershipError)

    public var code: RPCError.Code {
        switch self {
        case .emptyKey, .keyNotFound, .valueProvided, .leaseProvided, .tooManyOps, .duplicateKey,
             .requestTooLarge, .invalidArgument:
            .invalidArgument
        case .compacted, .futureRevision, .leaseTTLTooLarge: .outOfRange
        case .leaseNotFound: .notFound
        case .leaseExist: .failedPrecondition
        case .tooManyRequests, .noSpace, .busy: .resourceExhausted
        case .noLeader, .stopped, .timeout, .timeoutDueToLeaderFail: .unavailable
        case .notLeader, .badLeaderTransferee: .failedPrecondition
        case .corrupt: .dataLoss
        case .other, .leaderTransferTimeout, .electionNotLeader, .electionNoLeader, .leaderKeyMissing: .unknown
        case .cancelled: .cancelled
        case .unimplemented: .unimplemented
        case .auth(let error): Self.code(of: error)
        case .membership(let error): Self.code(of: error)
        }
    }

    public var description: String {
        switch self {
        case .emptyKey: "etcdserver: key is not provided"
        case .keyNotFound: "etcdserver: key not found"
        case .valueProvided: "etcdserver: value is provided"
        case .leaseProvided: "etcdserver: lease is provided"
        case .tooManyOps: "etcdserver: too many operations in txn request"
        case .duplicateKey: "etcdserver: duplicate key given in txn request"
        case .compacted: "etcdserver: mvcc: required revision has been compacted"
        case .futureRevision: "etcdserver: mvcc: required revision is a future revision"
        case .leaseNotFound: "etcdserver: requested lease not found"
        case .leaseExist: "etcdserver: lease already exists"
        case .leaseTTLTooLarge: "etcdserver: too large lease TTL"
        case .requestTooLarge: "etcdserver: request is too large"
        case .tooManyRequests: "etcdserver: too many requests"
        case .noLeader: "etcdserver: no leader"
        case .notLeader: "etcdserver: not leader"
        case .badLeaderTransferee: "etcdserver: bad leader transferee"
        case .stopped: "etcdserver: server stopped"
        case .timeout: "etcdserver: request timed out"
        case .timeoutDueToLeaderFail: "etcdserver: request timed out, possibly due to previous leader failure"
        case .leaderTransferTimeout: "etcdserver: request timed out, leader transfer took too long"
        case .corrupt(let why): "etcdserver: corrupt cluster: \(why)"
        case .noSpace: "etcdserver: mvcc: database space exceeded"
        case .busy(let why): why
        case .electionNotLeader: "election: not leader"
        case .electionNoLeader: "election: no leader"
        case .leaderKeyMissing: #""leader" field must be provided"#
        case .cancelled: "context canceled"
        case .invalidArgument(let why): why
        case .other(let text): text
        case .unimplemented(let method): "rafttop does not serve \(method)"
        case .auth(let error): error.description
        case .membership(let error): error.description
        }
    }

    /// etcd's status code for each auth error.
    static func code(of error: AuthError) -> RPCError.Code {
        switch error {
        case .userEmpty, .roleEmpty, .authFailed, .permissionNotGiven, .invalidAuthMgmt, .authOldRevision: .invalidArgument
        case .rootUserNotExist, .rootRoleNotExist, .userAlreadyExist, .userNotFound, .roleAlreadyExist, .roleNotFound,
             .roleNotGranted, .permissionNotGranted, .authNotEnabled:
            .failedPrecondition
        case .permissionDenied: .permissionDenied
        case .invalidAuthToken: .unauthenticated
        case .tooManyFailedAttempts: .resourceExhausted
        }
    }

    /// etcd's status codes for membership errors (rpctypes/error.go).
    static func code(of error: MembershipError) -> RPCError.Code {
        switch error {
        case .memberNotFound: .notFound
        case .tooManyMembers: .resourceExhausted
        case .badURLs: .invalidArgument
        case .memberExists, .peerURLExists, .tooManyLearners, .memberNotLearner, .learnerNotReady,
             .notEnoughStartedMembers, .notLeader, .changeInProgress:
            .failedPrecondition
        }
    }

    /// The API's error for what a member answered.
    public init(_ error: ServerError) {
        switch error {
        case .tooManyRequests: self = .tooManyRequests
        case .requestTooLarge: self = .requestTooLarge
        case .timeout: self = .timeout
        case .stopped: self = .stopped
        case .noLeader: self = .noLeader
        case .proposalDropped: self = .other("raft proposal dropped")
        case .store(let storeError): self = EtcdAPIError(storeError)
        case .malformedRequest: self = .invalidArgument(error.description)
        case .auth(let authError): self = .auth(authError)
        case .lease(.notFound): self = .leaseNotFound
        case .lease(.exists): self = .leaseExist
        case .lease(.ttlTooLarge): self = .leaseTTLTooLarge
        case .lease(.notPrimary): self = .notLeader
        case .noSpace: self = .noSpace
        case .wholeStateReadsBusy: self = .busy(error.description)
        case .membership(let membershipError): self = .membership(membershipError)
        }
    }

    public init(_ error: MVCCError) {
        switch error {
        case .compacted: self = .compacted
        case .futureRevision: self = .futureRevision
        case .emptyKey: self = .emptyKey
        case .keyNotFound: self = .keyNotFound
        case .duplicateKey: self = .duplicateKey
        case .corruptSnapshot(let why): self = .corrupt(why)
        }
    }
}

extension EtcdAPIError: RPCErrorConvertible {
    public var rpcErrorCode: RPCError.Code { code }
    public var rpcErrorMessage: String { description }
}
