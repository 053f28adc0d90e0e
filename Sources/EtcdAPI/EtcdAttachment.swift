import Cluster
import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Locking
import Raft
import Server

/// rafttop attached to a running etcd cluster (etcd itself, or `rafttop serve`): polls every
/// member's Maintenance.Status several times a second over kept connections, and puts, reads and
/// deletes keys through the KV API of the leader, timing its own puts. An unreachable member is
/// shown down; nothing here ever throws at the UI.
public final class EtcdAttachment: AttachedCluster {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    public let endpoints: [String]
    let clients: [Client]
    private let poller: EtcdStatusPoller
    let scrapers: [MetricsScraper]
    let metricsInterval: Duration
    private let pollInterval: Duration
    let requestTimeout: Duration
    let state: Locked<State>
    let tasks = Locked<Tasks>(Tasks())
    /// The WALs rafttop can read, by member (see `readWAL(of:dataDirectory:)`), and what they last held.
    let walTails = Locked<[NodeID: EtcdWALTail]>([:])
    let walViews = Locked<[NodeID: AttachedWAL]>([:])

    struct State {
        var members: [AttachedMember]
        var latency = LatencyRecorder()
        var events = EventLog()
        var writes: [AttachedWrite] = []
        var putsAcknowledged = 0
        var putsFailed = 0
        var polls = 0
        var failures = FailureTally()
        var metricsHistory: [MetricsHistory] = []
        var lastScrapeNanos: UInt64?
    }

    struct Tasks {
        var connections: Task<Void, Never>?
        var polling: Task<Void, Never>?
        var load: Task<Void, Never>?
        /// The scrape of every member's /metrics in flight, if any: it runs beside the status
        /// polls, so a member slow to serve /metrics never holds them up.
        var metrics: Task<Void, Never>?
    }

    /// The newest puts kept for the view.
    public static let writesKept = 64

    /// Connects to `endpoints` (host:port, or http://host:port as etcdctl takes them); call
    /// `start` to begin polling and `shutdown` to close the connections. Every member's
    /// /metrics is scraped on the poll at most once per `metricsInterval`.
    public init(endpoints: [String], pollInterval: Duration = .milliseconds(200), requestTimeout: Duration = .seconds(2),
                metricsInterval: Duration = .seconds(1)) throws(EtcdStatusPollerError) {
        let clients = try EtcdStatusPoller.clients(for: endpoints)
        var scrapers: [MetricsScraper] = []
        for endpoint in endpoints {
            let (host, port) = try EtcdStatusPoller.parse(endpoint)
            scrapers.append(MetricsScraper(host: host, port: port))
        }
        self.scrapers = scrapers
        self.metricsInterval = metricsInterval
        self.endpoints = endpoints
        self.clients = clients
        self.pollInterval = pollInterval
        self.requestTimeout = requestTimeout
        poller = EtcdStatusPoller(endpoints: endpoints, clients: clients)
        state = Locked(State(members: endpoints.enumerated().map { i, endpoint in
            AttachedMember(id: NodeID(i + 1), endpoint: endpoint, reachable: false, memberID: 0, isLeader: false, raftTerm: 0,
                           raftIndex: 0, raftAppliedIndex: 0, revision: 0, dbSizeBytes: 0, version: "", statusMicros: 0,
                           errors: ["not asked yet"], metricsError: "metrics: not scraped yet")
        }, metricsHistory: Array(repeating: MetricsHistory(), count: endpoints.count)))
    }

    /// Opens the connections and starts polling.
    public func start() {
        let clients = clients
        tasks.withLock { t in
            guard t.connections == nil else { return }
            t.connections = Task {
                await withDiscardingTaskGroup { group in
                    for client in clients {
                        group.addTask { try? await client.runConnections() }
                    }
                }
            }
            t.polling = Task { [self] in
                while !Task.isCancelled {
                    await pollOnce()
                    refreshWALs()
                    try? await Task.sleep(for: pollInterval)
                }
            }
        }
    }

