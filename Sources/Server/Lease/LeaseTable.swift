import ByteCoding
import Raft

/// The leases granted and not yet revoked, as every member applies them from the log: each
/// lease's id and the TTL it was granted with. When a lease runs out is not here (see
/// `LeaseClock`): only the leader keeps time, and it ends a lease by proposing its revoke.
public struct LeaseTable: Sendable, Hashable {
    /// etcd's MaxLeaseTTL, in seconds.
    public static let maxTTLSeconds: Int64 = 9_000_000_000
    /// A snapshot holding more leases than this is refused as corrupt rather than allocated.
    static let snapshotLeasesMax = 1 << 24

    /// Granted TTL in seconds, by lease id.
    public private(set) var ttlSeconds: [Int64: Int64] = [:]

    public init() {}

    public func contains(_ id: Int64) -> Bool { ttlSeconds[id] != nil }

    public var count: Int { ttlSeconds.count }

    /// The lease ids, in increasing order.
    public var ids: [Int64] { ttlSeconds.keys.sorted() }

    public mutating func grant(id: Int64, ttlSeconds ttl: Int64) throws(LeaseError) {
        precondition(id != 0, "lease id 0 means no lease and is never granted")
        guard ttl <= Self.maxTTLSeconds else { throw .ttlTooLarge }
        guard ttlSeconds[id] == nil else { throw .exists }
        ttlSeconds[id] = ttl
    }

    mutating func revoke(id: Int64) throws(LeaseError) {
        guard ttlSeconds.removeValue(forKey: id) != nil else { throw .notFound }
    }

    // MARK: Snapshot

    /// Count, then id and TTL of each lease in id order.
    public func snapshotData() -> [UInt8] {
        var out = ByteWriter(capacity: 8 + 16 * ttlSeconds.count)
        out.uint64(UInt64(ttlSeconds.count))
        for id in ids {
            out.int64(id)
            out.int64(ttlSeconds[id]!)
        }
        return out.buffer
    }

    public init(snapshotData data: [UInt8]) throws(DecodingError) {
        var input = ByteReader(data)
        let count = try input.uint64()
        guard count <= UInt64(Self.snapshotLeasesMax), count * 16 <= UInt64(data.count) else {
            throw input.error("\(count) leases in \(data.count) bytes")
        }
        for _ in 0..<count {
            let id = try input.int64()
            let ttl = try input.int64()
            guard id != 0, ttl >= 0, ttl <= Self.maxTTLSeconds else { throw input.error("lease \(id) with TTL \(ttl)") }
            guard ttlSeconds.updateValue(ttl, forKey: id) == nil else { throw input.error("lease \(id) twice") }
        }
        try input.expectEnd()
    }
}
