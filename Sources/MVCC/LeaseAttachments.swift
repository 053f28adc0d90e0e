/// Which live keys each lease holds, kept as puts and deletes happen so that revoking a lease
/// finds its keys without visiting the whole store. A key belongs to the lease its live value
/// was put with; a put with another lease (or none) or a delete takes it away.
struct LeaseAttachments {
    private(set) var keysByLease: [Int64: Set<StoreKey>] = [:]

    /// Records that `key`'s live value moved from lease `old` to lease `new` (0: no lease).
    mutating func move(_ bytes: [UInt8], from old: Int64, to new: Int64) {
        guard old != new else { return }
        let key = StoreKey(bytes)
        if old != 0 {
            keysByLease[old]?.remove(key)
            if keysByLease[old]?.isEmpty == true { keysByLease[old] = nil }
        }
        if new != 0 { keysByLease[new, default: []].insert(key) }
    }

    /// The keys attached to `lease`, in key order.
    func keys(of lease: Int64) -> [[UInt8]] {
        guard let keys = keysByLease[lease] else { return [] }
        return keys.map(\.bytes).sorted { $0.bytesPrecede($1) }
    }

    init() {}
}

extension MVCCStore {
    /// The live keys put with `lease`, in key order: what revoking it deletes.
    public func keys(attachedTo lease: Int64) -> [[UInt8]] {
        leaseAttachments.keys(of: lease)
    }

    /// Every lease named by a put that `request` would run, given the store as it is now: the
    /// branch its compares choose, and the branches nested transactions would choose (their
    /// compares are read as the store is before the transaction, as etcd's apply checks them).
    public func leasesPut(by request: TxnRequest) -> [Int64] {
        // Most transactions name no lease: their compares are not read twice.
        guard Self.namesLease(request) else { return [] }
        var leases: [Int64] = []
        collectLeases(request, into: &leases)
        return leases
    }

    private static func namesLease(_ request: TxnRequest) -> Bool {
        func names(_ op: RequestOp) -> Bool {
            switch op {
            case .put(let put): put.lease != 0
            case .txn(let nested): namesLease(nested)
            case .range, .deleteRange: false
            }
        }
        return request.success.contains(where: names) || request.failure.contains(where: names)
    }

    private func collectLeases(_ request: TxnRequest, into leases: inout [Int64]) {
        let branch = request.compare.allSatisfy { holds($0, atMain: currentRevision) } ? request.success : request.failure
        for op in branch {
            switch op {
            case .put(let put) where put.lease != 0: leases.append(put.lease)
            case .txn(let nested): collectLeases(nested, into: &leases)
            default: break
            }
        }
    }
}
