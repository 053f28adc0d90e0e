import Cluster
import Raft

/// The quorum rules of changing members: a leader holds its term with a quorum of its voters,
/// where a learner's term never counts, and a removed member never runs (so never votes) again.
enum MembershipInvariant {
    /// What breaks the rules now, one line each.
    static func check(_ cluster: Cluster) -> [String] {
        var problems: [String] = []
        for id in cluster.removedIDs.sorted() where cluster.member(id) != nil {
            problems.append("member \(id) was removed and runs again")
        }
        for id in cluster.ids {
            guard let status = cluster.member(id)?.status().raft, status.role == .leader else { continue }
            // A voter that granted the vote moved to the term, and terms never go back. A voter
            // that is down may have: it counts.
            let reached = status.voters.filter { voter in
                guard let term = cluster.member(voter)?.status().raft.term else { return true }
                return term >= status.term
            }
            if reached.count < status.voters.count / 2 + 1 {
                problems.append("member \(id) leads term \(status.term) but only voters \(reached) of \(status.voters) "
                    + "reached it (learners \(status.learners) never count)")
            }
        }
        return problems
    }
}
