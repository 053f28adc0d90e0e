import Cluster

/// Where the screen's snapshots come from and where its actions go: a cluster rafttop runs, or
/// one it is attached to from outside.
public enum DataSource: Sendable {
    case inProcess(Cluster)
    case attached(any AttachedCluster)

    public func snapshot() -> ClusterSnapshot {
        switch self {
        case .inProcess(let cluster): cluster.snapshot()
        case .attached(let external): external.snapshot()
        }
    }

    public func nowNanos() -> UInt64 {
        switch self {
        case .inProcess(let cluster): cluster.nowNanos()
        case .attached(let external): external.nowNanos()
        }
    }

    /// The highest member number: members added take the next ones, and removed ones leave gaps.
    var memberCount: Int {
        switch self {
        case .inProcess(let cluster): Int(cluster.ids.max() ?? 0)
        case .attached(let external): external.endpoints.count
        }
    }

    func closeLatencyInterval() {
        switch self {
        case .inProcess(let cluster): cluster.closeLatencyInterval()
        case .attached(let external): external.closeLatencyInterval()
        }
    }
}
