import Foundation
import MVCC
import Server

/// The steps etcd's clientv3/concurrency package takes in the key space (key.go, mutex.go,
/// election.go), which etcd's lock and election servers run through an embedded client: here
/// they call this member's KV API with the caller's credentials.
///
/// A lock or an election is a prefix, the name and a slash; each holder or candidate owns one key
/// under it, and the key created first holds the lock or leads.
extension MemberAPI {
    /// The prefix of a lock or election: its name and a slash.
    static func prefix(of name: Data) -> Data {
        name + Data("/".utf8)
    }

    /// A holder's key: the prefix and the lease id in lowercase hex, as Go's `%x` writes an int64
    /// (a negative id keeps its minus sign).
    static func ownerKey(prefix: Data, lease: Int64) -> Data {
        prefix + Data(String(lease, radix: 16).utf8)
    }

    /// The transaction that creates `key` with `value` unless it exists, and reads it if it does:
    /// answers the key that existed (nil if it was created) and the transaction's header.
    func createUnlessExists(_ key: Data, value: Data, lease: Int64, credentials: Credentials) async throws(EtcdAPIError)
        -> (existing: Mvccpb_KeyValue?, header: Etcdserverpb_ResponseHeader) {
        var put = Etcdserverpb_PutRequest()
        put.key = key
        put.value = value
        put.lease = lease
        var get = Etcdserverpb_RangeRequest()
        get.key = key
        var txn = Etcdserverpb_TxnRequest()
        txn.compare = [Self.createRevision(of: key, equals: 0)]
        txn.success = [Self.operation(.requestPut(put))]
        txn.failure = [Self.operation(.requestRange(get))]
        let response = try await self.txn(txn, credentials: credentials)
        if response.succeeded { return (nil, response.header) }
        guard let existing = response.responses.first?.responseRange.kvs.first else {
            throw .other("etcdserver: a transaction's failed compare found no key \(String(decoding: key, as: UTF8.self))")
        }
        return (existing, response.header)
    }

    static func operation(_ request: Etcdserverpb_RequestOp.OneOf_Request) -> Etcdserverpb_RequestOp {
        var operation = Etcdserverpb_RequestOp()
        operation.request = request
        return operation
    }

    /// The compare that holds while `key` was created at `revision` (0: while it does not exist).
    static func createRevision(of key: Data, equals revision: Int64) -> Etcdserverpb_Compare {
        var compare = Etcdserverpb_Compare()
        compare.key = key
        compare.target = .create
        compare.result = .equal
        compare.createRevision = revision
        return compare
    }

    /// The key under `prefix` created first (clientv3.WithFirstCreate), without its value, read
    /// at `revision` (0: now), and the read's header.
    func firstCreated(under prefix: Data, revision: Int64 = 0, credentials: Credentials) async throws(EtcdAPIError)
        -> (kv: Mvccpb_KeyValue?, header: Etcdserverpb_ResponseHeader) {
        var request = keysUnder(prefix)
        request.sortOrder = .ascend
        request.revision = revision
        let response = try await range(request, credentials: credentials)
        return (response.kvs.first, response.header)
    }

    /// etcd's waitDeletes: waits until no key under `prefix` created at or before
    /// `maxCreateRevision` is left, each time for the deletion of the last created of them, and
    /// returns the header of the read that found none.
    func waitDeletes(under prefix: Data, maxCreateRevision: Int64, credentials: Credentials) async throws(EtcdAPIError)
        -> Etcdserverpb_ResponseHeader {
        while true {
            var request = keysUnder(prefix)
            request.sortOrder = .descend
            request.maxCreateRevision = maxCreateRevision
            let response = try await range(request, credentials: credentials)
            guard let last = response.kvs.first else { return response.header }
            try await waitDelete(of: last.key, from: response.header.revision)
        }
    }

    /// etcd's waitDelete: returns once `key` is deleted at or after `revision`, or once the store
    /// dropped the watch for falling behind (the caller reads again either way).
    private func waitDelete(of key: Data, from revision: Int64) async throws(EtcdAPIError) {
        var watch = try ConcurrencyWatch(api: self, range: KeyRange(key: [UInt8](key)), from: revision)
        while let events = try await watch.next() {
            if events.contains(where: { $0.kind == .delete }) { return }
        }
    }

    /// The newest version of `key` at `revision`, with its value.
    func keyValue(_ key: Data, at revision: Int64, credentials: Credentials) async throws(EtcdAPIError) -> Mvccpb_KeyValue? {
        var request = Etcdserverpb_RangeRequest()
        request.key = key
        request.revision = revision
        return try await range(request, credentials: credentials).kvs.first
    }

    /// A read of the keys under `prefix` by create revision, the first only and without values:
    /// the values of the other holders and candidates are never copied.
    private func keysUnder(_ prefix: Data) -> Etcdserverpb_RangeRequest {
        var request = Etcdserverpb_RangeRequest()
        request.key = prefix
        request.rangeEnd = Data(KeyRange.prefix([UInt8](prefix)).rangeEnd)
        request.sortTarget = .create
        request.limit = 1
        request.keysOnly = true
        return request
    }

    /// Runs `body`, a lock or election call, answering its errors as etcd's lock and election
    /// servers do: they return what their embedded client returned, an error without a gRPC
    /// status, which gRPC sends as Unknown with the error's text.
    func asEmbeddedClient<T>(_ body: () async throws(EtcdAPIError) -> T) async throws(EtcdAPIError) -> T {
        do {
            return try await body()
        } catch {
            switch error.code {
            case .unknown, .cancelled: throw error
            default: throw .other(error.description)
            }
        }
    }
}
