import Raft
import Server

/// A member's way out: its messages enter the cluster's simulated network.
struct ClusterTransport: Transport {
    let cluster: WeakCluster

    func send(_ messages: [Message]) {
        cluster.cluster?.route(messages)
    }
}

extension Cluster {
    func route(_ messages: [Message]) {
        let now = clock.nowNanos()
        let (immediate, lost) = state.withLock { s -> (Bool, [(Member, Message)]) in
            // A removed member is cut off for good, as etcd's transport drops its messages.
            let messages = s.removed.isEmpty ? messages
                : messages.filter { !s.removed.contains($0.from) && !s.removed.contains($0.to) }
            let lost = s.network.send(messages, now: now)
            return (s.network.settings.latencyMicros == 0 && s.network.settings.jitterMicros == 0, senders(of: lost, in: s))
        }
        reportLostSnapshots(lost)
        if isSimulated { return }
        if immediate {
            // No latency to wait out: deliver on the sender's thread instead of a hop through the network thread.
            deliverDue()
        } else {
            networkRunner?.wakeup.signal()
        }
    }

    /// Hands every message that is due to its member; a paused member's wait for it.
    func deliverDue() {
        let now = clock.nowNanos()
        let (deliveries, lost) = state.withLock { s -> ([(Member, Message)], [(Member, Message)]) in
            let (due, lostSnapshots) = s.network.takeDue(now: now)
            var lost = senders(of: lostSnapshots, in: s)
            var out: [(Member, Message)] = []
            out.reserveCapacity(due.count)
            for m in due {
                switch s.states[m.to] {
                case .paused?:
                    if s.heldForPaused[m.to, default: []].count < SimulatedNetwork.capacity {
                        s.heldForPaused[m.to, default: []].append(m)
                    }
                case .up?, .partitioned?:
                    if let member = s.members[m.to] { out.append((member, m)) }
                default:
                    if m.type == .snap { lost.append(contentsOf: senders(of: [m], in: s)) }
                }
            }
            return (out, lost)
        }
        for (member, message) in deliveries {
            member.receive(message)
            if message.type == .snap, let sender = self.member(message.from) {
                sender.reportSnapshot(to: message.to, status: .finished)
            }
        }
        reportLostSnapshots(lost)
    }

    func senders(of messages: [Message], in s: State) -> [(Member, Message)] {
        messages.compactMap { m in s.members[m.from].map { ($0, m) } }
    }

    /// etcd's transport tells the leader when a snapshot could not be sent, so it probes again.
    func reportLostSnapshots(_ lost: [(Member, Message)]) {
        for (sender, message) in lost {
            sender.reportSnapshot(to: message.to, status: .failure)
        }
    }

    func nextDeliveryNanos() -> UInt64? {
        state.withLock { $0.network.nextDueNanos }
    }

    /// Updates who the cluster's leader is, recording elections and their length as events, and
    /// starts or stops members as the leader's applied membership says.
    public func observe() {
        let now = clock.nowNanos()
        let live = state.withLock { s in s.members.filter { s.states[$0.key] != .down } }
        var leader: NodeID?
        var term: UInt64 = 0
        for (id, member) in live {
            let status = member.basicStatus
            if status.role == .leader && status.term >= term && !(leader != nil && status.term == term) {
                leader = id
                term = status.term
            }
        }
        state.withLock { s in
            // A leader cut off from a majority is no leader for the cluster.
            if let l = leader, s.states[l] == .partitioned || s.states[l] == .paused {
                leader = nil
            }
            if leader != s.leader || (leader != nil && term != s.term) {
                if let old = s.leader, leader == nil {
                    s.events.append(ClusterEvent(atNanos: now, kind: .leaderLost(previous: old, term: s.term)))
                    s.leaderLostAtNanos = now
                }
                if let new = leader {
                    let took = s.leaderLostAtNanos.map { now - $0 }
                    s.events.append(ClusterEvent(atNanos: now, kind: .leaderElected(leader: new, term: term, electionNanos: took)))
                    s.leaderLostAtNanos = nil
                    s.term = term
                }
                s.leader = leader
            }
        }
        followAppliedMembership()
    }

