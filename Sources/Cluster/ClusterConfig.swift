import Raft
import Server

/// How the cluster runs.
public struct ClusterConfig: Sendable {
    public enum Driver: Sendable, Hashable {
        /// Threads, the wall clock and real files: what the TUI and benchmarks use.
        case realTime
        /// One thread stepped explicitly, simulated time, choices from `seed`: tests and `check`.
        case simulated(seed: UInt64)
    }

    /// How many members, 1 to 7.
    public var memberCount: Int
    public var driver: Driver
    /// The template every member's configuration starts from (id and peers are set per member).
    public var member: MemberConfig
    public var network: SimulatedNetwork.Settings
    /// Makes each member's persistence, given the cluster's clock; called once per member id,
    /// and its result reused across restarts so a restart recovers what was persisted.
    public var makePersistence: @Sendable (NodeID, any MonotonicClock) throws -> any RaftPersistence
    /// Where the members keep their data, shown in the UI; nil when they keep it in memory.
    public var dataDirectory: String?
    /// Real time: keep the member threads on one CPU while they use little of it (CPUPacking).
    public var packThreadsWhenLight = true

    public static let memberRange = 1...7
    /// Member 1's peer URL names this port, member i's this + i - 1. Nothing listens there: the
    /// members talk over the simulated network, and the URL is the member's name on it.
    public var peerPortBase = 22380

    /// The peer URL member `id` is known by.
    public func peerURL(of id: NodeID) -> String {
        "http://127.0.0.1:\(peerPortBase + Int(id) - 1)"
    }

    public init(memberCount: Int = 3, driver: Driver = .realTime) {
        self.memberCount = memberCount
        self.driver = driver
        member = MemberConfig(id: 1, peers: [])
        network = SimulatedNetwork.Settings()
        makePersistence = { _, _ in MemoryPersistence() }
    }

    public var ids: [NodeID] { (1...memberCount).map { NodeID($0) } }

    func memberConfig(for id: NodeID, incarnation: UInt64, seed: UInt64) -> MemberConfig {
        // A copy of `member`, so every member holds the same `AuthSessions`: a token from one
        // works on all of them.
        var c = member
        c.id = id
        c.peers = ids
        c.initialMembers = ids.map { MemberInfo(id: $0, name: "member-\($0)", peerURLs: [peerURL(of: $0)]) }
        // Distinct election timeouts per member and per restart, reproducible from the seed.
        c.randomSeed = seed &+ id &* 1_000_003 &+ incarnation &* 7919
        return c
    }
}

public enum ClusterError: Error, Sendable, CustomStringConvertible {
    case invalidMemberCount(Int)
    case unknownMember(NodeID)
    case memberStartFailed(NodeID, String)
    /// A fault for simulated disks, asked of a cluster whose members are elsewhere.
    case notOnSimulatedDisks
    /// A disk delay past `Cluster.diskDelayNanosMax`.
    case diskDelayTooLong(UInt64)

    public var description: String {
        switch self {
        case .invalidMemberCount(let n): "a cluster has 1 to 7 members, not \(n)"
        case .unknownMember(let id): "there is no member \(id)"
        case .memberStartFailed(let id, let why): "member \(id) could not start: \(why)"
        case .notOnSimulatedDisks: "the members are not on simulated disks"
        case .diskDelayTooLong(let nanos):
            "a disk delay is at most \(Cluster.diskDelayNanosMax / 1_000_000) ms, not \(nanos / 1_000_000) ms"
        }
    }
}
