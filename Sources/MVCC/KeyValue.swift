/// A point in the store's history: `main` is the store revision a write advanced to, `sub`
/// orders the writes of one transaction.
public struct Revision: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var main: Int64
    public var sub: Int64

    public init(main: Int64, sub: Int64 = 0) {
        self.main = main
        self.sub = sub
    }

    public static func < (lhs: Revision, rhs: Revision) -> Bool {
        lhs.main < rhs.main || (lhs.main == rhs.main && lhs.sub < rhs.sub)
    }

    public var description: String { "\(main)_\(sub)" }
}

/// A key's value at one revision, with etcd's bookkeeping.
public struct KeyValue: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision of the write that created the key (in its current life, since the last delete).
    public var createRevision: Int64
    /// The revision of the write that set this value.
    public var modRevision: Int64
    /// Writes to the key since it was created, 1 for the first.
    public var version: Int64
    public var lease: Int64

    public init(key: [UInt8], value: [UInt8] = [], createRevision: Int64 = 0, modRevision: Int64 = 0,
                version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }
}

/// A change a watcher sees.
public struct WatchEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put
        case delete
    }

    public var kind: Kind
    /// For a delete, the key and the deleting revision (as `modRevision`) only.
    public var kv: KeyValue
    /// The value before this change, when the watcher asked for it and it is still in history.
    public var prevKV: KeyValue?

    public init(kind: Kind, kv: KeyValue, prevKV: KeyValue? = nil) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
    }
}

/// Errors from the store, worded as etcd words them.
public enum MVCCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The revision asked for is at or before the compaction point.
    case compacted(requested: Int64, compactRevision: Int64)
    /// The revision asked for has not happened yet.
    case futureRevision(requested: Int64, currentRevision: Int64)
    /// A key must not be empty.
    case emptyKey
    /// A put that keeps the value's lease (`ignoreLease`) named a key with no value.
    case keyNotFound
    /// A transaction writes the same key twice.
    case duplicateKey([UInt8])
    /// A store snapshot that does not decode.
    case corruptSnapshot(String)

    public var description: String {
        switch self {
        case .compacted: "mvcc: required revision has been compacted"
        case .futureRevision: "mvcc: required revision is a future revision"
        case .emptyKey: "etcdserver: key is not provided"
        case .keyNotFound: "etcdserver: key not found"
        case .duplicateKey: "etcdserver: duplicate key given in txn request"
        case .corruptSnapshot(let why): "mvcc: corrupt snapshot: \(why)"
        }
    }
}
