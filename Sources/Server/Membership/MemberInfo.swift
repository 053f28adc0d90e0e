import ByteCoding
import Raft

/// One member of the cluster as the applied state records it (etcd's membership.Member): its
/// name, where peers and clients reach it, and whether it is a learner.
public struct MemberInfo: Sendable, Hashable {
    public var id: NodeID
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: NodeID, name: String = "", peerURLs: [String] = [], clientURLs: [String] = [], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }

    /// Bounds on what a client may make every member hold for one member.
    public static let maxURLs = 16
    public static let maxURLBytes = 1024
    public static let maxNameBytes = 256

    /// Why `name` or `urls` are out of bounds, or nil when they are within them.
    public static func boundsProblem(name: String, peerURLs: [String], clientURLs: [String] = []) -> String? {
        if name.utf8.count > maxNameBytes { return "member name longer than \(maxNameBytes) bytes" }
        for (what, urls) in [("peer", peerURLs), ("client", clientURLs)] {
            if urls.count > maxURLs { return "more than \(maxURLs) \(what) URLs" }
            if let long = urls.first(where: { $0.utf8.count > maxURLBytes }) {
                return "\(what) URL longer than \(maxURLBytes) bytes: \(long.prefix(40))…"
            }
        }
        return nil
    }

    func write(to out: inout ByteWriter) {
        out.uint64(id)
        out.lengthPrefixed(Array(name.utf8))
        for urls in [peerURLs, clientURLs] {
            out.uint64(UInt64(urls.count))
            for url in urls { out.lengthPrefixed(Array(url.utf8)) }
        }
        out.bool(isLearner)
    }

    init(reading input: inout ByteReader) throws(DecodingError) {
        id = try input.uint64()
        guard id != noNode else { throw input.error("member id 0") }
        name = try Self.string(&input, maxBytes: Self.maxNameBytes, what: "member name")
        var lists: [[String]] = []
        for what in ["peer URLs", "client URLs"] {
            let count = try input.uint64()
            guard count <= UInt64(Self.maxURLs) else { throw input.error("\(count) \(what), more than \(Self.maxURLs)") }
            var urls: [String] = []
            for _ in 0..<count { urls.append(try Self.string(&input, maxBytes: Self.maxURLBytes, what: what)) }
            lists.append(urls)
        }
        peerURLs = lists[0]
        clientURLs = lists[1]
        isLearner = try input.bool()
    }

    private static func string(_ input: inout ByteReader, maxBytes: Int, what: String) throws(DecodingError) -> String {
        let bytes = try input.lengthPrefixed()
        guard bytes.count <= maxBytes else { throw input.error("\(what) of \(bytes.count) bytes, more than \(maxBytes)") }
        return String(decoding: bytes, as: UTF8.self)
    }
}
