import MVCC
import Raft

/// What a member proposes through Raft: etcd's InternalRaftRequest, a header and one operation.
public struct InternalRequest: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        case put(PutRequest)
        case deleteRange(DeleteRangeRequest)
        case txn(TxnRequest)
        case compact(revision: Int64)
        case auth(AuthOperation)
    }

    /// Unique per request (see `RequestIDGenerator`); the proposer waits on it.
    public var id: UInt64
    /// Who asked, when auth is on (empty otherwise), and the auth revision the request was checked at.
    public var username: String
    public var authRevision: UInt64
    public var operation: Operation

    public init(id: UInt64, username: String = "", authRevision: UInt64 = 0, operation: Operation) {
        self.id = id
        self.username = username
        self.authRevision = authRevision
        self.operation = operation
    }

    /// A short description for logs and the WAL view, e.g. `put k42 = 256 B`.
    public var summary: String {
        switch operation {
        case .put(let put): "put \(printable(put.key)) = \(put.value.count) B"
        case .deleteRange(let delete): "delete \(printable(delete.range.key))\(delete.range.isSingleKey ? "" : "..")"
        case .txn(let txn): "txn \(txn.compare.count) cmp, \(txn.success.count)/\(txn.failure.count) ops"
        case .compact(let revision): "compact @\(revision)"
        case .auth(let operation): operation.summary
        }
    }
}

/// A key as a person can read it: UTF-8 text when it is printable, hex otherwise, cut at 24 characters.
public func printable(_ key: [UInt8]) -> String {
    let isText = key.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
    let text = isText ? String(decoding: key, as: UTF8.self) : "0x" + key.map { String($0, radix: 16).leftPadded(2) }.joined()
    return text.count > 24 ? String(text.prefix(23)) + "…" : text
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
