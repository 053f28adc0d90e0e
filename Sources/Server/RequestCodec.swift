import ByteCoding
import MVCC
import Raft

/// The bytes of a request in a Raft entry.
///
/// Layout: version (1), id (8), username, auth revision (8), operation kind (1), operation.
/// Byte strings are length-prefixed (`ByteWriter`). Decoding checks every length and count, so a
/// corrupt entry is an error that names its offset, never a crash or a huge allocation.
extension InternalRequest {
    static let encodingVersion: UInt8 = 1
    /// etcd's default limit on operations in one transaction.
    public static let maxTxnOps = 128
    /// Nesting deeper than this is refused rather than recursed into.
    static let maxTxnDepth = 8

    public func encoded() -> [UInt8] {
        var out = ByteWriter(capacity: 64 + Self.payloadEstimate(operation))
        out.uint8(Self.encodingVersion)
        out.uint64(id)
        out.lengthPrefixed(Array(username.utf8))
        out.uint64(authRevision)
        switch operation {
        case .put(let put):
            out.uint8(1)
            Self.encode(put, into: &out)
        case .deleteRange(let delete):
            out.uint8(2)
            Self.encode(delete, into: &out)
        case .txn(let txn):
            out.uint8(3)
            Self.encode(txn, into: &out)
        case .compact(let revision):
            out.uint8(4)
            out.int64(revision)
        case .auth(let operation):
            out.uint8(5)
            operation.encode(into: &out)
        case .leaseGrant(let id, let ttlSeconds):
            out.uint8(6)
            out.int64(id)
            out.int64(ttlSeconds)
        case .leaseRevoke(let id):
            out.uint8(7)
            out.int64(id)
        case .alarm(let operation):
            out.uint8(Self.alarmKind)
            Self.encode(operation, into: &out)
        }
        return out.buffer
    }

    /// The request id of encoded bytes without decoding the rest (the apply path's fast check).
    public static func peekID(_ data: [UInt8]) -> UInt64? {
        guard data.count >= 9, data[0] == encodingVersion else { return nil }
        var reader = ByteReader(data, offset: 1)
        return try? reader.uint64()
    }

    public init(decoding data: [UInt8]) throws(DecodingError) {
        var input = ByteReader(data)
        let version = try input.uint8()
        guard version == Self.encodingVersion else { throw DecodingError(offset: 0, reason: "unknown request version \(version)") }
        let id = try input.uint64()
        let username = String(decoding: try input.lengthPrefixed(), as: UTF8.self)
        let authRevision = try input.uint64()
        let kind = try input.uint8()
        let operation: Operation
        switch kind {
        case 1: operation = .put(try Self.decodePut(&input))
        case 2: operation = .deleteRange(try Self.decodeDelete(&input))
        case 3: operation = .txn(try Self.decodeTxn(&input, depth: 0))
        case 4: operation = .compact(revision: try input.int64())
        case 5: operation = .auth(try AuthOperation(decoding: &input))
        case 6: operation = .leaseGrant(id: try input.int64(), ttlSeconds: try input.int64())
        case 7: operation = .leaseRevoke(id: try input.int64())
        case Self.alarmKind: operation = .alarm(try Self.decodeAlarm(&input))
        default: throw DecodingError(offset: input.offset - 1, reason: "unknown operation kind \(kind)")
        }
        try input.expectEnd()
        self.init(id: id, username: username, authRevision: authRevision, operation: operation)
    }

    private static func payloadEstimate(_ operation: Operation) -> Int {
        if case .put(let put) = operation { return put.key.count + put.value.count }
        return 64
    }

    // MARK: Encoding

    private static func encode(_ put: PutRequest, into out: inout ByteWriter) {
        out.lengthPrefixed(put.key)
        out.lengthPrefixed(put.value)
        out.int64(put.lease)
        out.uint8((put.prevKV ? putPrevKV : 0) | (put.ignoreLease ? putIgnoreLease : 0))
    }

    /// The flags byte of a put (a plain boolean, prevKV, before ignoreLease was kept).
    private static let putPrevKV: UInt8 = 1
    private static let putIgnoreLease: UInt8 = 2

    private static func encode(_ delete: DeleteRangeRequest, into out: inout ByteWriter) {
        out.lengthPrefixed(delete.range.key)
        out.lengthPrefixed(delete.range.rangeEnd)
        out.bool(delete.prevKV)
    }

    private static func encode(_ range: RangeRequest, into out: inout ByteWriter) {
        out.lengthPrefixed(range.range.key)
        out.lengthPrefixed(range.range.rangeEnd)
        out.int64(range.limit)
        out.int64(range.revision)
        out.bool(range.keysOnly)
        out.bool(range.countOnly)
    }

