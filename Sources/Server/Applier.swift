import MVCC
import Raft

/// The applied side of a member: the store, the auth state, and where in the log it stands.
/// Guarded by the member's apply lock; only the apply loop writes it.
struct Applier {
    let store = MVCCStore()
    private(set) var auth = AuthState()
    private(set) var leases = LeaseTable()
    /// The alarms raised through the log; while a NOSPACE one is up, writes that add data are
    /// refused, as etcd's applierV3Capped refuses them.
    private(set) var alarms = AlarmSet()
    /// The space quota this member checks writes against as it applies them (etcd's
    /// quotaApplierV3).
    var quota = SpaceQuota()
    /// Told when an applied auth change ends tokens (a user deleted, a password changed, auth off).
    let sessions: AuthSessions
    private(set) var appliedIndex: UInt64 = 0
    private(set) var confState = ConfState()
    /// The members, as applied from configuration changes.
    private(set) var membership = Membership()
    /// The index of the last snapshot taken or installed.
    var snapshotIndex: UInt64 = 0
    /// A member was added while the log before the last snapshot is gone: take a snapshot that
    /// names it, since a snapshot that does not is one it refuses.
    var snapshotForNewMember = false

    /// Loads a snapshot: the store's state and the configuration at its index. Its data's
    /// buffer becomes the store's bytes while they are decoded when the caller gives it up.
    mutating func install(_ snapshot: consuming Snapshot) throws(ServerError) {
        let metadata = snapshot.metadata
        var data: [UInt8] = []
        swap(&data, &snapshot.data)
        let parts = try AppliedSnapshot(decoding: consume data)
        do {
            try store.restore(fromSnapshot: parts.store)
        } catch {
            throw .store(error)
        }
        auth = parts.auth
        leases = parts.leases
        alarms = parts.alarms
        appliedIndex = metadata.index
        confState = metadata.confState
        snapshotIndex = metadata.index
        membership = parts.membership
        if membership.members.isEmpty {
            // A snapshot from before membership changes: its configuration names the members.
            for id in confState.voters { membership.apply(ConfChange(kind: .addNode, nodeID: id), context: nil) }
            for id in confState.learners { membership.apply(ConfChange(kind: .addLearnerNode, nodeID: id), context: nil) }
        }
    }

    mutating func setConfState(_ state: ConfState) {
        confState = state
    }

    /// Checks a committed membership change against the members and applies it, as etcd's
    /// applyConfChange does; a refused change leaves Raft's configuration alone too.
    mutating func applyMembership(_ change: ConfChange, context: ConfChangeContext?) throws(MembershipError) {
        try membership.validate(change, context: context)
        membership.apply(change, context: context)
    }

    /// Applies one committed normal entry. Returns the request id and what to answer, or nil for
    /// an entry with nothing to answer (a leader's empty entry, or one applied before a restart).
    mutating func apply(_ entry: Entry, term: UInt64, member: NodeID) -> (UInt64, Result<Response, ServerError>)? {
        precondition(entry.index <= appliedIndex + 1, "applying entry \(entry.index) after \(appliedIndex): a gap in the log")
        guard entry.index > store.consistentIndex else { return nil }
        defer {
            appliedIndex = entry.index
            store.setConsistentIndex(entry.index)
        }
        guard entry.type == .normal, !entry.data.isEmpty else { return nil }
        let request: InternalRequest
        do {
            request = try InternalRequest(decoding: entry.data)
        } catch {
            // Every member skips the same undecodable entry, so they stay in agreement.
            return InternalRequest.peekID(entry.data).map { ($0, .failure(.malformedRequest(error.description))) }
        }
        do throws(AuthError) {
            try checkPermission(request)
        } catch {
            return (request.id, .failure(.auth(error)))
        }
        return (request.id, execute(request.operation, term: term, member: member))
    }

    /// The apply-time check of etcd's authApplierV3: auth operations need the root role; writes
    /// and reads inside a transaction need permission at the auth revision they were proposed at.
    private func checkPermission(_ request: InternalRequest) throws(AuthError) {
        guard auth.enabled else { return }
        switch request.operation {
        // Only a member proposes it, having just checked the user's password (no client request
        // becomes one), and it changes nothing a permission reads.
        case .auth(.userUpgradePassword): return
        case .auth: try auth.checkAdmin(username: request.username)
        case .compact, .leaseGrant, .alarm: return
        case .leaseRevoke(let id):
            // Revoking deletes the lease's keys: the user must be allowed to write each one.
            for key in store.keys(attachedTo: id) { try check(request, .write, KeyRange(key: key)) }
        case .put(let put): try check(request, put)
        case .deleteRange(let delete): try check(request, delete)
        case .txn(let txn): try check(request, txn)
        }
    }

    /// A put writes its key, and reads it too when it asks for the previous value.
    private func check(_ request: InternalRequest, _ put: PutRequest) throws(AuthError) {
        try check(request, .write, KeyRange(key: put.key))
        if put.prevKV { try check(request, .read, KeyRange(key: put.key)) }
    }

    private func check(_ request: InternalRequest, _ delete: DeleteRangeRequest) throws(AuthError) {
        try check(request, .write, delete.range)
        if delete.prevKV { try check(request, .read, delete.range) }
    }

    private func check(_ request: InternalRequest, _ txn: TxnRequest) throws(AuthError) {
        for compare in txn.compare { try check(request, .read, compare.range) }
        for op in txn.success + txn.failure {
            switch op {
            case .range(let range): try check(request, .read, range.range)
            case .put(let put): try check(request, put)
            case .deleteRange(let delete): try check(request, delete)
            case .txn(let nested): try check(request, nested)
            }
        }
    }

