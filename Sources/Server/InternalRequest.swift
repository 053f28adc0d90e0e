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
        /// etcd's LeaseGrant: `id` is chosen by the proposer, never 0.
        case leaseGrant(id: Int64, ttlSeconds: Int64)
        /// etcd's LeaseRevoke, also what the leader proposes when a lease expires.
        case leaseRevoke(id: Int64)
        case alarm(AlarmOperation)
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
        case .leaseGrant(let id, let ttl): "lease grant \(LeaseID.hex(id)) ttl \(ttl)s"
        case .leaseRevoke(let id): "lease revoke \(LeaseID.hex(id))"
        case .alarm(let operation): operation.summary
        }
    }
}

/// A key as a person can read it: UTF-8 text when it is printable, hex otherwise, cut at 24 characters.
public func printable(_ key: [UInt8]) -> String {
    // Every put's trace names its key: only the bytes that can show are formatted.
    let isText = key.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
    if isText {
        return key.count > 24 ? String(decoding: key.prefix(23), as: UTF8.self) + "…" : String(decoding: key, as: UTF8.self)
    }
    let hexDigits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = Array("0x".utf8)
    for byte in key.prefix(11) {
        text.append(hexDigits[Int(byte >> 4)])
        text.append(hexDigits[Int(byte & 0x0f)])
    }
    // "0x" and 11 bytes are 24 characters: one more byte would not fit.
    return key.count > 11 ? String(decoding: text.prefix(23), as: UTF8.self) + "…" : String(decoding: text, as: UTF8.self)
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
