import Raft

/// A change to the cluster's members, as etcd's Cluster API asks for it.
public enum MembershipRequest: Sendable, Hashable {
    /// etcd's AddMember: a new voter, or a learner when `member.isLearner`.
    case add(MemberInfo)
    case remove(NodeID)
    /// etcd's UpdateMember: new peer URLs for a member.
    case update(NodeID, peerURLs: [String])
    /// etcd's PromoteMember: a learner becomes a voter, once its log is in sync with the leader's.
    case promote(NodeID)

    public var summary: String {
        switch self {
        case .add(let member): "member add \(hex(member.id))\(member.isLearner ? " (learner)" : "")"
        case .remove(let id): "member remove \(hex(id))"
        case .update(let id, _): "member update \(hex(id))"
        case .promote(let id): "member promote \(hex(id))"
        }
    }
}

private func hex(_ id: NodeID) -> String { String(id, radix: 16) }

extension Member {
    /// etcd's readyPercent: a learner may be promoted once its match is 90% of the leader's.
    static let learnerReadyPercent = 0.9

    /// The members as this member has applied them.
    public var membership: Membership {
        applier.withLock { $0.membership }
    }

    /// Proposes one membership change through Raft and calls `completion` once it is applied,
    /// with the members after it (`Response.Outcome.members`) or etcd's error. The change is
    /// checked here first, as etcd's server checks it, and again when applied, as every member
    /// applies it.
    public func changeMembership(_ request: MembershipRequest, completion: @escaping Completion) {
        let received = clock.nowNanos()
        guard !stopped.load(ordering: .relaxed) else { return completion(.failure(.stopped)) }
        let requestID = ids.withLock { $0.next() }
        let change: ConfChange
        do throws(MembershipError) {
            change = try confChange(for: request, requestID: requestID)
        } catch {
            return completion(.failure(.membership(error)))
        }
        let trace = StageTrace(requestID: requestID, member: id, summary: request.summary, receivedNanos: received)
        waits.withLock {
            $0.register(id: requestID, trace: trace, deadlineNanos: received + config.requestTimeoutNanos, completion: completion)
        }
        inbox.withLock { $0.confChanges.append((requestID, change)) }
        wake()
    }

    /// The Raft change for `request`, after etcd's checks against the applied members and, for
    /// a promotion, against the leader's view of the learner's log.
    private func confChange(for request: MembershipRequest, requestID: UInt64) throws(MembershipError) -> ConfChange {
        if raft.withLock({ $0.node.hasPendingConfChange }) { throw .changeInProgress }
        let members = membership
        let change: ConfChange
        switch request {
        case .add(let member):
            guard !member.peerURLs.isEmpty else { throw .badURLs("no peer URLs") }
            if let problem = MemberInfo.boundsProblem(name: member.name, peerURLs: member.peerURLs, clientURLs: member.clientURLs) {
                throw .badURLs(problem)
            }
            if !member.isLearner && !members.isReadyToAddVoter { throw .notEnoughStartedMembers }
            let context = ConfChangeContext(requestID: requestID, member: member)
            change = ConfChange(kind: member.isLearner ? .addLearnerNode : .addNode, nodeID: member.id, context: context.encoded())
        case .remove(let id):
            if members.members[id]?.isLearner == false && !members.isReadyToRemoveVoter(id) { throw .notEnoughStartedMembers }
            let context = ConfChangeContext(requestID: requestID, member: MemberInfo(id: id))
            change = ConfChange(kind: .removeNode, nodeID: id, context: context.encoded())
        case .update(let id, let peerURLs):
            guard !peerURLs.isEmpty else { throw .badURLs("no peer URLs") }
            if let problem = MemberInfo.boundsProblem(name: "", peerURLs: peerURLs) { throw .badURLs(problem) }
            var member = members.members[id] ?? MemberInfo(id: id)
            member.peerURLs = peerURLs
            let context = ConfChangeContext(requestID: requestID, member: member)
            change = ConfChange(kind: .updateNode, nodeID: id, context: context.encoded())
        case .promote(let id):
            try checkLearnerReady(id)
            if members.members[id]?.isLearner == true && !members.isReadyToPromote { throw .notEnoughStartedMembers }
            let context = ConfChangeContext(requestID: requestID, isPromote: true, member: MemberInfo(id: id))
            change = ConfChange(kind: .addNode, nodeID: id, context: context.encoded())
        }
        try members.validate(change, context: try? ConfChangeContext(decoding: change.context))
        return change
    }

    /// etcd's isLearnerReady: only the leader knows the learner's match, which must be at least
    /// 90% of the leader's own.
    private func checkLearnerReady(_ learner: NodeID) throws(MembershipError) {
        let status = raft.withLock { $0.node.status() }
        guard status.role == .leader else { throw .notLeader }
        guard let progress = status.progress[learner] else { return }
        let leaderMatch = status.progress[id]?.match ?? 0
        if Double(progress.match) < Double(leaderMatch) * Self.learnerReadyPercent { throw .learnerNotReady }
    }
}

extension Member {
    /// `membership`, as of `index`, with the committed configuration changes after it among
    /// `entries` applied.
    static func membership(after membership: Membership, at index: UInt64, entries: [Entry],
                           through commit: UInt64) -> Membership {
        var result = membership
        for entry in entries where entry.type == .confChange && entry.index > index && entry.index <= commit {
            guard let change = try? ConfChange(decoding: entry.data) else { continue }
            var context: ConfChangeContext?
            if !change.context.isEmpty {
                guard let decoded = try? ConfChangeContext(decoding: change.context) else { continue }
                context = decoded
            }
            if (try? result.validate(change, context: context)) != nil {
                result.apply(change, context: context)
            }
        }
        return result
    }
}
