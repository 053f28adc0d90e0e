import Cluster
import Server

/// The lease commands, on the in-process cluster: grants and revokes go through the log like
/// puts; a keep-alive goes to the leader, which keeps the leases' clocks.
extension Controller {
    func runLease(_ command: LeaseCommand, on cluster: Cluster) {
        let inbox = self.inbox
        switch command {
        case .grant(let ttl):
            guard let leader = cluster.leader.flatMap(cluster.member) else { return report("no leader to grant a lease", .warning) }
            let operation: InternalRequest.Operation
            do throws(ServerError) {
                operation = try leader.leaseGrant(ttlSeconds: ttl)
            } catch {
                return report("lease grant: \(error)", .error)
            }
            cluster.request(operation, credentials: credentials) { result in
                switch result {
                case .success(let response):
                    if case .leaseGrant(let id, let granted) = response.outcome {
                        inbox.post(StatusMessage("lease \(LeaseID.hex(id)) granted with TTL(\(granted)s): :put KEY VALUE --lease \(LeaseID.hex(id))"))
                    }
                case .failure(let error):
                    inbox.post(StatusMessage("lease grant failed: \(error)", kind: .error))
                }
            }
        case .revoke(let id):
            cluster.request(.leaseRevoke(id: id), credentials: credentials) { result in
                switch result {
                case .success(let response):
                    inbox.post(StatusMessage("lease \(LeaseID.hex(id)) revoked, its keys deleted at revision \(response.header.revision)"))
                case .failure(let error):
                    inbox.post(StatusMessage("lease revoke \(LeaseID.hex(id)) failed: \(error)", kind: .error))
                }
            }
        case .keepAlive(let id):
            guard let leader = cluster.leader.flatMap(cluster.member) else { return report("no leader to keep a lease alive", .warning) }
            do throws(ServerError) {
                let ttl = try leader.renewLease(id: id)
                report("lease \(LeaseID.hex(id)) kept alive with TTL(\(ttl)) by m\(leader.id)")
            } catch {
                report("lease keepalive \(LeaseID.hex(id)): \(error)", .error)
            }
        }
    }
}