    private func check(_ request: InternalRequest, _ access: Permission.Access, _ range: KeyRange) throws(AuthError) {
        try auth.check(username: request.username, authRevision: request.authRevision, access: access, range: range)
    }

    /// Marks a configuration entry applied.
    mutating func skip(_ entry: Entry) {
        guard entry.index > store.consistentIndex else { return }
        appliedIndex = entry.index
        store.setConsistentIndex(entry.index)
    }

    private mutating func execute(_ operation: InternalRequest.Operation, term: UInt64, member: NodeID) -> Result<Response, ServerError> {
        if case .auth(let authOperation) = operation {
            do throws(AuthError) {
                let result = try applyAuth(authOperation)
                return .success(Response(header: header(term: term, member: member), outcome: .auth(result)))
            } catch {
                return .failure(.auth(error))
            }
        }
        if case .alarm(let alarmOperation) = operation {
            return .success(Response(header: header(term: term, member: member), outcome: .alarm(alarms.apply(alarmOperation))))
        }
        let cost = SpaceQuota.cost(of: operation)
        if cost > 0 && alarms.isRaised(.noSpace) { return .failure(.noSpace) }
        let fits = quota.fits(costBytes: cost, sizeBytes: store.allocatedBytes)
        do throws(LeaseError) {
            switch operation {
            case .leaseGrant(let id, let ttl):
                try leases.grant(id: id, ttlSeconds: ttl)
                // Granted past the quota, as etcd's quotaApplierV3 grants it, and answered `noSpace`.
                guard fits else { return .failure(.noSpace) }
                return .success(Response(header: header(term: term, member: member), outcome: .leaseGrant(id: id, ttlSeconds: ttl)))
            case .leaseRevoke(let id):
                try revokeLease(id)
                return .success(Response(header: header(term: term, member: member), outcome: .leaseRevoke(id: id)))
            case .put(let put) where put.lease != 0 && !leases.contains(put.lease):
                throw .notFound
            case .txn(let txn):
                if store.leasesPut(by: txn).contains(where: { !leases.contains($0) }) { throw .notFound }
            default:
                break
            }
        } catch {
            return .failure(.lease(error))
        }
        do throws(MVCCError) {
            let outcome: Response.Outcome
            switch operation {
            case .put(let put): outcome = .put(try store.put(put))
            case .deleteRange(let delete): outcome = .deleteRange(try store.deleteRange(delete))
            case .txn(let txn): outcome = .txn(try store.txn(txn))
            case .compact(let revision):
                try store.compact(revision)
                outcome = .compact
            case .auth, .leaseGrant, .leaseRevoke, .alarm: preconditionFailure("\(operation) is applied above")
            }
            // Past the quota the write is applied, as on every member, and its client told of
            // the space it took (etcd's quotaApplierV3); the member then raises the alarm.
            guard fits else { return .failure(.noSpace) }
            return .success(Response(header: header(term: term, member: member), outcome: outcome))
        } catch {
            return .failure(.store(error))
        }
    }

    /// Ends a lease: its keys are deleted in one revision, as etcd's lessor does.
    private mutating func revokeLease(_ id: Int64) throws(LeaseError) {
        try leases.revoke(id: id)
        let keys = store.keys(attachedTo: id)
        guard !keys.isEmpty else { return }
        do {
            _ = try store.txn(TxnRequest(success: keys.map { .deleteRange(DeleteRangeRequest(range: KeyRange(key: $0))) }))
        } catch {
            preconditionFailure("deleting the keys of lease \(LeaseID.hex(id)) failed: \(error)")
        }
    }

    private mutating func applyAuth(_ operation: AuthOperation) throws(AuthError) -> AuthResult {
        let result = try auth.apply(operation)
        switch operation {
        case .userDelete(let name), .userChangePassword(let name, _): sessions.invalidate(username: name)
        case .disable: sessions.invalidateAll()
        default: break
        }
        return result
    }

    /// Makes the writer of a Raft snapshot of the store, the auth state, the leases, the alarms
    /// and the membership as they are now, when called, on any thread: taking it copies nothing.
    func snapshotWriter() -> @Sendable () -> AppliedSnapshotWriter {
        let image = store.image()
        let auth = auth
        let leases = leases
        let alarms = alarms
        let membership = membership
        return { AppliedSnapshotWriter(store: image, auth: auth, leases: leases, alarms: alarms, membership: membership) }
    }

    /// Reads a range for `username` (empty: no user), after checking read permission against the
    /// auth state as it is now.
    func read(_ request: RangeRequest, username: String, term: UInt64, member: NodeID) -> Result<Response, ServerError> {
        do throws(AuthError) {
            try auth.check(username: username, access: .read, range: request.range)
        } catch {
            return .failure(.auth(error))
        }
        return read(request, term: term, member: member)
    }

    func read(_ request: RangeRequest, term: UInt64, member: NodeID) -> Result<Response, ServerError> {
        do {
            let result = try store.range(request)
            return .success(Response(header: header(term: term, member: member), outcome: .range(result)))
        } catch {
            return .failure(.store(error))
        }
    }

    private func header(term: UInt64, member: NodeID) -> ResponseHeader {
        ResponseHeader(memberID: member, revision: store.currentRevision, raftTerm: term)
    }
}
