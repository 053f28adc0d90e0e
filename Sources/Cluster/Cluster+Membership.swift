import Raft
import Server

/// What a membership change left: the member it was about, and the members after it.
public struct MembershipChangeResult: Sendable, Hashable {
    public var member: MemberInfo
    public var members: [MemberInfo]
}

public typealias MembershipCompletion = @Sendable (Result<MembershipChangeResult, ServerError>) -> Void

/// etcd's Cluster API over the members of this process: a change goes through Raft as one
/// configuration change; once it is applied, a member added is started here (an empty member
/// that the leader feeds with its log or a snapshot) and a member removed is stopped for good.
extension Cluster {
    /// The members as the leader (with none, the first running member) has applied them.
    public var membership: Membership? {
        let member = state.withLock { s -> Member? in
            if let leader = s.leader, s.states[leader] != .down, let m = s.members[leader] { return m }
            let running = s.ids.first { s.states[$0] != .down && s.members[$0] != nil }
            return running.flatMap { s.members[$0] }
        }
        return member?.membership
    }

    /// The ids of members removed: never used again.
    public var removedIDs: Set<NodeID> {
        state.withLock { $0.removed }
    }

    /// etcd's MemberAdd: a new member with the next id, named `member-N`, as a voter or a
    /// learner, known by `peerURLs` (nil: its peer URL on the simulated network). It starts once
    /// the change is applied.
    public func addMember(peerURLs: [String]? = nil, isLearner: Bool, completion: @escaping MembershipCompletion) {
        let limit = ClusterConfig.memberRange.upperBound
        let reserved = state.withLock { s -> NodeID? in
            guard s.ids.count < limit else { return nil }
            s.highestID += 1
            return s.highestID
        }
        guard let id = reserved else { return completion(.failure(.membership(.tooManyMembers(limit)))) }
        let added = MemberInfo(id: id, name: "member-\(id)", peerURLs: peerURLs ?? [config.peerURL(of: id)], isLearner: isLearner)
        change(.add(added), about: id) { [weak self] result in
            guard let self else { return completion(result) }
            guard case .success = result else {
                // Nobody took the id: the next member added gets it.
                self.state.withLock { s in if s.highestID == id { s.highestID -= 1 } }
                return completion(result)
            }
            self.schedule(afterNanos: 0) { [weak self] in
                self?.startAdded(id)
                completion(result)
            }
        }
    }

    /// etcd's MemberRemove: once the change is applied, the member stops and its messages are
    /// dropped from then on.
    public func removeMember(_ id: NodeID, completion: @escaping MembershipCompletion) {
        change(.remove(id), about: id) { [weak self] result in
            guard let self, case .success = result else { return completion(result) }
            self.schedule(afterNanos: 0) { [weak self] in
                self?.stopRemoved(id)
                completion(result)
            }
        }
    }

    /// etcd's MemberPromote: the leader checks that the learner's log is in sync with its own.
    public func promoteMember(_ id: NodeID, completion: @escaping MembershipCompletion) {
        change(.promote(id), about: id, leaderOnly: true, completion: completion)
    }

    /// etcd's MemberUpdate: new peer URLs.
    public func updateMember(_ id: NodeID, peerURLs: [String], completion: @escaping MembershipCompletion) {
        change(.update(id, peerURLs: peerURLs), about: id, completion: completion)
    }

    /// Proposes `request` through the leader (with none known, through any running member, whose
    /// Raft forwards it), and answers with the members once it is applied.
    private func change(_ request: MembershipRequest, about id: NodeID, leaderOnly: Bool = false,
                        completion: @escaping MembershipCompletion) {
        let proposer = state.withLock { s -> Member? in
            let states = s.states
            let usable = { (id: NodeID) in states[id] == .up || states[id] == .partitioned }
            if let leader = s.leader, usable(leader), let m = s.members[leader] { return m }
            if leaderOnly { return nil }
            let running = s.ids.first { usable($0) && s.members[$0] != nil }
            return running.flatMap { s.members[$0] }
        }
        guard let proposer else { return completion(.failure(.noLeader)) }
        note(request.summary)
        proposer.changeMembership(request) { result in
            switch result {
            case .success(let response):
                guard case .members(let members) = response.outcome else {
                    return completion(.failure(.malformedRequest("a membership change answered \(response.outcome)")))
                }
                let member = members.first { $0.id == id } ?? MemberInfo(id: id)
                completion(.success(MembershipChangeResult(member: member, members: members)))
            case .failure(let error):
                completion(.failure(error))
            }
        }
    }

