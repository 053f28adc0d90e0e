import Raft
import Server

/// The etcd API version whose wire protocol rafttop serves, reported where etcd reports its own.
public let etcdAPIVersion = "3.4.45"

/// etcd's Maintenance service: Status, Alarm (none are ever raised), MoveLeader.
extension MemberAPI {
    public func status() throws(EtcdAPIError) -> Etcdserverpb_StatusResponse {
        let member = try member()
        let status = member.status()
        var out = Etcdserverpb_StatusResponse()
        out.header = header(revision: status.storeRevision, raftTerm: status.raft.term)
        out.version = etcdAPIVersion
        let bytes = Int64(member.storeBytes)
        out.dbSize = bytes
        out.dbSizeInUse = bytes
        out.leader = status.raft.lead
        out.raftIndex = status.raft.commit
        out.raftTerm = status.raft.term
        out.raftAppliedIndex = status.appliedIndex
        if status.raft.lead == noNode {
            out.errors.append(EtcdAPIError.noLeader.description)
        }
        return out
    }

    /// Lists alarms: this store never raises one (it has no space quota and checks no corruption).
    public func alarm(_ request: Etcdserverpb_AlarmRequest) throws(EtcdAPIError) -> Etcdserverpb_AlarmResponse {
        let member = try member()
        if request.action != .get {
            throw .unimplemented("Maintenance.Alarm with action \(request.action)")
        }
        var out = Etcdserverpb_AlarmResponse()
        out.header = currentHeader(member)
        return out
    }

    /// Hands leadership to `targetID`; only the leader may be asked, as in etcd.
    public func moveLeader(_ request: Etcdserverpb_MoveLeaderRequest) async throws(EtcdAPIError) -> Etcdserverpb_MoveLeaderResponse {
        let member = try member()
        guard member.basicStatus.role == .leader else { throw .notLeader }
        let target = request.targetID
        guard cluster.ids.contains(target), cluster.member(target) != nil else { throw .badLeaderTransferee }
        if target != memberID {
            member.transferLeadership(to: target)
            let deadline = ContinuousClock.now + .nanoseconds(Int64(member.config.requestTimeoutNanos))
            while member.basicStatus.lead != target {
                guard ContinuousClock.now < deadline, !member.isStopped else { throw .leaderTransferTimeout }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        var out = Etcdserverpb_MoveLeaderResponse()
        out.header = currentHeader(member)
        return out
    }
}
