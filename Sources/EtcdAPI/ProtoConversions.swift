import Foundation
import MVCC
import Server

// Conversions between etcd's wire messages and the store's requests and results. Requests are
// checked as etcd's API checks them (api/v3rpc/key.go) before they reach a member.

/// etcd's default --max-txn-ops: the most compares or operations in one branch of a transaction.
let maxTxnOps = 128

extension KeyRange {
    init(key: Data, rangeEnd: Data) {
        self.init(key: [UInt8](key), rangeEnd: [UInt8](rangeEnd))
    }
}

extension Mvccpb_KeyValue {
    init(_ kv: KeyValue) {
        self.init()
        key = Data(kv.key)
        value = Data(kv.value)
        createRevision = kv.createRevision
        modRevision = kv.modRevision
        version = kv.version
        lease = kv.lease
    }
}

extension Mvccpb_Event {
    init(_ event: WatchEvent) {
        self.init()
        type = event.kind == .put ? .put : .delete
        kv = Mvccpb_KeyValue(event.kv)
        if let prev = event.prevKV { prevKv = Mvccpb_KeyValue(prev) }
    }
}

extension Etcdserverpb_RangeRequest {
    /// Whether the store's own order and limit answer the request, or every key must be read
    /// and then filtered, sorted and cut here (etcd's applier does the same).
    var needsPostProcessing: Bool {
        let sorted = sortOrder != .none || sortTarget != .key
        return sorted || minModRevision != 0 || maxModRevision != 0 || minCreateRevision != 0 || maxCreateRevision != 0
    }

    func checked() throws(EtcdAPIError) -> RangeRequest {
        guard !key.isEmpty else { throw .emptyKey }
        if case .UNRECOGNIZED(let raw) = sortOrder { throw .invalidArgument("etcdserver: unknown sort order \(raw)") }
        if case .UNRECOGNIZED(let raw) = sortTarget { throw .invalidArgument("etcdserver: unknown sort target \(raw)") }
        return RangeRequest(range: KeyRange(key: key, rangeEnd: rangeEnd), limit: needsPostProcessing ? 0 : limit,
                            revision: revision, keysOnly: keysOnly, countOnly: countOnly && !needsPostProcessing)
    }

    /// The response for what the store returned: filters by revision, sorts and applies the
    /// limit when the store could not.
    func response(from result: RangeResult) -> Etcdserverpb_RangeResponse {
        var kvs = result.kvs
        var count = result.count
        var more = result.more
        if needsPostProcessing {
            kvs.removeAll { kv in
                (minModRevision != 0 && kv.modRevision < minModRevision)
                    || (maxModRevision != 0 && kv.modRevision > maxModRevision)
                    || (minCreateRevision != 0 && kv.createRevision < minCreateRevision)
                    || (maxCreateRevision != 0 && kv.createRevision > maxCreateRevision)
            }
            sort(&kvs)
            count = Int64(kvs.count)
            more = false
            if countOnly {
                kvs = []
            } else if limit > 0 && kvs.count > Int(limit) {
                kvs.removeSubrange(Int(limit)...)
                more = true
            }
        }
        var response = Etcdserverpb_RangeResponse()
        response.kvs = kvs.map(Mvccpb_KeyValue.init)
        response.count = count
        response.more = more
        return response
    }

    private func sort(_ kvs: inout [KeyValue]) {
        // The store returns keys in ascending order; another target sorts ascending unless told.
        let order: SortOrder = sortOrder == .none && sortTarget != .key ? .ascend : sortOrder
        guard order != .none else { return }
        func before(_ a: KeyValue, _ b: KeyValue) -> Bool {
            switch sortTarget {
            case .key, .UNRECOGNIZED: a.key.lexicographicallyPrecedes(b.key)
            case .version: a.version < b.version
            case .create: a.createRevision < b.createRevision
            case .mod: a.modRevision < b.modRevision
            case .value: a.value.lexicographicallyPrecedes(b.value)
            }
        }
        // A stable sort keeps keys in order among equal targets, as etcd's does.
        let indexed = kvs.enumerated().sorted { x, y in
            let (a, b) = order == .ascend ? (x.element, y.element) : (y.element, x.element)
            if before(a, b) { return true }
            if before(b, a) { return false }
            return x.offset < y.offset
        }
        kvs = indexed.map(\.element)
    }
}

extension Etcdserverpb_PutRequest {
    func checked() throws(EtcdAPIError) -> PutRequest {
        guard !key.isEmpty else { throw .emptyKey }
        if ignoreValue && !value.isEmpty { throw .valueProvided }
        if ignoreLease && lease != 0 { throw .leaseProvided }
        return PutRequest(key: [UInt8](key), value: [UInt8](value), lease: lease, prevKV: prevKv, ignoreLease: ignoreLease)
    }
}

