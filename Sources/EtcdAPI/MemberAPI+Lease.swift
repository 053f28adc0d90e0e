import Foundation
import Raft
import Server

/// etcd's Lease service. Grants and revokes go through Raft on this member; keep-alives and
/// time-to-live questions go to the leader, which alone keeps the leases' clocks (etcd's
/// followers forward them the same way).
extension MemberAPI {
    public func leaseGrant(_ request: Etcdserverpb_LeaseGrantRequest,
                           credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_LeaseGrantResponse {
        let member = try member()
        let grant: InternalRequest.Operation
        do throws(ServerError) {
            grant = try member.leaseGrant(id: request.id, ttlSeconds: request.ttl)
        } catch {
            throw EtcdAPIError(error)
        }
        let response = try await member.proposed(grant, credentials: credentials)
        guard case .leaseGrant(let id, let ttl) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_LeaseGrantResponse()
        out.header = header(response.header)
        out.id = id
        out.ttl = ttl
        return out
    }

    public func leaseRevoke(_ request: Etcdserverpb_LeaseRevokeRequest,
                            credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_LeaseRevokeResponse {
        let response = try await member().proposed(.leaseRevoke(id: request.id), credentials: credentials)
        guard case .leaseRevoke = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_LeaseRevokeResponse()
        out.header = header(response.header)
        return out
    }

    /// One keep-alive: the lease's TTL, or 0 when there is no such lease (etcd answers so too,
    /// and etcdctl then says the lease expired or was revoked).
    public func leaseKeepAlive(_ request: Etcdserverpb_LeaseKeepAliveRequest) async throws(EtcdAPIError) -> Etcdserverpb_LeaseKeepAliveResponse {
        let leader = try await leaseLeader()
        var out = Etcdserverpb_LeaseKeepAliveResponse()
        out.id = request.id
        do throws(ServerError) {
            out.ttl = try leader.renewLease(id: request.id)
        } catch .lease(.notFound) {
            out.ttl = 0
        } catch {
            throw EtcdAPIError(error)
        }
        out.header = currentHeader(leader)
        out.header.memberID = memberID
        return out
    }

    /// The lease's granted TTL and seconds left, with its keys when asked; TTL -1 when there is
    /// no such lease, as etcd answers.
    public func leaseTimeToLive(_ request: Etcdserverpb_LeaseTimeToLiveRequest) async throws(EtcdAPIError) -> Etcdserverpb_LeaseTimeToLiveResponse {
        let leader = try await leaseLeader()
        var out = Etcdserverpb_LeaseTimeToLiveResponse()
        out.id = request.id
        do throws(ServerError) {
            let status = try leader.leaseTimeToLive(id: request.id)
            out.ttl = status.remainingTTLSeconds
            out.grantedTtl = status.grantedTTLSeconds
            if request.keys { out.keys = status.keys.map { Data($0) } }
        } catch .lease(.notFound) {
            out.ttl = -1
        } catch {
            throw EtcdAPIError(error)
        }
        out.header = currentHeader(leader)
        out.header.memberID = memberID
        return out
    }

    /// The leases this member has applied.
    public func leaseLeases() throws(EtcdAPIError) -> Etcdserverpb_LeaseLeasesResponse {
        let member = try member()
        var out = Etcdserverpb_LeaseLeasesResponse()
        out.header = currentHeader(member)
        out.leases = member.leases.ids.map { id in
            var status = Etcdserverpb_LeaseStatus()
            status.id = id
            return status
        }
        return out
    }

    /// The member that keeps the lease clocks, waited for while an election runs, up to the
    /// request timeout (etcd's followers wait for a leader the same way).
    private func leaseLeader() async throws(EtcdAPIError) -> Member {
        let asked = try member()
        let deadline = ContinuousClock.now + .nanoseconds(Int64(asked.config.requestTimeoutNanos))
        while true {
            let lead = asked.basicStatus.lead
            if lead != noNode, let leader = cluster.member(lead), !leader.isStopped, leader.isLeasePrimary {
                return leader
            }
            guard ContinuousClock.now < deadline, !asked.isStopped else { throw lead == noNode ? .noLeader : .timeout }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                throw .timeout
            }
        }
    }
}
