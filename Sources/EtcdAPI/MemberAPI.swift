import Locking
import Cluster
import MVCC
import Raft
import Server

/// etcd's v3 API as one member of the cluster serves it: what the gRPC services and the JSON
/// gateway both call. Every call finds the member anew, so a restarted member serves again.
public struct MemberAPI: Sendable {
    public let cluster: Cluster
    public let memberID: NodeID
    let directory: EndpointDirectory

    init(cluster: Cluster, memberID: NodeID, directory: EndpointDirectory) {
        self.cluster = cluster
        self.memberID = memberID
        self.directory = directory
    }

    /// The running member, or `stopped` while it is down.
    func member() throws(EtcdAPIError) -> Member {
        guard let member = cluster.member(memberID), !member.isStopped else { throw .stopped }
        return member
    }

    /// A header for what a member answered, filled as etcd's API fills it.
    func header(_ header: ResponseHeader) -> Etcdserverpb_ResponseHeader {
        self.header(revision: header.revision, raftTerm: header.raftTerm)
    }

    func header(revision: Int64, raftTerm: UInt64) -> Etcdserverpb_ResponseHeader {
        var out = Etcdserverpb_ResponseHeader()
        out.clusterID = cluster.clusterID
        out.memberID = memberID
        out.revision = revision
        out.raftTerm = raftTerm
        return out
    }

    /// A header for an answer that is not a store operation: the store's revision now.
    func currentHeader(_ member: Member, revision: Int64? = nil) -> Etcdserverpb_ResponseHeader {
        header(revision: revision ?? member.storeRevision, raftTerm: member.basicStatus.term)
    }
}

/// Where each member's client API listens, as `MemberList` reports it; filled in once the
/// listeners are bound (their ports may be chosen by the system).
final class EndpointDirectory: Sendable {
    private let urls = Locked<[NodeID: String]>([:])

    func set(_ url: String, for id: NodeID) {
        urls.withLock { $0[id] = url }
    }

    func url(of id: NodeID) -> String? {
        urls.withLock { $0[id] }
    }
}

extension Member {
    /// Proposes `operation` as the user `credentials` name and waits until it is applied.
    func proposed(_ operation: InternalRequest.Operation, credentials: Credentials) async throws(EtcdAPIError) -> Response {
        let result = await withCheckedContinuation { continuation in
            propose(operation, credentials: credentials) { continuation.resume(returning: $0) }
        }
        return try result.get(orThrow: EtcdAPIError.init)
    }

    /// Reads a range, linearizable unless `serializable`.
    func read(_ request: RangeRequest, serializable: Bool, credentials: Credentials) async throws(EtcdAPIError) -> Response {
        let result = await withCheckedContinuation { continuation in
            range(request, serializable: serializable, credentials: credentials) { continuation.resume(returning: $0) }
        }
        return try result.get(orThrow: EtcdAPIError.init)
    }
}

extension Result where Failure == ServerError {
    func get(orThrow convert: (ServerError) -> EtcdAPIError) throws(EtcdAPIError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let error): throw convert(error)
        }
    }
}

/// The answer a member gave is not the kind the request asks for: a bug, reported to the client
/// rather than crashing the member.
func unexpected(_ outcome: Response.Outcome) -> EtcdAPIError {
    .other("etcdserver: unexpected response \(outcome)")
}