    /// The member that leads now, as last observed.
    public var leader: NodeID? {
        state.withLock { $0.leader }
    }

    /// Whether the cluster serves requests: it has a leader that is ready (see `Member.isReady`).
    public var isReady: Bool {
        leader.flatMap(member)?.isReady == true
    }

    /// Everything a view needs, at one instant.
    public func snapshot(logEntries: Int = 64, traces: Int = 32) -> ClusterSnapshot {
        let now = clock.nowNanos()
        let (members, states) = state.withLock { ($0.members, $0.states) }
        var views: [MemberView] = []
        for id in ids {
            let memberState = states[id] ?? .down
            guard let member = members[id], memberState != .down else {
                views.append(MemberView(id: id, state: .down, status: nil, log: [], fsyncMicrosLast: 0, fsyncMicrosMean: 0,
                                        diskDelayNanos: diskDelayNanos(id)))
                continue
            }
            let status = member.status()
            let m = status.metrics
            let log = member.recentLog(logEntries)
            views.append(MemberView(
                id: id, state: memberState, status: MemberStatusView(status), log: log.entries.map(WALEntryView.init),
                fsyncMicrosLast: m.walFsyncNanosLast / 1000,
                fsyncMicrosMean: m.walFsyncCount > 0 ? m.walFsyncNanosTotal / UInt64(m.walFsyncCount) / 1000 : 0,
                durableIndex: log.durableIndex, diskDelayNanos: diskDelayNanos(id)))
        }
        let recent = Self.recentTraces(limit: traces, members: members).map(StageTraceView.init)
        let packing = cpuPacking?.report
        return state.withLock { s in
            ClusterSnapshot(
                nowNanos: now, members: views, leader: s.leader, term: s.term,
                inFlight: s.network.inFlightMessages.map(InFlightMessage.init), networkSettings: s.network.settings, latency: s.latency,
                traces: recent, events: s.events.events,
                putsAcknowledged: s.putsAcknowledged, putsFailed: s.putsFailed,
                paused: isFrozen, speed: 1, dataDirectory: config.dataDirectory,
                cpuPlacement: packing?.available == true ? packing?.placement : nil)
        }
    }

    /// The members' most recent traces, newest first (by when the member received the
    /// request), answered or still in flight, each with its followers' stages joined in.
    public func recentTraces(limit: Int = 32) -> [StageTrace] {
        Self.recentTraces(limit: limit, members: state.withLock { $0.members })
    }

    static func recentTraces(limit: Int, members: [NodeID: Member]) -> [StageTrace] {
        var recent: [StageTrace] = []
        for member in members.values {
            recent.append(contentsOf: member.tracesWithInFlight(limit: limit))
        }
        recent.sort { $0.receivedNanos > $1.receivedNanos }
        return joinFollowerStages(Array(recent.prefix(limit)), members: members)
    }

    /// Each trace with its followers' append, fsync and apply times: those happen on the
    /// followers, which remember them by index and term, so the join asks each member once.
    static func joinFollowerStages(_ traces: [StageTrace], members: [NodeID: Member]) -> [StageTrace] {
        let placed = traces.filter { $0.index > 0 }.map { (index: $0.index, term: $0.term) }
        guard !placed.isEmpty else { return traces }
        var joined = traces
        for (id, member) in members {
            let times = member.entryStageTimes(placed)
            var next = 0
            for i in joined.indices where joined[i].index > 0 {
                defer { next += 1 }
                guard joined[i].member != id, let found = times[next] else { continue }
                joined[i].join(follower: id, found)
            }
        }
        return joined
    }

    public func closeLatencyInterval() {
        state.withLock { $0.latency.closeInterval() }
    }

    public func resetLatency() {
        state.withLock { $0.latency.reset() }
    }

    public var events: [ClusterEvent] {
        state.withLock { $0.events.events }
    }

    public func note(_ text: String) {
        state.withLock { $0.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .note(text))) }
    }
}