    private static func encode(_ txn: TxnRequest, into out: inout ByteWriter) {
        out.uint64(UInt64(txn.compare.count))
        for compare in txn.compare {
            out.lengthPrefixed(compare.range.key)
            out.lengthPrefixed(compare.range.rangeEnd)
            switch compare.target {
            case .value(let v):
                out.uint8(0)
                out.lengthPrefixed(v)
            case .version(let v):
                out.uint8(1)
                out.int64(v)
            case .createRevision(let v):
                out.uint8(2)
                out.int64(v)
            case .modRevision(let v):
                out.uint8(3)
                out.int64(v)
            case .lease(let v):
                out.uint8(4)
                out.int64(v)
            }
            switch compare.result {
            case .equal: out.uint8(0)
            case .greater: out.uint8(1)
            case .less: out.uint8(2)
            case .notEqual: out.uint8(3)
            }
        }
        for branch in [txn.success, txn.failure] {
            out.uint64(UInt64(branch.count))
            for op in branch {
                switch op {
                case .range(let range):
                    out.uint8(0)
                    encode(range, into: &out)
                case .put(let put):
                    out.uint8(1)
                    encode(put, into: &out)
                case .deleteRange(let delete):
                    out.uint8(2)
                    encode(delete, into: &out)
                case .txn(let nested):
                    out.uint8(3)
                    encode(nested, into: &out)
                }
            }
        }
    }

    // MARK: Decoding

    private static func decodePut(_ input: inout ByteReader) throws(DecodingError) -> PutRequest {
        let key = try input.lengthPrefixed()
        let value = try input.lengthPrefixed()
        let lease = try input.int64()
        let flags = try input.uint8()
        guard flags & ~(putPrevKV | putIgnoreLease) == 0 else { throw DecodingError(offset: input.offset - 1, reason: "put flags \(flags)") }
        let ignoreLease = flags & putIgnoreLease != 0
        if ignoreLease && lease != 0 { throw DecodingError(offset: input.offset - 9, reason: "a put that keeps its key's lease names lease \(lease)") }
        return PutRequest(key: key, value: value, lease: lease, prevKV: flags & putPrevKV != 0, ignoreLease: ignoreLease)
    }

    private static func decodeDelete(_ input: inout ByteReader) throws(DecodingError) -> DeleteRangeRequest {
        DeleteRangeRequest(range: KeyRange(key: try input.lengthPrefixed(), rangeEnd: try input.lengthPrefixed()),
                           prevKV: try input.bool())
    }

    private static func decodeRange(_ input: inout ByteReader) throws(DecodingError) -> RangeRequest {
        RangeRequest(range: KeyRange(key: try input.lengthPrefixed(), rangeEnd: try input.lengthPrefixed()),
                     limit: try input.int64(), revision: try input.int64(),
                     keysOnly: try input.bool(), countOnly: try input.bool())
    }

    private static func count(_ input: inout ByteReader, of what: String) throws(DecodingError) -> Int {
        let n = try input.uint64()
        guard n <= UInt64(maxTxnOps) else {
            throw DecodingError(offset: input.offset - 8, reason: "\(n) \(what), more than the limit of \(maxTxnOps)")
        }
        return Int(n)
    }

    private static func decodeTxn(_ input: inout ByteReader, depth: Int) throws(DecodingError) -> TxnRequest {
        guard depth < maxTxnDepth else { throw input.error("transactions nested deeper than \(maxTxnDepth)") }
        var txn = TxnRequest()
        for _ in 0..<(try count(&input, of: "compares")) {
            let range = KeyRange(key: try input.lengthPrefixed(), rangeEnd: try input.lengthPrefixed())
            let targetKind = try input.uint8()
            let target: Compare.Target
            switch targetKind {
            case 0: target = .value(try input.lengthPrefixed())
            case 1: target = .version(try input.int64())
            case 2: target = .createRevision(try input.int64())
            case 3: target = .modRevision(try input.int64())
            case 4: target = .lease(try input.int64())
            default: throw DecodingError(offset: input.offset - 1, reason: "unknown compare target \(targetKind)")
            }
            let resultKind = try input.uint8()
            let result: Compare.Result
            switch resultKind {
            case 0: result = .equal
            case 1: result = .greater
            case 2: result = .less
            case 3: result = .notEqual
            default: throw DecodingError(offset: input.offset - 1, reason: "unknown compare result \(resultKind)")
            }
            txn.compare.append(Compare(range: range, target: target, result: result))
        }
        for branch in 0..<2 {
            var ops: [RequestOp] = []
            for _ in 0..<(try count(&input, of: "operations")) {
                let kind = try input.uint8()
                switch kind {
                case 0: ops.append(.range(try decodeRange(&input)))
                case 1: ops.append(.put(try decodePut(&input)))
                case 2: ops.append(.deleteRange(try decodeDelete(&input)))
                case 3: ops.append(.txn(try decodeTxn(&input, depth: depth + 1)))
                default: throw DecodingError(offset: input.offset - 1, reason: "unknown operation kind \(kind)")
                }
            }
            if branch == 0 { txn.success = ops } else { txn.failure = ops }
        }
        return txn
    }
}
