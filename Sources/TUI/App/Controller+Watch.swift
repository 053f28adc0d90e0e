import Cluster

/// Simulated time that stops by itself when an election starts (`:stopon`), and slow disks
/// (`:disk N MS`).
extension Controller {
    /// Moves simulated time on by `nanos`, or less when the election watch fires: returns why
    /// it stopped then, nil when it ran the whole span.
    func advance(_ cluster: Cluster, byNanos nanos: UInt64) -> String? {
        guard var watch = electionWatch else {
            cluster.advance(byNanos: nanos)
            return nil
        }
        var reason: String?
        cluster.advance(byNanos: nanos) {
            reason = watch.check(cluster)
            return reason != nil
        }
        electionWatch = watch
        return reason
    }

    func stopOn(_ condition: ElectionWatch.Condition?, _ cluster: Cluster) {
        guard state.simulated else {
            return report("stopon works in simulated time (rafttop --sim): real time cannot stop at an exact instant", .error)
        }
        guard let condition else {
            electionWatch = nil
            state.stopOn = nil
            return report("no longer stopping on elections")
        }
        electionWatch = ElectionWatch(condition, cluster: cluster)
        state.stopOn = condition.rawValue
        switch condition {
        case .candidate: report("will pause when a member becomes pre-candidate or candidate")
        case .leaderLost: report("will pause when the cluster loses its leader")
        }
    }

    func setDiskDelay(_ id: NodeID, millis: Double, _ cluster: Cluster) {
        do {
            try cluster.setDiskDelay(id, nanos: UInt64((millis * 1_000_000).rounded()))
            report(millis == 0 ? "member \(id)'s disk restored" : "member \(id)'s disk: every fsync takes \(Format.millis(millis)) ms more"
                + (state.simulated ? " (simulated time)" : ""))
        } catch {
            report("disk \(id): \(error)", .error)
        }
    }
}
