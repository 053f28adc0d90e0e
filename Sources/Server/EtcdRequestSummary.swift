import WAL

/// What an entry of a real etcd member's WAL holds, in the words rafttop's WAL pane uses for its
/// own members (`put k = 256 B`, `txn 1 cmp, 1/0 ops`, `lease grant 1a2b ttl 60s`): etcd's
/// etcdserverpb.InternalRaftRequest, its v2 etcdserverpb.Request (member attributes and the
/// cluster version in etcd 3.4, summarised as etcd-dump-logs prints them) and raftpb.ConfChange.
public enum EtcdRequestSummary {
    /// The summary and kind of one entry.
    public static func describe(_ entry: EtcdEntry) -> (kind: LogEntryView.Kind, summary: String) {
        switch entry.kind {
        case .confChange:
            return (.confChange, confChange(entry.data))
        case .confChangeV2:
            return (.confChange, confChangeV2(entry.data))
        case .normal where entry.data.isEmpty:
            return (.empty, "(empty: new leader)")
        case .normal:
            return (.request, normal(entry.data))
        case nil:
            return (.request, "entry type \(entry.type), \(entry.data.count) B")
        }
    }

    /// InternalRaftRequest's fields (etcd 3.4 and 3.5): everything but the id is a message.
    static let internalRaftRequestSchema: [UInt64: ProtoMessage.WireKind] = {
        var schema: [UInt64: ProtoMessage.WireKind] = [1: .varint, 100: .bytes]
        for n in Array(2...11) + [1000, 1011, 1012, 1013] + Array(1100...1107) + Array(1200...1204) + Array(1300...1302) {
            schema[UInt64(n)] = .bytes
        }
        return schema
    }()

    /// etcdserverpb.Request (v2): gogoproto writes every field, so field 5 (dir, a varint) tells
    /// it apart from an InternalRaftRequest, whose field 5 is a message.
    static let v2RequestSchema: [UInt64: ProtoMessage.WireKind] = [
        1: .varint, 2: .bytes, 3: .bytes, 4: .bytes, 5: .varint, 6: .bytes, 7: .varint, 8: .varint, 9: .varint,
        10: .varint, 11: .varint, 12: .varint, 13: .varint, 14: .varint, 15: .varint, 16: .varint, 17: .varint,
    ]

    static func normal(_ data: [UInt8]) -> String {
        if let request = try? ProtoMessage(data), request.conforms(to: internalRaftRequestSchema),
           let summary = try? internalRaftRequest(request) {
            return summary
        }
        if let request = try? ProtoMessage(data), request.conforms(to: v2RequestSchema) {
            return v2Request(request)
        }
        return "\(data.count) B, undecodable"
    }

