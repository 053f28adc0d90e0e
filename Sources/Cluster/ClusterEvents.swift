import Raft

/// Something that happened to the cluster, for the UI's event pane and for reports.
public struct ClusterEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A new leader, and how long the cluster was without one.
        case leaderElected(leader: NodeID, term: UInt64, electionNanos: UInt64?)
        case leaderLost(previous: NodeID, term: UInt64)
        case crashed(NodeID)
        case restarted(NodeID)
        case paused(NodeID)
        case resumed(NodeID)
        case partitioned([[NodeID]])
        case healed
        case transferRequested(from: NodeID, to: NodeID)
        case clientError(String)
        case note(String)
    }

    public var atNanos: UInt64
    public var kind: Kind

    public init(atNanos: UInt64, kind: Kind) {
        self.atNanos = atNanos
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .leaderElected(let leader, let term, let nanos):
            let took = nanos.map { " after \(formatMillis($0)) without a leader" } ?? ""
            return "member \(leader) elected leader for term \(term)\(took)"
        case .leaderLost(let previous, let term): return "leader \(previous) of term \(term) lost"
        case .crashed(let id): return "member \(id) crashed"
        case .restarted(let id): return "member \(id) restarted from its data"
        case .paused(let id): return "member \(id) paused"
        case .resumed(let id): return "member \(id) resumed"
        case .partitioned(let groups): return "partition: " + groups.map { "{" + $0.map(String.init).joined(separator: ",") + "}" }.joined(separator: " | ")
        case .healed: return "network healed"
        case .transferRequested(let from, let to): return "leadership transfer \(from) -> \(to) requested"
        case .clientError(let message): return "client error: \(message)"
        case .note(let text): return text
        }
    }
}

func formatMillis(_ nanos: UInt64) -> String {
    let ms = Double(nanos) / 1_000_000
    return ms < 10 ? String(format1: ms) + " ms" : "\(Int(ms.rounded())) ms"
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}

/// The last `capacity` events, oldest first.
public struct EventLog: Sendable {
    public static let capacity = 500
    public private(set) var events: [ClusterEvent] = []

    public init() {}

    public mutating func append(_ event: ClusterEvent) {
        if events.count >= Self.capacity { events.removeFirst(events.count - Self.capacity + 1) }
        events.append(event)
    }
}

extension EventLog {
    /// Removes the newest event `matches` accepts, if any: a counted event is replaced by its
    /// update this way, which moves it to the bottom with the newest time.
    public mutating func removeLast(where matches: (ClusterEvent) -> Bool) {
        guard let i = events.lastIndex(where: matches) else { return }
        var kept = events
        kept.remove(at: i)
        self = EventLog()
        for event in kept { append(event) }
    }
}

/// Failed requests counted into one event per kind of error (`put failed x12 via m2: connection
/// refused`) instead of one event each, which under load would push every other event out of the
/// log. A success ends the run: the next failure starts a new event.
public struct FailureTally: Sendable {
    private var runs: [String: (count: Int, event: ClusterEvent.Kind)] = [:]

    public init() {}

    /// Records one failure of `kind` and puts its event, with the count so far, in `log`.
    public mutating func failed(_ kind: String, atNanos: UInt64, into log: inout EventLog,
                                describe: (Int) -> String) {
        let count = (runs[kind]?.count ?? 0) + 1
        if let previous = runs[kind]?.event {
            log.removeLast { $0.kind == previous }
        }
        let event = ClusterEvent.Kind.clientError(describe(count))
        runs[kind] = (count, event)
        log.append(ClusterEvent(atNanos: atNanos, kind: event))
    }

    /// A request succeeded: failures from now on are counted afresh.
    public mutating func succeeded() {
        runs.removeAll()
    }
}
