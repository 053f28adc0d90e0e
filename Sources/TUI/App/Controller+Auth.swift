import Cluster

extension Controller {
    /// Runs an auth set-up command as root (see `Cluster.setUpAuth`), the outcome in the status
    /// line.
    func runAuth(_ command: AuthSetup, on cluster: Cluster) {
        let inbox = self.inbox
        let proposed = cluster.setUpAuth(command) { text, failed in
            inbox.post(StatusMessage(text, kind: failed ? .error : .info))
        }
        report(proposed)
    }
}
