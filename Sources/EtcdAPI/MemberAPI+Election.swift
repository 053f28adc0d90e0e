import Foundation
import Server

/// etcd's Election service (etcdserver/api/v3election): each candidate owns a key under the
/// election's name, the one created first leads, and its value is the leader's proclamation, as
/// clientv3/concurrency's Election runs it.
extension MemberAPI {
    /// Waits until the caller leads the election `name` with `lease`, its value `value`, and
    /// answers its leader key. A candidate whose key exists (the same lease campaigned before)
    /// proclaims `value` first. If the caller goes away while it waits, its candidacy is
    /// resigned, as etcd's Election.Campaign resigns it.
    public func campaign(_ request: V3electionpb_CampaignRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> V3electionpb_CampaignResponse {
        try await asEmbeddedClient { () async throws(EtcdAPIError) -> V3electionpb_CampaignResponse in
            let prefix = Self.prefix(of: request.name)
            var leader = V3electionpb_LeaderKey()
            leader.name = request.name
            leader.key = Self.ownerKey(prefix: prefix, lease: request.lease)
            leader.lease = request.lease
            let created = try await createUnlessExists(leader.key, value: request.value, lease: request.lease, credentials: credentials)
            leader.rev = created.existing?.createRevision ?? created.header.revision
            if let existing = created.existing, existing.value != request.value {
                do throws(EtcdAPIError) {
                    _ = try await proclaim(request.value, as: leader, credentials: credentials)
                } catch {
                    _ = try? await resign(leader, credentials: credentials)
                    throw error
                }
            }
            do throws(EtcdAPIError) {
                _ = try await waitDeletes(under: prefix, maxCreateRevision: leader.rev - 1, credentials: credentials)
            } catch {
                if case .cancelled = error { _ = try? await resign(leader, credentials: credentials) }
                throw error
            }
            var out = V3electionpb_CampaignResponse()
            out.header = created.header
            out.leader = leader
            return out
        }
    }

    /// Sets the leader's value, if `leader` still leads; else `election: not leader`.
    public func proclaim(_ request: V3electionpb_ProclaimRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> V3electionpb_ProclaimResponse {
        try await asEmbeddedClient { () async throws(EtcdAPIError) -> V3electionpb_ProclaimResponse in
            guard request.hasLeader else { throw .leaderKeyMissing }
            var out = V3electionpb_ProclaimResponse()
            out.header = try await proclaim(request.value, as: request.leader, credentials: credentials)
            return out
        }
    }

    /// The leader's key and value now; `election: no leader` when there is no candidate.
    public func leader(_ request: V3electionpb_LeaderRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> V3electionpb_LeaderResponse {
        try await asEmbeddedClient { () async throws(EtcdAPIError) -> V3electionpb_LeaderResponse in
            let first = try await firstCreated(under: Self.prefix(of: request.name), credentials: credentials)
            guard let key = first.kv?.key,
                  let kv = try await keyValue(key, at: first.header.revision, credentials: credentials) else {
                throw .electionNoLeader
            }
            var out = V3electionpb_LeaderResponse()
            out.header = first.header
            out.kv = kv
            return out
        }
    }

    /// Deletes `leader`'s key if it still leads; answers without error if it does not.
    public func resign(_ request: V3electionpb_ResignRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> V3electionpb_ResignResponse {
        try await asEmbeddedClient { () async throws(EtcdAPIError) -> V3electionpb_ResignResponse in
            guard request.hasLeader else { throw .leaderKeyMissing }
            var out = V3electionpb_ResignResponse()
            out.header = try await resign(request.leader, credentials: credentials)
            return out
        }
    }

    /// etcd's Election.Proclaim: puts `value` on the leader's key if it was created at the
    /// leader's revision.
    private func proclaim(_ value: Data, as leader: V3electionpb_LeaderKey, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_ResponseHeader {
        var put = Etcdserverpb_PutRequest()
        put.key = leader.key
        put.value = value
        put.lease = leader.lease
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [Self.createRevision(of: leader.key, equals: leader.rev)]
        txn.success = [Self.operation(.requestPut(put))]
        let response = try await self.txn(txn, credentials: credentials)
        guard response.succeeded else { throw .electionNotLeader }
        return response.header
    }

    /// etcd's Election.Resign: deletes the leader's key if it was created at the leader's revision.
    private func resign(_ leader: V3electionpb_LeaderKey, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_ResponseHeader {
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [Self.createRevision(of: leader.key, equals: leader.rev)]
        txn.success = [Self.operation(.requestDeleteRange(Self.deletion(of: leader.key)))]
        return try await self.txn(txn, credentials: credentials).header
    }
}
