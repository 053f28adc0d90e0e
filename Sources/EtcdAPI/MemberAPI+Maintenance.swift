import MVCC
import Raft
import Server

/// The etcd API version whose wire protocol rafttop serves, reported where etcd reports its own.
public let etcdAPIVersion = "3.4.45"

/// etcd's Maintenance service: Status, Alarm, MoveLeader, Hash, HashKV and Defragment (Snapshot
/// streams, so its service calls `snapshotBody` and writes the chunks itself).
extension MemberAPI {
    public func status() throws(EtcdAPIError) -> Etcdserverpb_StatusResponse {
        let member = try member()
        let status = member.status()
        var out = Etcdserverpb_StatusResponse()
        out.header = header(revision: status.storeRevision, raftTerm: status.raft.term)
        out.version = etcdAPIVersion
        let size = member.storeSize
        out.dbSize = Int64(size.allocatedBytes)
        out.dbSizeInUse = Int64(size.inUseBytes)
        out.leader = status.raft.lead
        out.raftIndex = status.raft.commit
        out.raftTerm = status.raft.term
        out.raftAppliedIndex = status.appliedIndex
        if status.raft.lead == noNode {
            out.errors.append(EtcdAPIError.noLeader.description)
        }
        // As etcd: each active alarm in its protobuf text form.
        out.errors.append(contentsOf: member.alarms.map(\.description))
        return out
    }

    /// Lists, raises or disarms an alarm, through Raft as etcd does (a list too, so it is
    /// linearizable).
    public func alarm(_ request: Etcdserverpb_AlarmRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> Etcdserverpb_AlarmResponse {
        let member = try member()
        let operation = try request.checked()
        let result = await withCheckedContinuation { continuation in
            member.proposeAlarm(operation, credentials: credentials) { continuation.resume(returning: $0) }
        }
        let response = try result.get(orThrow: EtcdAPIError.init)
        guard case .alarm(let alarms) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_AlarmResponse()
        out.header = header(response.header)
        out.alarms = alarms.map { alarm in
            var member = Etcdserverpb_AlarmMember()
            member.memberID = alarm.memberID
            member.alarm = Etcdserverpb_AlarmType(rawValue: Int(alarm.alarm.rawValue)) ?? .none
            return member
        }
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

    /// The hash of this member's whole applied state (etcd's Hash), with the revision it is at.
    public func hash(credentials: Credentials = .none) throws(EtcdAPIError) -> Etcdserverpb_HashResponse {
        let member = try adminMember(credentials)
        let (hash, revision) = try served { () throws(ServerError) in try member.hash() }
        var out = Etcdserverpb_HashResponse()
        out.header = currentHeader(member, revision: revision)
        out.hash = hash
        return out
    }

    /// The hash of the keys' versions up to a revision (etcd's HashKV): equal on every member
    /// at the same revision.
    public func hashKV(_ request: Etcdserverpb_HashKVRequest, credentials: Credentials = .none) throws(EtcdAPIError)
        -> Etcdserverpb_HashKVResponse {
        let member = try adminMember(credentials)
        let hashed = try served { () throws(ServerError) in try member.hashKV(revision: request.revision) }
        var out = Etcdserverpb_HashKVResponse()
        out.header = currentHeader(member, revision: hashed.currentRevision)
        out.hash = hashed.hash
        // etcd's compact revision is -1 until the first compaction.
        out.compactRevision = hashed.compactRevision > 0 ? hashed.compactRevision : -1
        return out
    }

    /// Defragments this member's store; etcd answers with an empty response.
    public func defragment(credentials: Credentials = .none) throws(EtcdAPIError) -> Etcdserverpb_DefragmentResponse {
        let member = try adminMember(credentials)
        member.defragment()
        return Etcdserverpb_DefragmentResponse()
    }

    /// The body of a snapshot file of this member's applied state (see `SnapshotFile`), taken at
    /// one point of its log, and the hold on one of the member's whole-state reads that the
    /// caller keeps until it has sent the body.
    public func snapshotBody(credentials: Credentials = .none) throws(EtcdAPIError) -> (body: SnapshotBodyStream, hold: WholeStateHold) {
        let member = try adminMember(credentials)
        let hold = try served { () throws(ServerError) in try member.holdWholeStateRead() }
        return (member.snapshotBodyStream(holding: hold), hold)
    }

    /// What a member call returned, its error as the API's.
    private func served<T>(_ call: () throws(ServerError) -> T) throws(EtcdAPIError) -> T {
        do {
            return try call()
        } catch {
            throw EtcdAPIError(error)
        }
    }

    /// The member, once the caller is allowed what etcd allows only an admin when auth is on.
    private func adminMember(_ credentials: Credentials) throws(EtcdAPIError) -> Member {
        let member = try member()
        do throws(AuthError) {
            try member.checkAdmin(credentials)
        } catch {
            throw .auth(error)
        }
        return member
    }
}

extension Etcdserverpb_AlarmRequest {
    /// The request as a member proposes it, refusing an action or alarm type etcd does not know.
    func checked() throws(EtcdAPIError) -> AlarmOperation {
        let action: AlarmOperation.Action
        switch self.action {
        case .get: action = .get
        case .activate: action = .activate
        case .deactivate: action = .deactivate
        case .UNRECOGNIZED(let raw): throw .invalidArgument("etcdserver: unknown alarm action \(raw)")
        }
        let raw = alarm.rawValue
        guard (0...Int(UInt8.max)).contains(raw), let type = AlarmType(rawValue: UInt8(raw)) else {
            throw .invalidArgument("etcdserver: unknown alarm type \(raw)")
        }
        return AlarmOperation(action: action, memberID: memberID, alarm: type)
    }
}
