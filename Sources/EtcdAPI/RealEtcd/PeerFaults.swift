import Raft

/// What rafttop's peer proxies do to the links between launched etcd members: a delay and a
/// loss rate on every link, and the pairs of members whose links are cut.
public struct PeerFaults: Sendable, Hashable {
    /// Added to every chunk of bytes relayed, each way.
    public var latencyMillis: Double = 0
    /// Chance, per chunk relayed, that the connection carrying it is cut (see docs/real-etcd.md).
    public var lossPercent: Double = 0
    /// Unordered pairs, smaller member first, that cannot reach each other.
    public private(set) var cutPairs: Set<[NodeID]> = []

    public init() {}

    public mutating func cut(_ a: NodeID, _ b: NodeID) {
        guard a != b else { return }
        cutPairs.insert([min(a, b), max(a, b)])
    }

    public mutating func heal() { cutPairs = [] }

    /// Whether bytes between `sender` and `destination` must not flow. A sender the proxy could
    /// not tell is taken as cut whenever the destination is cut from anyone.
    public func isCut(from sender: NodeID?, to destination: NodeID) -> Bool {
        guard let sender else { return cutPairs.contains { $0.contains(destination) } }
        return cutPairs.contains([min(sender, destination), max(sender, destination)])
    }
}
