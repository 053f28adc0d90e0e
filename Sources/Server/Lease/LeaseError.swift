/// What a lease request can fail with, worded as etcd words it.
public enum LeaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No lease with the id: never granted, revoked, or expired.
    case notFound
    /// A grant named an id that is already granted.
    case exists
    /// A grant asked for more than `LeaseTable.maxTTLSeconds`.
    case ttlTooLarge
    /// Only the leader keeps lease clocks: a keep-alive or a time-to-live reached a follower.
    case notPrimary

    public var description: String {
        switch self {
        case .notFound: "etcdserver: requested lease not found"
        case .exists: "etcdserver: lease already exists"
        case .ttlTooLarge: "etcdserver: too large lease TTL"
        case .notPrimary: "etcdserver: not leader"
        }
    }
}

/// How a lease id is shown: etcd and etcdctl print it as lowercase hexadecimal.
public enum LeaseID {
    public static func hex(_ id: Int64) -> String {
        String(UInt64(bitPattern: id), radix: 16)
    }
}
