/// A read of keys at a revision.
public struct RangeRequest: Sendable, Hashable {
    public var range: KeyRange
    /// At most this many keys are returned; 0 means no limit.
    public var limit: Int64
    /// The store revision to read at; 0 or less means the current one.
    public var revision: Int64
    public var keysOnly: Bool
    public var countOnly: Bool

    public init(range: KeyRange, limit: Int64 = 0, revision: Int64 = 0, keysOnly: Bool = false, countOnly: Bool = false) {
        self.range = range
        self.limit = limit
        self.revision = revision
        self.keysOnly = keysOnly
        self.countOnly = countOnly
    }
}

public struct RangeResult: Sendable, Hashable {
    public var kvs: [KeyValue]
    /// How many keys the range holds, regardless of the limit.
    public var count: Int64
    /// Whether the limit left keys out.
    public var more: Bool
    /// The revision the read saw: the store's current revision.
    public var revision: Int64
}

public struct PutRequest: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var lease: Int64
    public var prevKV: Bool
    /// Keep the lease of the key's live value (etcd's ignore_lease); the key must have one.
    public var ignoreLease: Bool

    public init(key: [UInt8], value: [UInt8], lease: Int64 = 0, prevKV: Bool = false, ignoreLease: Bool = false) {
        precondition(!(ignoreLease && lease != 0), "a put that keeps the key's lease names none of its own")
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreLease = ignoreLease
    }
}

public struct PutResult: Sendable, Hashable {
    public var prevKV: KeyValue?
    public var revision: Int64
}

public struct DeleteRangeRequest: Sendable, Hashable {
    public var range: KeyRange
    public var prevKV: Bool

    public init(range: KeyRange, prevKV: Bool = false) {
        self.range = range
        self.prevKV = prevKV
    }
}

public struct DeleteRangeResult: Sendable, Hashable {
    public var deleted: Int64
    public var prevKVs: [KeyValue]
    public var revision: Int64
}

/// A condition of a transaction on the keys of `range` (every key in it must satisfy it).
public struct Compare: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        case value([UInt8])
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case lease(Int64)
    }

    public enum Result: Sendable, Hashable {
        case equal
        case greater
        case less
        case notEqual
    }

    public var range: KeyRange
    public var target: Target
    public var result: Result

    public init(range: KeyRange, target: Target, result: Result) {
        self.range = range
        self.target = target
        self.result = result
    }
}

public indirect enum RequestOp: Sendable, Hashable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
}

public indirect enum ResponseOp: Sendable, Hashable {
    case range(RangeResult)
    case put(PutResult)
    case deleteRange(DeleteRangeResult)
    case txn(TxnResult)
}

/// If every compare holds, run `success`, otherwise `failure`, atomically at one revision.
public struct TxnRequest: Sendable, Hashable {
    public var compare: [Compare]
    public var success: [RequestOp]
    public var failure: [RequestOp]

    public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

public struct TxnResult: Sendable, Hashable {
    public var succeeded: Bool
    public var responses: [ResponseOp]
    public var revision: Int64
}
