/// What a client asked of one key.
public enum KVInput: Sendable, Hashable {
    case get
    case put(String)
    case delete
    /// A transaction: if the key holds `expected` (nil: the key is absent), put `new`; otherwise
    /// read the key.
    case compareAndSet(expected: String?, new: String)
}

/// What the client was told.
public enum KVOutput: Sendable, Hashable {
    /// The value a get saw (nil: no such key).
    case value(String?)
    case ok
    /// Whether a delete found the key.
    case deleted(Bool)
    /// Whether the compare held, and when it did not, the value the failure branch read.
    case compareAndSet(succeeded: Bool, current: String?)
    /// A timeout, a crash or a lost answer: the operation may or may not have taken effect.
    case unknown
}

/// One client operation on one key: its call and its answer, in the order events happened.
public struct KVOperation: Sendable, Hashable {
    /// What completion time an operation whose outcome is unknown gets: it may take effect at
    /// any time after its call, or never.
    public static let never = UInt64.max

    public var client: Int
    public var key: String
    public var input: KVInput
    public var output: KVOutput
    /// When the client called and when it heard back, on one clock shared by every client;
    /// `never` when it did not hear back for sure.
    public var invokedAt: UInt64
    public var completedAt: UInt64
    /// The revision in the response header, when there was a response.
    public var revision: Int64?
    /// For a get that found the key: the revision of the write that set its value.
    public var modRevision: Int64?

    public init(client: Int, key: String, input: KVInput, output: KVOutput, invokedAt: UInt64, completedAt: UInt64,
                revision: Int64? = nil, modRevision: Int64? = nil) {
        self.client = client
        self.key = key
        self.input = input
        self.output = output
        self.invokedAt = invokedAt
        self.completedAt = completedAt
        self.revision = revision
        self.modRevision = modRevision
    }

    public var isUnknown: Bool { output == .unknown }

    /// Whether the operation, as answered, changed the key.
    public var wrote: Bool {
        switch (input, output) {
        case (.put, .ok), (.delete, .deleted(true)), (.compareAndSet, .compareAndSet(succeeded: true, _)): true
        default: false
        }
    }

    /// A line a person can read, e.g. `[  12,  18] c2 put k1 = 7 -> ok`.
    public var description: String {
        let end = completedAt == Self.never ? "∞" : "\(completedAt)"
        let call: String
        switch input {
        case .get: call = "get \(key)"
        case .put(let v): call = "put \(key) = \(v)"
        case .delete: call = "delete \(key)"
        case .compareAndSet(let expected, let new): call = "cas \(key) if \(expected ?? "absent") then \(new)"
        }
        let answer: String
        switch output {
        case .value(let v): answer = v ?? "absent"
        case .ok: answer = "ok"
        case .deleted(let found): answer = found ? "deleted" : "not found"
        case .compareAndSet(true, _): answer = "succeeded"
        case .compareAndSet(false, let current): answer = "failed, saw \(current ?? "absent")"
        case .unknown: answer = "unknown"
        }
        let revision = revision.map { " @\($0)" } ?? ""
        return "[\(String(invokedAt).leftPadded(5)), \(end.leftPadded(5))] c\(client) \(call) -> \(answer)\(revision)"
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// Every operation of a run, grouped by key for checking.
public struct History: Sendable {
    public private(set) var operations: [KVOperation] = []

    public init(_ operations: [KVOperation] = []) {
        self.operations = operations
    }

    public mutating func append(_ operation: KVOperation) {
        operations.append(operation)
    }

    /// FNV-1a over every operation as printed, in the order they were recorded.
    public var digest: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for op in operations {
            for byte in (op.description + "\n").utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        return hash
    }

    /// The operations on each key, keys in order.
    public var byKey: [(key: String, operations: [KVOperation])] {
        Dictionary(grouping: operations, by: \.key).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
