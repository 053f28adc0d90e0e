/// The outcome of an election or of a read's confirmation round.
public enum VoteResult: Sendable, Hashable {
    case pending
    case won
    case lost
}

/// A majority configuration: a set of voters, any more than half of whom form a quorum.
struct MajorityConfig {
    private(set) var voters: [NodeID]

    init(_ voters: [NodeID]) {
        self.voters = Array(Set(voters)).sorted()
    }

    var quorum: Int { voters.count / 2 + 1 }

    func contains(_ id: NodeID) -> Bool { voters.contains(id) }

    mutating func insert(_ id: NodeID) {
        guard !contains(id) else { return }
        voters.append(id)
        voters.sort()
    }

    mutating func remove(_ id: NodeID) {
        voters.removeAll { $0 == id }
    }

    /// The largest index that a quorum of voters has reached, given each voter's match index.
    /// An empty configuration commits everything (no quorum is needed).
    func committedIndex(_ matchOf: (NodeID) -> UInt64) -> UInt64 {
        if voters.isEmpty { return UInt64.max }
        var matches = voters.map(matchOf)
        matches.sort(by: >)
        return matches[quorum - 1]
    }

    /// The result of a vote given the answers so far (true granted, false rejected, absent pending).
    func voteResult(_ votes: [NodeID: Bool]) -> VoteResult {
        if voters.isEmpty { return .won }
        var granted = 0
        var missing = 0
        for id in voters {
            switch votes[id] {
            case true?: granted += 1
            case false?: break
            case nil: missing += 1
            }
        }
        if granted >= quorum { return .won }
        if granted + missing >= quorum { return .pending }
        return .lost
    }
}