    /// Stops the load and the polling and closes the connections.
    public func shutdown() async {
        let running = tasks.withLock { t in
            defer { t = Tasks() }
            return t
        }
        running.load?.cancel()
        running.polling?.cancel()
        await running.load?.value
        await running.polling?.value
        // Closing the scrapers' connections ends a scrape in flight; none starts after the polls stop.
        for scraper in scrapers { scraper.close() }
        await tasks.withLock { $0.metrics }?.value
        for client in clients { client.beginGracefulShutdown() }
        await running.connections?.value
    }

    /// Asks every member for its status once and records what changed; starts a scrape of their
    /// /metrics too when `metricsInterval` has passed since the last one and none is in flight.
    public func pollOnce() async {
        startScrapeIfDue()
        let statuses = await poller.poll(timeout: requestTimeout)
        let now = nowNanos()
        state.withLock { s in
            let before = s.members
            let leaderID = statuses.first { $0.reachable && $0.leader != 0 }?.leader ?? 0
            s.members = zip(statuses, before).map { status, old in
                guard status.reachable else {
                    var down = old
                    down.reachable = false
                    down.isLeader = false
                    down.errors = status.errors
                    down.statusMicros = status.latencyMicros
                    return down
                }
                return AttachedMember(
                    id: old.id, endpoint: status.endpoint, reachable: true, memberID: status.memberID,
                    isLeader: leaderID != 0 && status.memberID == leaderID, raftTerm: status.raftTerm, raftIndex: status.raftIndex,
                    raftAppliedIndex: status.raftAppliedIndex, revision: status.revision, dbSizeBytes: status.dbSizeBytes,
                    version: status.version, statusMicros: status.latencyMicros, errors: status.errors,
                    metrics: old.metrics, metricsError: old.metricsError)
            }
            s.polls += 1
            for event in Self.events(from: before, to: s.members, firstPoll: s.polls == 1) {
                s.events.append(ClusterEvent(atNanos: now, kind: event))
            }
        }
    }

    /// What a poll saw change: members lost or found, and a new or lost leader.
    static func events(from before: [AttachedMember], to after: [AttachedMember], firstPoll: Bool) -> [ClusterEvent.Kind] {
        var out: [ClusterEvent.Kind] = []
        for (old, new) in zip(before, after) where old.reachable != new.reachable || (firstPoll && !new.reachable) {
            out.append(.note(new.reachable ? "m\(new.id) (\(new.endpoint)) answers"
                                           : "m\(new.id) (\(new.endpoint)) unreachable: \(new.errors.joined(separator: "; "))"))
        }
        let oldLeader = before.first { $0.isLeader }
        let newLeader = after.first { $0.isLeader }
        if let newLeader, newLeader.id != oldLeader?.id || newLeader.raftTerm != oldLeader?.raftTerm {
            out.append(.leaderElected(leader: newLeader.id, term: newLeader.raftTerm, electionNanos: nil))
        } else if newLeader == nil, let oldLeader {
            out.append(.leaderLost(previous: oldLeader.id, term: oldLeader.raftTerm))
        }
        return out
    }

    public func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    public func snapshot() -> ClusterSnapshot {
        let now = nowNanos()
        return state.withLock { s in
            .attached(AttachedView(endpoints: endpoints, members: s.members, writes: s.writes, wal: walViews.withLock { $0 }),
                      nowNanos: now, latency: s.latency,
                      events: s.events.events, putsAcknowledged: s.putsAcknowledged, putsFailed: s.putsFailed)
        }
    }

    public func closeLatencyInterval() {
        state.withLock { $0.latency.closeInterval() }
    }

    public func resetLatency() {
        state.withLock { $0.latency.reset() }
    }

    /// The member requests go to: the leader when one is known and answers, else the first that
    /// answers, else the first.
    func target() -> Int {
        state.withLock { s in
            s.members.firstIndex { $0.isLeader && $0.reachable } ?? s.members.firstIndex { $0.reachable } ?? 0
        }
    }

    var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = requestTimeout
        options.waitForReady = false
        return options
    }
}
