import Raft
import Server

/// Watches a simulated cluster for the moment an election starts, so the UI can stop there
/// (`:stopon`): a member turning pre-candidate or candidate, or the cluster losing its leader.
/// It fires on a change, not on a state: once it has stopped for a candidate, running on does
/// not stop again for the same one, only for the next (a pre-candidate turning candidate is
/// the next).
public struct ElectionWatch: Sendable {
    public enum Condition: String, Sendable, Hashable, CaseIterable {
        /// A member starts campaigning: pre-candidate (sending MsgPreVote) or candidate (MsgVote).
        case candidate
        /// The cluster had a leader and has none.
        case leaderLost = "leader-lost"
    }

    private struct Campaign: Hashable {
        var id: NodeID
        var term: UInt64
        var role: StateRole
    }

    public let condition: Condition
    private var campaigns: Set<Campaign> = []
    private var leader: (id: NodeID, term: UInt64)?

    /// A watch that fires on the first change from what `cluster` shows now.
    public init(_ condition: Condition, cluster: Cluster) {
        self.condition = condition
        _ = check(cluster)
    }

    /// Why to stop, when the condition came true since the last check; nil otherwise.
    public mutating func check(_ cluster: Cluster) -> String? {
        let statuses = cluster.runningRaftStatuses()
        let now = Set(statuses.compactMap { id, status in
            status.role == .candidate || status.role == .preCandidate ? Campaign(id: id, term: status.term, role: status.role) : nil
        })
        let leaders = statuses.filter { $0.1.role == .leader }.max { $0.1.term < $1.1.term }
        let started = now.subtracting(campaigns).sorted { $0.id < $1.id }
        let lost = leaders == nil ? leader : nil
        campaigns = now
        leader = leaders.map { ($0.0, $0.1.term) }
        switch condition {
        case .candidate:
            guard let first = started.first else { return nil }
            return first.role == .preCandidate
                ? "stopped: m\(first.id) became pre-candidate for term \(first.term + 1), MsgPreVote in flight"
                : "stopped: m\(first.id) became candidate for term \(first.term), MsgVote in flight"
        case .leaderLost:
            guard let lost else { return nil }
            return "stopped: leader m\(lost.id) of term \(lost.term) lost"
        }
    }
}

extension Cluster {
    /// The Raft status of every member that runs (neither down nor paused), in id order.
    public func runningRaftStatuses() -> [(NodeID, BasicStatus)] {
        let running = state.withLock { s in
            s.ids.compactMap { id in s.states[id] == .up || s.states[id] == .partitioned ? s.members[id].map { (id, $0) } : nil }
        }
        return running.map { ($0.0, $0.1.basicStatus) }
    }
}
