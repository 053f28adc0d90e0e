import Cluster

/// The guided tours rafttop can give.
public enum TourKind: String, Sendable, Hashable, CaseIterable {
    /// One put followed through etcd's put path, from `EtcdServer.Put` to the answer.
    case put
    /// The leader killed, and the election that replaces it, up to the first put through the new one.
    case failover

    public var title: String {
        switch self {
        case .put: "the put path"
        case .failover: "a leader failover"
        }
    }
}

/// A part of the screen a stage lights up.
public enum TourArea: Sendable, Hashable {
    case header
    /// A member's row in the members table.
    case memberRow(NodeID)
    /// A column of the members table, by its title (`COMMIT`, `PENDING`, ...).
    case memberColumn(String)
    /// One cell of the members table: a member's row in a column.
    case memberCell(NodeID, String)
    case walPane
    /// One member's column of the WAL pane.
    case walMember(NodeID)
    case messagesPane
    case tracePane
    /// The trace pane's row of a stage, by its label (`responded`, `ack from m2`, ...).
    case traceRow(String)
}

/// The put a tour sent, as the tour knows it: what predicates need to find it in a snapshot.
public struct TourPut: Sendable, Hashable {
    public var key: String
    /// The member it went to: the leader when it was sent.
    public var via: NodeID
    /// The index its entry takes: the leader's last index when it was sent, plus one.
    public var index: UInt64
    public var sentNanos: UInt64
    /// The cluster's count of acknowledged puts before it, so its answer shows as one more.
    public var acknowledgedBefore: Int
}

/// What a stage's predicate looks at: the snapshot at one instant, and the put once sent.
public struct TourObservation: Sendable {
    public var snapshot: ClusterSnapshot
    public var put: TourPut?

    public init(snapshot: ClusterSnapshot, put: TourPut?) {
        self.snapshot = snapshot
        self.put = put
    }

    public func view(_ id: NodeID) -> MemberView? {
        snapshot.members.first { $0.id == id }
    }

    public func status(_ id: NodeID) -> MemberStatusView? {
        view(id)?.status
    }

    /// The put's stage trace, once its member finished it (answered or failed).
    public var trace: StageTraceView? {
        guard let put else { return nil }
        return snapshot.traces.first { $0.member == put.via && $0.receivedNanos >= put.sentNanos && $0.index == put.index }
    }

    /// Whether member `id`'s raft log holds the put's entry (appended, durable or not).
    public func appended(_ id: NodeID) -> Bool {
        guard let put, let status = status(id) else { return false }
        return status.raft.lastIndex >= put.index
    }

    /// Whether member `id`'s disk holds the put's entry: its fsync has returned. (Its log view
    /// also shows entries whose write is still in flight.)
    public func durable(_ id: NodeID) -> Bool {
        guard let put, let view = view(id) else { return false }
        return view.durableIndex >= put.index
    }

    /// Messages of `type` in flight, from `from` when given.
    public func inFlight(_ type: MessageKind, from: NodeID? = nil) -> [InFlightMessage] {
        snapshot.inFlight.filter { $0.type == type && (from == nil || $0.from == from) }
    }

    /// Live members in `role`.
    public func members(in role: MemberRole) -> [MemberView] {
        snapshot.members.filter { $0.state != .down && $0.status?.raft.role == role }
    }
}

/// Something the tour does to the cluster as it sets out for a stage.
public enum TourAction: Sendable, Hashable {
    case put(key: String, value: String)
    case kill(NodeID)
}

/// One stop of a tour: etcd's function names and file (spelled as etcd writes them, so a reader
/// can search etcd's code for them), what happens there and where the screen shows it, and a
/// predicate that says the stage has happened. The tour is this data; the driver only steps time.
public struct TourStage: Sendable {
    /// etcd's (or etcd-io/raft's) function names, as written in etcd's code.
    public var functions: String
    /// Where they live in etcd's repository.
    public var file: String
    /// One to three sentences: what etcd does here, and what rafttop shows.
    public var caption: String
    public var areas: [TourArea]
    /// Done by the driver before it waits for `happened`.
    public var action: TourAction?
    public var happened: @Sendable (TourObservation) -> Bool

    public init(_ functions: String, file: String, caption: String, areas: [TourArea], action: TourAction? = nil,
                happened: @escaping @Sendable (TourObservation) -> Bool) {
        self.functions = functions
        self.file = file
        self.caption = caption
        self.areas = areas
        self.action = action
        self.happened = happened
    }
}

/// What the caption box shows: the UI state's part of a tour.
public struct TourView: Sendable, Hashable {
    public var title: String
    /// 1-based.
    public var stageNumber: Int
    public var stageCount: Int
    public var functions: String
    public var file: String
    public var caption: String
    public var areas: [TourArea]
    /// Simulated time since the tour's first action (the put, or the kill).
    public var elapsedNanos: UInt64
}
