import ByteCoding
import Raft

/// The cluster's members as applied from the log (etcd's RaftCluster): every member applies the
/// same configuration changes in the same order, so every member holds the same list. Removed
/// ids are remembered: a removed member never comes back under the same id.
public struct Membership: Sendable, Hashable {
    public private(set) var members: [NodeID: MemberInfo] = [:]
    public private(set) var removed: Set<NodeID> = []

    /// etcd 3.4's maxLearners.
    public static let maxLearners = 1
    /// Bounds on what a snapshot may make a member hold.
    static let maxMembers = 1 << 10
    static let maxRemoved = 1 << 16

    public init() {}

    /// Members in id order.
    public var sorted: [MemberInfo] { members.values.sorted { $0.id < $1.id } }

    public var voters: [MemberInfo] { sorted.filter { !$0.isLearner } }

    /// etcd's ValidateConfigurationChange: whether `change` may be applied to this membership.
    public func validate(_ change: ConfChange, context: ConfChangeContext?) throws(MembershipError) {
        let id = change.nodeID
        if removed.contains(id) { throw .memberNotFound }
        switch change.kind {
        case .addNode, .addLearnerNode:
            if context?.isPromote == true {
                guard let member = members[id] else { throw .memberNotFound }
                guard member.isLearner else { throw .memberNotLearner }
                return
            }
            if members[id] != nil { throw .memberExists }
            let taken = Set(members.values.flatMap(\.peerURLs))
            if context?.member.peerURLs.contains(where: taken.contains) == true { throw .peerURLExists }
            if change.kind == .addLearnerNode && members.values.filter(\.isLearner).count + 1 > Self.maxLearners {
                throw .tooManyLearners
            }
        case .removeNode:
            if members[id] == nil { throw .memberNotFound }
        case .updateNode:
            if members[id] == nil { throw .memberNotFound }
            let taken = Set(members.values.filter { $0.id != id }.flatMap(\.peerURLs))
            if context?.member.peerURLs.contains(where: taken.contains) == true { throw .peerURLExists }
        }
    }

    /// Applies a change that `validate` accepted. A change with no context (a bootstrap entry
    /// written without attributes) adds a member named after its id.
    public mutating func apply(_ change: ConfChange, context: ConfChangeContext?) {
        let id = change.nodeID
        switch change.kind {
        case .addNode, .addLearnerNode:
            if context?.isPromote == true {
                members[id]?.isLearner = false
                return
            }
            var member = context?.member ?? MemberInfo(id: id, name: "member-\(id)")
            member.id = id
            member.isLearner = change.kind == .addLearnerNode
            members[id] = member
        case .removeNode:
            members.removeValue(forKey: id)
            removed.insert(id)
        case .updateNode:
            if let peerURLs = context?.member.peerURLs { members[id]?.peerURLs = peerURLs }
        }
    }

    // MARK: etcd's strict reconfiguration check

    /// Voters that have started: as etcd's IsStarted, a member with a name.
    private func startedVoters(excluding excluded: NodeID = noNode) -> (started: Int, count: Int) {
        let voters = voters.filter { $0.id != excluded }
        return (voters.filter { !$0.name.isEmpty }.count, voters.count)
    }

    /// etcd's IsReadyToAddVotingMember: the started voters stay a quorum of one voter more.
    public var isReadyToAddVoter: Bool {
        let (started, count) = startedVoters()
        // Adding a second member to a one-member cluster (etcd's restore from a backup).
        if started == 1 && count + 1 == 2 { return true }
        return started >= (count + 1) / 2 + 1
    }

    /// etcd's IsReadyToRemoveVotingMember: the started voters left are a quorum of those left.
    public func isReadyToRemoveVoter(_ id: NodeID) -> Bool {
        let (started, count) = startedVoters(excluding: id)
        return started >= count / 2 + 1
    }

    /// etcd's IsReadyToPromoteMember: the learner counts as a started voter.
    public var isReadyToPromote: Bool {
        let (started, count) = startedVoters()
        return started + 1 >= (count + 1) / 2 + 1
    }

    // MARK: Snapshot bytes

    /// Layout: member count 8, each member (`MemberInfo.write`), removed count 8, each id 8.
    func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 64 * members.count + 8 * removed.count + 16)
        out.uint64(UInt64(members.count))
        for member in sorted { member.write(to: &out) }
        out.uint64(UInt64(removed.count))
        for id in removed.sorted() { out.uint64(id) }
        return out.buffer
    }

    init(decoding bytes: [UInt8]) throws(DecodingError) {
        var input = ByteReader(bytes)
        let memberCount = try input.uint64()
        guard memberCount <= UInt64(Self.maxMembers) else { throw input.error("\(memberCount) members, more than \(Self.maxMembers)") }
        for _ in 0..<memberCount {
            let member = try MemberInfo(reading: &input)
            members[member.id] = member
        }
        let removedCount = try input.uint64()
        guard removedCount <= UInt64(Self.maxRemoved), removedCount * 8 <= UInt64(input.remaining) else {
            throw input.error("\(removedCount) removed ids do not fit")
        }
        for _ in 0..<removedCount { removed.insert(try input.uint64()) }
        try input.expectEnd()
    }
}