    /// Starts a member the log added: empty, it learns everything from the leader.
    func startAdded(_ id: NodeID) {
        let fresh = state.withLock { s -> Bool in
            guard !s.shutDown, !s.ids.contains(id), !s.removed.contains(id) else { return false }
            s.ids.append(id)
            s.ids.sort()
            return true
        }
        guard fresh else { return }
        do {
            try start(id, joining: true)
            note("member \(id) added and started")
        } catch {
            note("member \(id) was added but could not start: \(error)")
        }
    }

    /// Starts and stops members as the leader's applied membership says, for a change whose
    /// answer never came (its proposer crashed or timed out after the change was committed).
    func followAppliedMembership() {
        guard let leader = self.leader, let membership = member(leader)?.membership, !membership.members.isEmpty else { return }
        let (ids, removed) = state.withLock { ($0.ids, $0.removed) }
        for id in membership.removed.subtracting(removed).sorted() {
            stopRemoved(id)
        }
        for id in membership.members.keys.sorted() where !ids.contains(id) && !membership.removed.contains(id) {
            state.withLock { s in s.highestID = max(s.highestID, id) }
            startAdded(id)
        }
    }

    /// Stops a member the log removed, for good.
    func stopRemoved(_ id: NodeID) {
        let stopping = state.withLock { s -> (member: Member?, runner: MemberRunner?)? in
            // After shutdown every member is stopped and every persistence closed already.
            guard !s.shutDown, !s.removed.contains(id) else { return nil }
            s.ids.removeAll { $0 == id }
            s.removed.insert(id)
            s.states[id] = .down
            _ = s.network.dropAll(involving: id)
            s.heldForPaused[id] = nil
            s.nextTickNanos[id] = nil
            if s.leader == id { s.leader = nil }
            return (s.members.removeValue(forKey: id), s.runners.removeValue(forKey: id))
        }
        guard let stopping else { return }
        stopping.member?.stop()
        stopping.runner?.stop()
        persistences.withLock { $0.removeValue(forKey: id) }?.close()
        note("member \(id) removed and stopped")
        refreshPartitionStates()
    }

    /// The persistence of member `id`, made the first time it is asked for.
    func persistence(of id: NodeID) throws -> any RaftPersistence {
        if let made = persistences.withLock({ $0[id] }) { return made }
        let made = try config.makePersistence(id, clock)
        persistences.withLock { $0[id] = made }
        return made
    }

    /// A cluster restarting from disk: the members its logs added since it was first started run
    /// again, and those they removed stay stopped.
    func startMembersAddedBeforeRestart() throws {
        let started = state.withLock { s in s.ids.compactMap { s.members[$0] } }
        guard let newest = started.max(by: { $0.basicStatus.commit < $1.basicStatus.commit }) else { return }
        let membership = newest.membershipAtStart
        let removed = started.reduce(into: membership.removed) { $0.formUnion($1.membershipAtStart.removed) }
        state.withLock { s in
            s.highestID = max(s.highestID, membership.members.keys.max() ?? 0, removed.max() ?? 0)
        }
        for id in removed where ids.contains(id) {
            stopRemoved(id)
        }
        for id in membership.members.keys.sorted() where !ids.contains(id) && !removed.contains(id) {
            state.withLock { s in
                s.ids.append(id)
                s.ids.sort()
            }
            try start(id, joining: true)
        }
    }
}