extension Etcdserverpb_DeleteRangeRequest {
    func checked() throws(EtcdAPIError) -> DeleteRangeRequest {
        guard !key.isEmpty else { throw .emptyKey }
        return DeleteRangeRequest(range: KeyRange(key: key, rangeEnd: rangeEnd), prevKV: prevKv)
    }
}

extension Etcdserverpb_Compare {
    func checked() throws(EtcdAPIError) -> Compare {
        guard !key.isEmpty else { throw .emptyKey }
        let compareTarget: Compare.Target
        switch target {
        case .version: compareTarget = .version(version)
        case .create: compareTarget = .createRevision(createRevision)
        case .mod: compareTarget = .modRevision(modRevision)
        case .value: compareTarget = .value([UInt8](value))
        case .lease: compareTarget = .lease(lease)
        case .UNRECOGNIZED(let raw): throw .invalidArgument("etcdserver: unknown compare target \(raw)")
        }
        let compareResult: Compare.Result
        switch result {
        case .equal: compareResult = .equal
        case .greater: compareResult = .greater
        case .less: compareResult = .less
        case .notEqual: compareResult = .notEqual
        case .UNRECOGNIZED(let raw): throw .invalidArgument("etcdserver: unknown compare result \(raw)")
        }
        return Compare(range: KeyRange(key: key, rangeEnd: rangeEnd), target: compareTarget, result: compareResult)
    }
}

extension Etcdserverpb_TxnRequest {
    /// The transaction as the store runs it, refused as etcd refuses it: too many operations,
    /// an empty key anywhere, a nested request that is itself refused.
    func checked(maxOps: Int = maxTxnOps) throws(EtcdAPIError) -> TxnRequest {
        let ops = Swift.max(compare.count, success.count, failure.count)
        if ops > maxOps { throw .tooManyOps }
        var request = TxnRequest()
        for c in compare { request.compare.append(try c.checked()) }
        for op in success { request.success.append(try op.checked(maxOps: maxOps - ops)) }
        for op in failure { request.failure.append(try op.checked(maxOps: maxOps - ops)) }
        return request
    }
}

extension Etcdserverpb_RequestOp {
    func checked(maxOps: Int) throws(EtcdAPIError) -> RequestOp {
        switch request {
        case .requestRange(let range)?:
            return .range(try range.checked())
        case .requestPut(let put)?:
            if put.ignoreValue { throw .invalidArgument("etcdserver: ignore_value is not supported inside a txn") }
            return .put(try put.checked())
        case .requestDeleteRange(let delete)?: return .deleteRange(try delete.checked())
        case .requestTxn(let txn)?: return .txn(try txn.checked(maxOps: maxOps))
        case nil: throw .invalidArgument("etcdserver: txn operation has no request")
        }
    }
}

extension Etcdserverpb_ResponseOp {
    /// One result of a transaction; each carries a header with only its revision, as etcd's do.
    /// `request` is the operation it answers: a range's sort, filters and limit are applied here,
    /// as for a Range on its own (clientv3's Mutex asks for the first key by create revision).
    init(_ op: ResponseOp, revision: Int64, request: Etcdserverpb_RequestOp? = nil) {
        self.init()
        var header = Etcdserverpb_ResponseHeader()
        header.revision = revision
        switch op {
        case .range(let result):
            var r: Etcdserverpb_RangeResponse
            if case .requestRange(let asked)? = request?.request {
                r = asked.response(from: result)
            } else {
                r = Etcdserverpb_RangeResponse()
                r.kvs = result.kvs.map(Mvccpb_KeyValue.init)
                r.count = result.count
                r.more = result.more
            }
            r.header = header
            response = .responseRange(r)
        case .put(let result):
            var r = Etcdserverpb_PutResponse()
            r.header = header
            if let prev = result.prevKV { r.prevKv = Mvccpb_KeyValue(prev) }
            response = .responsePut(r)
        case .deleteRange(let result):
            var r = Etcdserverpb_DeleteRangeResponse()
            r.header = header
            r.deleted = result.deleted
            r.prevKvs = result.prevKVs.map(Mvccpb_KeyValue.init)
            response = .responseDeleteRange(r)
        case .txn(let result):
            var r = Etcdserverpb_TxnResponse()
            r.header = header
            r.succeeded = result.succeeded
            var asked: Etcdserverpb_TxnRequest?
            if case .requestTxn(let nested)? = request?.request { asked = nested }
            r.responses = Self.responses(result, revision: revision, request: asked)
            response = .responseTxn(r)
        }
    }

    /// The results of a transaction's taken branch, each with the operation it answers.
    static func responses(_ result: TxnResult, revision: Int64, request: Etcdserverpb_TxnRequest?) -> [Etcdserverpb_ResponseOp] {
        let asked = request.map { result.succeeded ? $0.success : $0.failure } ?? []
        return result.responses.enumerated().map { i, op in
            Etcdserverpb_ResponseOp(op, revision: revision, request: i < asked.count ? asked[i] : nil)
        }
    }
}
