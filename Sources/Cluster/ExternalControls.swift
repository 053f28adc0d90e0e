import Raft

/// What rafttop can do to the members of an external cluster it launched itself (real etcd
/// processes behind its own peer proxies), so the UI's member and network controls act on them
/// as they act on the built-in cluster. A cluster rafttop only attached to has none.
public protocol ExternalControls: AnyObject, Sendable {
    /// The member the last status poll saw leading, if any.
    var leader: NodeID? { get }
    /// Whether the member's process is stopped with SIGSTOP.
    func isPaused(_ id: NodeID) -> Bool
    /// SIGKILL, as a crash would.
    func kill(_ id: NodeID) throws(AttachedRequestError)
    /// Starts a killed member again on its own data directory.
    func restart(_ id: NodeID) throws(AttachedRequestError)
    /// SIGSTOP.
    func pause(_ id: NodeID) throws(AttachedRequestError)
    /// SIGCONT.
    func resume(_ id: NodeID) throws(AttachedRequestError)
    /// Cuts every peer link to and from the member.
    func isolate(_ id: NodeID) throws(AttachedRequestError)
    /// Cuts every peer link between members of different groups; members named in no group form one more group.
    func partition(_ groups: [[NodeID]]) throws(AttachedRequestError)
    /// Lifts every cut.
    func heal()
    /// Delay every peer link adds to the bytes it relays, each way.
    func setLatency(millis: Double)
    /// Chance, per chunk relayed, that a peer link's connection is cut.
    func setLoss(percent: Double)
    /// etcd's MoveLeader, sent to the leader; completes with the new leader's member ID.
    func transferLeadership(to id: NodeID, completion: @escaping @Sendable (Result<NodeID, AttachedRequestError>) -> Void)
}

extension AttachedCluster {
    public var controls: (any ExternalControls)? { nil }
}
