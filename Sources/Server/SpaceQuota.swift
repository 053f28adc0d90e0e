import MVCC

/// etcd's space quota (etcdserver/quota.go): what a request is charged against the store's
/// size, and whether it fits. The size is the store's `allocatedBytes`, what Status reports as
/// dbSize; a request fits while that plus its cost stays below the quota.
public struct SpaceQuota: Sendable, Hashable {
    /// etcd's default `--quota-backend-bytes`: 2 GiB.
    public static let etcdDefaultBytes: Int64 = 2 * 1024 * 1024 * 1024
    /// etcd's estimate of what storing a key's metadata costs (kvOverhead).
    static let keyOverheadBytes = 256
    /// etcd's estimate of what storing a lease costs (leaseOverhead).
    static let leaseOverheadBytes = 64

    /// The quota; negative turns it off, as etcd's does.
    public var bytes: Int64

    public init(bytes: Int64 = SpaceQuota.etcdDefaultBytes) {
        self.bytes = bytes
    }

    public var isEnabled: Bool { bytes >= 0 }

    /// Whether a request costing `costBytes` fits in a store of `sizeBytes`. Requests that add no
    /// data always fit.
    public func fits(costBytes: Int, sizeBytes: Int) -> Bool {
        !isEnabled || costBytes == 0 || Int64(sizeBytes) + Int64(costBytes) < bytes
    }

    /// What `operation` is charged: a put its key, value and a fixed overhead; a transaction
    /// the costlier of its two branches' puts (nested transactions included); a lease grant a
    /// fixed overhead; nothing else adds data.
    public static func cost(of operation: InternalRequest.Operation) -> Int {
        switch operation {
        case .put(let put): cost(of: put)
        case .txn(let txn): cost(of: txn)
        case .leaseGrant: leaseOverheadBytes
        default: 0
        }
    }

    static func cost(of put: PutRequest) -> Int {
        keyOverheadBytes + put.key.count + put.value.count
    }

    static func cost(of txn: TxnRequest) -> Int {
        func branch(_ ops: [RequestOp]) -> Int {
            ops.reduce(0) { total, op in
                switch op {
                case .put(let put): total + cost(of: put)
                case .txn(let nested): total + cost(of: nested)
                case .range, .deleteRange: total
                }
            }
        }
        return max(branch(txn.success), branch(txn.failure))
    }
}