    static func internalRaftRequest(_ r: ProtoMessage) throws(ProtoWireError) -> String {
        let op = r.fields.first { $0.number != 1 && $0.number != 100 }
        guard let op, let bytes = op.bytes else { return "request without an operation" }
        let m = try ProtoMessage(bytes)
        switch op.number {
        case 2: return "v2 " + v2Request(m)
        case 3: return "range " + keyRange(m.bytes(1), m.bytes(2))
        case 4: return "put \(printable(m.bytes(1))) = \(m.bytes(2).count) B"
        case 5: return "delete " + keyRange(m.bytes(1), m.bytes(2))
        case 6: return "txn \(m.all(1).count) cmp, \(m.all(2).count)/\(m.all(3).count) ops"
        case 7: return "compact @\(m.int(1))"
        case 8: return "lease grant \(LeaseID.hex(m.int(2))) ttl \(m.int(1))s"
        case 9: return "lease revoke \(LeaseID.hex(m.int(1)))"
        case 10:
            let action = ["get", "activate", "deactivate"][safe: Int(clamping: m.uint(1))] ?? "action \(m.uint(1))"
            let alarm = ["NONE", "NOSPACE", "CORRUPT"][safe: Int(clamping: m.uint(3))] ?? "alarm \(m.uint(3))"
            return "alarm \(action) \(alarm) \(String(m.uint(2), radix: 16))"
        case 11: return "lease checkpoint \(m.all(1).count)"
        case 1000: return "auth enable"
        case 1011: return "auth disable"
        case 1012: return "authenticate \(m.string(1))"
        case 1013: return "auth status"
        case 1100: return "user add \(m.string(1))"
        case 1101: return "user delete \(m.string(1))"
        case 1102: return "user get \(m.string(1))"
        case 1103: return "user passwd \(m.string(1))"
        case 1104: return "user grant \(m.string(1)) \(m.string(2))"
        case 1105: return "user revoke \(m.string(1)) \(m.string(2))"
        case 1106: return "user list"
        case 1107: return "role list"
        case 1200: return "role add \(m.string(1))"
        case 1201: return "role delete \(m.string(1))"
        case 1202: return "role get \(m.string(1))"
        case 1203:
            let permission = try ProtoMessage(m.bytes(2))
            let kind = ["read", "write", "readwrite"][safe: Int(clamping: permission.uint(1))] ?? "perm \(permission.uint(1))"
            return "role grant \(m.string(1)) \(kind) \(printable(permission.bytes(2)))"
        case 1204: return "role revoke \(m.string(1)) \(printable(m.bytes(2)))"
        case 1300: return "cluster version \(m.string(1))"
        case 1301:
            let attributes = try ProtoMessage(m.bytes(2))
            return "member attrs \(String(m.uint(1), radix: 16)) \(attributes.string(1))"
        case 1302: return "downgrade \(m.bool(1) ? "enable" : "disable") \(m.string(2))"
        default: return "request field \(op.number)"
        }
    }

    /// As etcd-dump-logs prints a v2 request.
    static func v2Request(_ r: ProtoMessage) -> String {
        let method = r.string(2)
        switch method {
        case "": return "noop"
        case "SYNC": return "method=SYNC time=\(r.int(15))"
        case "QGET", "DELETE": return "method=\(method) path=\(quoted(r.string(3), 64))"
        default: return "method=\(method) path=\(quoted(r.string(3), 64)) val=\(quoted(r.string(4), 128))"
        }
    }

    static func confChange(_ data: [UInt8]) -> String {
        guard let m = try? ProtoMessage(data), m.conforms(to: [1: .varint, 2: .varint, 3: .varint, 4: .bytes]) else {
            return "conf change (\(data.count) B, undecodable)"
        }
        return "conf " + change(type: m.uint(2), node: m.uint(3))
    }

    static func confChangeV2(_ data: [UInt8]) -> String {
        guard let m = try? ProtoMessage(data) else { return "conf change v2 (\(data.count) B, undecodable)" }
        let changes = m.all(2).compactMap { try? ProtoMessage($0) }.map { change(type: $0.uint(1), node: $0.uint(2)) }
        return changes.isEmpty ? "conf leave joint" : "conf " + changes.joined(separator: ", ")
    }

    static func change(type: UInt64, node: UInt64) -> String {
        let verb = ["add member", "remove member", "update member", "add learner"][safe: Int(type)] ?? "change \(type)"
        return "\(verb) \(String(node, radix: 16))"
    }

    static func keyRange(_ key: [UInt8], _ end: [UInt8]) -> String {
        printable(key) + (end.isEmpty ? "" : "..")
    }

    static func quoted(_ text: String, _ limit: Int) -> String {
        let cut = text.count > limit ? String(text.prefix(limit)) + "..." : text
        var out = "\""
        for scalar in cut.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension LogEntryView {
    /// An entry of a real etcd member's WAL, summarised as rafttop's own are.
    public init(_ entry: EtcdEntry) {
        let (kind, summary) = EtcdRequestSummary.describe(entry)
        self.init(index: entry.index, term: entry.term, kind: kind, summary: summary, sizeBytes: entry.data.count)
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? {
        index >= 0 && index < count ? self[index] : nil
    }
}
