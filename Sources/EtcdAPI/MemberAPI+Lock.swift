import Foundation
import Server

/// etcd's Lock service (etcdserver/api/v3lock): a lock is held by the key under the lock's name
/// created first, as clientv3/concurrency's Mutex takes it.
extension MemberAPI {
    /// Waits until the caller holds the lock `name` with `lease`, and answers the key that holds
    /// it. A second Lock with the same lease finds the same key and holds it as well. If the wait
    /// ends without the lock (the caller went away, the member stopped), the key is deleted, as
    /// etcd's Mutex.Lock deletes it.
    public func lock(_ request: V3lockpb_LockRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> V3lockpb_LockResponse {
        try await asEmbeddedClient { () async throws(EtcdAPIError) -> V3lockpb_LockResponse in
            let prefix = Self.prefix(of: request.name)
            let key = Self.ownerKey(prefix: prefix, lease: request.lease)
            let created = try await createUnlessExists(key, value: Data(), lease: request.lease, credentials: credentials)
            let myRevision = created.existing?.createRevision ?? created.header.revision
            var out = V3lockpb_LockResponse()
            out.key = key
            do throws(EtcdAPIError) {
                out.header = try await wait(under: prefix, myRevision: myRevision, created: created.header, credentials: credentials)
            } catch {
                _ = try? await deleteRange(Self.deletion(of: key), credentials: credentials)
                throw error
            }
            return out
        }
    }

    /// Waits until no key under `prefix` was created before `myRevision`, and answers the header
    /// etcd's Mutex answers: the transaction's if it found the lock free, else the last read's.
    private func wait(under prefix: Data, myRevision: Int64, created: Etcdserverpb_ResponseHeader,
                      credentials: Credentials) async throws(EtcdAPIError) -> Etcdserverpb_ResponseHeader {
        // etcd's transaction also reads the first key under the prefix; a read at the
        // transaction's revision sees what it saw.
        do {
            let owner = try await firstCreated(under: prefix, revision: created.revision, credentials: credentials).kv
            if owner == nil || owner?.createRevision == myRevision { return created }
        } catch .compacted {
            // Compacted since: the wait reads the key space as it is now.
        }
        return try await waitDeletes(under: prefix, maxCreateRevision: myRevision - 1, credentials: credentials)
    }

    /// Deletes the key a Lock answered, so the next waiter holds the lock.
    public func unlock(_ request: V3lockpb_UnlockRequest, credentials: Credentials = .none) async throws(EtcdAPIError)
        -> V3lockpb_UnlockResponse {
        try await asEmbeddedClient { () async throws(EtcdAPIError) -> V3lockpb_UnlockResponse in
            var out = V3lockpb_UnlockResponse()
            out.header = try await deleteRange(Self.deletion(of: request.key), credentials: credentials).header
            return out
        }
    }

    static func deletion(of key: Data) -> Etcdserverpb_DeleteRangeRequest {
        var request = Etcdserverpb_DeleteRangeRequest()
        request.key = key
        return request
    }
}
