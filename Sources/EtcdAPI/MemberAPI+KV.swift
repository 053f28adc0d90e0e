import MVCC
import Server

/// etcd's KV service: Range, Put, DeleteRange, Txn, Compact.
extension MemberAPI {
    public func range(_ request: Etcdserverpb_RangeRequest, credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_RangeResponse {
        let checked = try request.checked()
        let response = try await member().read(checked, serializable: request.serializable, credentials: credentials)
        guard case .range(let result) = response.outcome else { throw unexpected(response.outcome) }
        var out = request.response(from: result)
        out.header = header(response.header)
        return out
    }

    public func put(_ request: Etcdserverpb_PutRequest, credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_PutResponse {
        if request.ignoreValue { return try await putKeepingValue(try request.checked(), credentials: credentials) }
        let result = await withCheckedContinuation { continuation in
            put(request, credentials: credentials) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// A put (without ignore_value) that calls `completion` from the thread that applied it, or
    /// at once when it is refused: no task and no continuation on the way, which is what the
    /// front server answers puts with.
    public func put(_ request: Etcdserverpb_PutRequest, credentials: Credentials,
                    completion: @escaping @Sendable (Result<Etcdserverpb_PutResponse, EtcdAPIError>) -> Void) {
        precondition(!request.ignoreValue, "a put with ignore_value reads first: use the async put")
        let put: PutRequest
        let member: Member
        do throws(EtcdAPIError) {
            put = try request.checked()
            member = try self.member()
        } catch {
            return completion(.failure(error))
        }
        member.propose(.put(put), credentials: credentials) { [self] result in
            completion(Result { () throws(EtcdAPIError) -> Etcdserverpb_PutResponse in
                let response = try result.get(orThrow: EtcdAPIError.init)
                guard case .put(let applied) = response.outcome else { throw unexpected(response.outcome) }
                var out = Etcdserverpb_PutResponse()
                out.header = header(response.header)
                if let prev = applied.prevKV { out.prevKv = Mvccpb_KeyValue(prev) }
                return out
            })
        }
    }

    /// etcd's put with ignore_value: write the key again with the value it has. The value is read
    /// first and written by a transaction that holds only if the key has not changed since.
    private func putKeepingValue(_ put: PutRequest, credentials: Credentials) async throws(EtcdAPIError) -> Etcdserverpb_PutResponse {
        let attempts = 5
        for _ in 0..<attempts {
            let read = try await member().read(RangeRequest(range: KeyRange(key: put.key)), serializable: false, credentials: credentials)
            guard case .range(let current) = read.outcome else { throw unexpected(read.outcome) }
            guard let kv = current.kvs.first else { throw .keyNotFound }
            var again = put
            again.value = kv.value
            let txn = TxnRequest(compare: [Compare(range: KeyRange(key: put.key), target: .modRevision(kv.modRevision), result: .equal)],
                                 success: [.put(again)])
            let response = try await member().proposed(.txn(txn), credentials: credentials)
            guard case .txn(let result) = response.outcome else { throw unexpected(response.outcome) }
            guard result.succeeded else { continue }
            var out = Etcdserverpb_PutResponse()
            out.header = header(response.header)
            if put.prevKV { out.prevKv = Mvccpb_KeyValue(kv) }
            return out
        }
        throw .other("etcdserver: key kept changing during a put with ignore_value")
    }

    public func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest, credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_DeleteRangeResponse {
        let response = try await member().proposed(.deleteRange(try request.checked()), credentials: credentials)
        guard case .deleteRange(let result) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_DeleteRangeResponse()
        out.header = header(response.header)
        out.deleted = result.deleted
        out.prevKvs = result.prevKVs.map(Mvccpb_KeyValue.init)
        return out
    }

    public func txn(_ request: Etcdserverpb_TxnRequest, credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_TxnResponse {
        let response = try await member().proposed(.txn(try request.checked()), credentials: credentials)
        guard case .txn(let result) = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_TxnResponse()
        out.header = header(response.header)
        out.succeeded = result.succeeded
        out.responses = Etcdserverpb_ResponseOp.responses(result, revision: result.revision, request: request)
        return out
    }

    public func compact(_ request: Etcdserverpb_CompactionRequest, credentials: Credentials = .none) async throws(EtcdAPIError) -> Etcdserverpb_CompactionResponse {
        let response = try await member().proposed(.compact(revision: request.revision), credentials: credentials)
        guard case .compact = response.outcome else { throw unexpected(response.outcome) }
        var out = Etcdserverpb_CompactionResponse()
        out.header = header(response.header)
        return out
    }
}
