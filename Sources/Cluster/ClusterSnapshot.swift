/// Whether a member is running, and if not, why.
public enum MemberState: String, Sendable, Hashable {
    case up
    case down
    case paused
    /// Running, but cut off from the majority by a partition.
    case partitioned
}

/// Everything the UI shows about one member, at one instant.
public struct MemberView: Sendable, Hashable {
    public var id: NodeID
    public var state: MemberState
    /// Nil while the member is down.
    public var status: MemberStatusView?
    /// Its newest persisted entries, oldest first.
    public var log: [WALEntryView]
    /// Mean and last fsync time of its WAL, in microseconds.
    public var fsyncMicrosLast: UInt64
    public var fsyncMicrosMean: UInt64
    /// Extra time every WAL fsync of its takes, set with `Cluster.setDiskDelay`; 0 normally.
    public var diskDelayNanos: UInt64 = 0
    /// The highest index it has fsynced to its WAL: entries above it are appended, not durable.
    public var durableIndex: UInt64 = 0

    public init(id: NodeID, state: MemberState, status: MemberStatusView?, log: [WALEntryView], fsyncMicrosLast: UInt64,
                fsyncMicrosMean: UInt64, durableIndex: UInt64 = 0, diskDelayNanos: UInt64 = 0) {
        self.id = id
        self.state = state
        self.status = status
        self.log = log
        self.fsyncMicrosLast = fsyncMicrosLast
        self.fsyncMicrosMean = fsyncMicrosMean
        self.durableIndex = durableIndex
        self.diskDelayNanos = diskDelayNanos
    }
}

/// A value holding the whole cluster's state for a view: the UI asks for one per frame.
public struct ClusterSnapshot: Sendable {
    public var nowNanos: UInt64
    public var members: [MemberView]
    public var leader: NodeID?
    public var term: UInt64
    public var inFlight: [InFlightMessage]
    public var networkSettings: SimulatedNetwork.Settings
    public var latency: LatencyRecorder
    /// Most recent first (by when the member received the request), answered or still in
    /// flight, each with its followers' stages joined in.
    public var traces: [StageTraceView]
    /// Oldest first.
    public var events: [ClusterEvent]
    public var putsAcknowledged: Int
    public var putsFailed: Int
    public var paused: Bool
    public var speed: Double
    public var dataDirectory: String?
    /// Set when the UI watches an external cluster instead of running one: what its members
    /// reported. Views show it in place of the panes only an in-process cluster can fill.
    public var attached: AttachedView? = nil
    /// Where the member threads run (see CPUPacking); nil when simulated, attached, or not
    /// packing.
    public var cpuPlacement: CPUPacking.Placement? = nil
}

extension ClusterSnapshot {
    /// A snapshot of an external cluster: members up or down as they answer, the highest term any
    /// reported, and the latency and events of the client that watches it.
    public static func attached(_ view: AttachedView, nowNanos: UInt64, latency: LatencyRecorder, events: [ClusterEvent],
                                putsAcknowledged: Int, putsFailed: Int) -> ClusterSnapshot {
        ClusterSnapshot(
            nowNanos: nowNanos,
            members: view.members.map {
                MemberView(id: $0.id, state: $0.reachable ? .up : .down, status: nil, log: [], fsyncMicrosLast: 0, fsyncMicrosMean: 0)
            },
            leader: view.members.first { $0.isLeader }?.id, term: view.members.map(\.raftTerm).max() ?? 0,
            inFlight: [], networkSettings: SimulatedNetwork.Settings(), latency: latency, traces: [], events: events,
            putsAcknowledged: putsAcknowledged, putsFailed: putsFailed, paused: false, speed: 1, dataDirectory: nil,
            attached: view)
    }
}
