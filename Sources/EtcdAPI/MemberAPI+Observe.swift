import Foundation
import MVCC
import Server

/// etcd's Election.Observe (clientv3/concurrency's Election.observe, as etcd's election server
/// runs it): the leader's key and value, then each value it proclaims, then the next leader's.
extension MemberAPI {
    /// Hands `send` the leader's key and value, then each value the leader proclaims; once the
    /// leader's key is deleted, the next leader's, and so on. With no candidate it waits for the
    /// first. Ends by throwing `cancelled` when the caller's task is cancelled or `send` throws it.
    ///
    /// As in etcd, a failed read or watch ends the stream without an error (etcd's observer
    /// closes its channel). When the store drops a watch that fell behind a slow reader, the
    /// leader is read afresh and sent again: the values proclaimed meanwhile are skipped.
    public func observe(_ request: V3electionpb_LeaderRequest, credentials: Credentials = .none,
                        send: (V3electionpb_LeaderResponse) async throws(EtcdAPIError) -> Void) async throws(EtcdAPIError) {
        let prefix = Self.prefix(of: request.name)
        do {
            while true {
                guard let leader = try await currentOrNextLeader(under: prefix, credentials: credentials) else { continue }
                try await send(leader)
                try await follow(leader, send: send)
            }
        } catch .cancelled {
            throw .cancelled
        } catch {
            return
        }
    }

    /// The leader now or, with none, the first candidate to come (its header's revision is the
    /// candidate's); nil if the store dropped the watch that waited for one.
    private func currentOrNextLeader(under prefix: Data, credentials: Credentials) async throws(EtcdAPIError)
        -> V3electionpb_LeaderResponse? {
        let first = try await firstCreated(under: prefix, credentials: credentials)
        var out = V3electionpb_LeaderResponse()
        if let key = first.kv?.key {
            guard let kv = try await keyValue(key, at: first.header.revision, credentials: credentials) else { return nil }
            out.header = first.header
            out.kv = kv
            return out
        }
        let member = try member()
        var watch = try ConcurrencyWatch(api: self, range: KeyRange.prefix([UInt8](prefix)), from: first.header.revision)
        while let events = try await watch.next() {
            guard let put = events.first(where: { $0.kind == .put }) else { continue }
            out.header = currentHeader(member, revision: put.kv.modRevision)
            out.kv = Mvccpb_KeyValue(put.kv)
            return out
        }
        return nil
    }

    /// Sends each value put on the leader's key after `leader` until the key is deleted (or the
    /// store drops the watch).
    private func follow(_ leader: V3electionpb_LeaderResponse,
                        send: (V3electionpb_LeaderResponse) async throws(EtcdAPIError) -> Void) async throws(EtcdAPIError) {
        let member = try member()
        var watch = try ConcurrencyWatch(api: self, range: KeyRange(key: [UInt8](leader.kv.key)), from: leader.header.revision + 1)
        while let events = try await watch.next() {
            for event in events {
                if event.kind == .delete { return }
                var out = V3electionpb_LeaderResponse()
                out.header = currentHeader(member)
                out.kv = Mvccpb_KeyValue(event.kv)
                try await send(out)
            }
        }
    }
}
