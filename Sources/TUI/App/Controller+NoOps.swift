import Cluster

/// An action that would change nothing (resume a running member, pause a paused one, transfer
/// to the leader): reported as a warning, and the cluster is not touched, so no event is logged.
struct NothingHappened: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

extension Controller {
    /// Why pausing `id` would do nothing, or nil when it would pause it.
    func unchangedByPause(_ id: NodeID, _ cluster: Cluster) -> NothingHappened? {
        switch cluster.memberState(id) {
        case .paused: NothingHappened("member \(id) is already paused: nothing happened")
        case .down: NothingHappened("member \(id) is down: nothing to pause (r restarts it)")
        case .up, .partitioned: nil
        }
    }

    /// Why resuming `id` would do nothing, or nil when it would resume it.
    func unchangedByResume(_ id: NodeID, _ cluster: Cluster) -> NothingHappened? {
        switch cluster.memberState(id) {
        case .paused: nil
        case .down: NothingHappened("member \(id) is down, not paused: nothing happened (r restarts it)")
        case .up, .partitioned: NothingHappened("member \(id) is running, not paused: nothing happened")
        }
    }
}
