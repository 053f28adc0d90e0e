import Cluster

/// The lease commands, on the in-process cluster: grants and revokes go through the log like
/// puts; a keep-alive goes to the leader, which keeps the leases' clocks.
extension Controller {
    func runLease(_ command: LeaseCommand, on cluster: Cluster) {
        let inbox = self.inbox
        switch command {
        case .grant(let ttl):
            guard cluster.leader != nil else { return report("no leader to grant a lease", .warning) }
            do throws(CommandFailure) {
                try cluster.grantLease(ttlSeconds: ttl, as: state.user) { result in
                    switch result {
                    case .success(let lease):
                        let id = LeaseNaming.hex(lease.id)
                        inbox.post(StatusMessage("lease \(id) granted with TTL(\(lease.ttlSeconds)s): :put KEY VALUE --lease \(id)"))
                    case .failure(let error):
                        inbox.post(StatusMessage("lease grant failed: \(error)", kind: .error))
                    }
                }
            } catch {
                report("lease grant: \(error)", .error)
            }
        case .revoke(let id):
            cluster.revokeLease(id: id, as: state.user) { result in
                switch result {
                case .success(let revision):
                    inbox.post(StatusMessage("lease \(LeaseNaming.hex(id)) revoked, its keys deleted at revision \(revision)"))
                case .failure(let error):
                    inbox.post(StatusMessage("lease revoke \(LeaseNaming.hex(id)) failed: \(error)", kind: .error))
                }
            }
        case .keepAlive(let id):
            guard cluster.leader != nil else { return report("no leader to keep a lease alive", .warning) }
            do throws(CommandFailure) {
                let kept = try cluster.keepLeaseAlive(id: id)
                report("lease \(LeaseNaming.hex(id)) kept alive with TTL(\(kept.ttlSeconds)) by m\(kept.leader)")
            } catch {
                report("lease keepalive \(LeaseNaming.hex(id)): \(error)", .error)
            }
        }
    }
}
