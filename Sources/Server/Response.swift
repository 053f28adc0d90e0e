import MVCC
import Raft

/// What etcd puts in every response header.
public struct ResponseHeader: Sendable, Hashable {
    public var memberID: NodeID
    /// The store revision after the request.
    public var revision: Int64
    public var raftTerm: UInt64
}

/// The answer to a request, once applied (or, for a read, once served).
public struct Response: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case put(PutResult)
        case deleteRange(DeleteRangeResult)
        case txn(TxnResult)
        case compact
        case range(RangeResult)
        case auth(AuthResult)
        case leaseGrant(id: Int64, ttlSeconds: Int64)
        case leaseRevoke(id: Int64)
        /// The alarms an alarm request lists, raised or disarmed.
        case alarm([AlarmMember])
        /// A membership change was applied: the members after it.
        case members([MemberInfo])
    }

    public var header: ResponseHeader
    public var outcome: Outcome
}

public typealias Completion = @Sendable (Result<Response, ServerError>) -> Void
