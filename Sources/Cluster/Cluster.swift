import Locking
import MVCC
import Raft
import Server
import Synchronization

/// N etcd-style members in one process, the network between them, and their clients.
///
/// In real time, each member runs a raft thread and an apply thread (`MemberRunner`) and a
/// network thread delivers messages when their latency has passed. Simulated, nothing runs until
/// `advance(byNanos:)` steps every member and message in a deterministic order.
public final class Cluster: Sendable {
    public let config: ClusterConfig
    let clock: any MonotonicClock
    let seed: UInt64
    /// Every member's persistence, made once per id and reused across restarts.
    let persistences: Locked<[NodeID: any RaftPersistence]>
    /// What each member saves through: its persistence behind a settable disk delay (DiskDelay).
    let delayedPersistences = Locked<[NodeID: DelayedPersistence]>([:])

    struct State {
        /// The members of the cluster, in id order: the configured ones, then those added, less
        /// those removed.
        var ids: [NodeID]
        /// Ids of members removed: their messages are dropped, as etcd's transport drops a
        /// removed member's, and the id is never used again.
        var removed: Set<NodeID> = []
        /// The highest id any member ever had: an added member gets the next one.
        var highestID: NodeID
        var members: [NodeID: Member] = [:]
        var runners: [NodeID: MemberRunner] = [:]
        var states: [NodeID: MemberState] = [:]
        var incarnations: [NodeID: UInt64] = [:]
        var network: SimulatedNetwork
        var heldForPaused: [NodeID: [Message]] = [:]
        var events = EventLog()
        var latency = LatencyRecorder()
        var leader: NodeID?
        var term: UInt64 = 0
        var leaderLostAtNanos: UInt64?
        var putsAcknowledged = 0
        var putsFailed = 0
        /// Simulated mode: when each member ticks next, and client actions waiting for their time.
        var nextTickNanos: [NodeID: UInt64] = [:]
        var timers: [(dueNanos: UInt64, sequence: UInt64, action: @Sendable () -> Void)] = []
        var timerSequence: UInt64 = 0
        var shutDown = false
    }

    let state: Locked<State>
    let networkRunner: NetworkRunner?
    /// Real time: where the member threads run (see CPUPacking); nil when switched off.
    let cpuPacking: CPUPacking?
    /// Real time: member ticks are stretched by this factor in thousandths (slow motion; see ClusterControl).
    let tickScalePermille = Atomic<UInt64>(1000)
    /// Real time: odd while the whole cluster is frozen (see `freeze`); grows by one at every
    /// freeze and thaw, so a thread's acknowledgement names the freeze it saw.
    let freezeGeneration = Atomic<UInt64>(0)

    public init(config: ClusterConfig) throws {
        guard ClusterConfig.memberRange.contains(config.memberCount) else {
            throw ClusterError.invalidMemberCount(config.memberCount)
        }
        self.config = config
        switch config.driver {
        case .realTime:
            clock = PausableClock()
            seed = SystemClock().nowNanos()
        case .simulated(let s):
            clock = ManualClock()
            seed = s
        }
        var persistences: [NodeID: any RaftPersistence] = [:]
        for id in config.ids {
            persistences[id] = try config.makePersistence(id, clock)
        }
        self.persistences = Locked(persistences)
        state = Locked(State(ids: config.ids, highestID: NodeID(config.memberCount),
                             network: SimulatedNetwork(settings: config.network, seed: seed)))
        networkRunner = config.driver == .realTime ? NetworkRunner() : nil
        cpuPacking = config.driver == .realTime && config.packThreadsWhenLight ? CPUPacking() : nil
        for id in config.ids {
            try start(id)
        }
        try startMembersAddedBeforeRestart()
        networkRunner?.start(cluster: WeakCluster(self), packing: cpuPacking)
    }

    var isSimulated: Bool { config.driver != .realTime }

    /// The members of the cluster, in id order: the configured ones, then those added, less
    /// those removed.
    public var ids: [NodeID] { state.withLock { $0.ids } }

    public func nowNanos() -> UInt64 { clock.nowNanos() }

    /// Where the member threads run and how often that changed; nil when the cluster is
    /// simulated or packing is off.
    public var cpuPackingReport: CPUPacking.Report? { cpuPacking?.report }

    /// The running members' WAL write totals, added up.
    func walWriteTotals() -> WALWriteTotals {
        let members = state.withLock { s in s.members.filter { s.states[$0.key] != .down }.map(\.value) }
        return members.reduce(into: WALWriteTotals(syncs: 0, entries: 0)) { sum, member in
            let totals = member.walWriteTotals
            sum.syncs += totals.syncs
            sum.entries += totals.entries
        }
    }

    // MARK: Lifecycle

    func start(_ id: NodeID, joining: Bool = false) throws {
        let incarnation = state.withLock { s -> UInt64 in
            s.incarnations[id, default: 0] += 1
            return s.incarnations[id]!
        }
        var memberConfig = config.memberConfig(for: id, incarnation: incarnation, seed: seed)
        memberConfig.joinsExistingCluster = joining
        // Real time has threads to spare for a snapshot; the simulation steps everything itself.
        memberConfig.snapshotsInBackground = !isSimulated
        memberConfig.applyInRaftLoopWhenQuiet = !isSimulated
        if let cpuPacking {
            memberConfig.backgroundThreadStarted = { cpuPacking.spreadCurrentThread() }
        }
        let wakeup = Wakeup()
        let applyWakeup = Wakeup()
        let member: Member
        do {
            member = try Member(config: memberConfig, clock: clock, transport: ClusterTransport(cluster: WeakCluster(self)),
                                persistence: try delayedPersistence(of: id), wake: { wakeup.signal() },
                                wakeApply: { applyWakeup.signal() })
        } catch {
            throw ClusterError.memberStartFailed(id, "\(error)")
        }
        let runner: MemberRunner? = isSimulated ? nil : MemberRunner(
            member: member, clock: clock, wakeup: wakeup, applyWakeup: applyWakeup, cluster: WeakCluster(self), packing: cpuPacking)
        let now = clock.nowNanos()
        state.withLock { s in
            s.members[id] = member
            s.states[id] = .up
            if let runner { s.runners[id] = runner }
            // Stagger the members' ticks a little, as separate machines' clocks would be.
            s.nextTickNanos[id] = now + memberConfig.tickNanos + id * 1_000_000
        }
        runner?.start()
    }

    /// Kills a member: it stops at once, and whatever its disk had not synced is lost.
    public func crash(_ id: NodeID) throws {
        guard ids.contains(id) else { throw ClusterError.unknownMember(id) }
        let (member, runner, lost) = state.withLock { s -> (Member?, MemberRunner?, [(Member, Message)]) in
            guard s.states[id] != .down else { return (nil, nil, []) }
            s.states[id] = .down
            let lost = senders(of: s.network.dropAll(involving: id), in: s)
            s.heldForPaused[id] = nil
            s.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .crashed(id)))
            return (s.members.removeValue(forKey: id), s.runners.removeValue(forKey: id), lost)
        }
        reportLostSnapshots(lost)
        member?.stop()
        runner?.stop()
        delayedPersistences.withLock { $0[id] }?.forgetPendingSyncs()
        if let crashable = persistences.withLock({ $0[id] }) as? CrashablePersistence {
            crashable.crash()
        }
        observe()
    }

    /// Starts a crashed member again from what it persisted.
    public func restart(_ id: NodeID) throws {
        guard ids.contains(id) else { throw ClusterError.unknownMember(id) }
        guard state.withLock({ $0.states[id] == .down }) else { return }
        try start(id)
        state.withLock { $0.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .restarted(id))) }
    }

    /// Freezes a member as a stopped process would be: no ticks, no work, messages wait for it.
    public func pause(_ id: NodeID) throws {
        guard ids.contains(id) else { throw ClusterError.unknownMember(id) }
        let runner = state.withLock { s -> MemberRunner? in
            guard s.states[id] == .up || s.states[id] == .partitioned else { return nil }
            s.states[id] = .paused
            s.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .paused(id)))
            return s.runners[id]
        }
        runner?.setPaused(true)
    }

    public func resume(_ id: NodeID) throws {
        guard ids.contains(id) else { throw ClusterError.unknownMember(id) }
        let (runner, held, member) = state.withLock { s -> (MemberRunner?, [Message], Member?) in
            guard s.states[id] == .paused else { return (nil, [], nil) }
            s.states[id] = .up
            s.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .resumed(id)))
            return (s.runners[id], s.heldForPaused.removeValue(forKey: id) ?? [], s.members[id])
        }
        runner?.setPaused(false)
        for m in held { member?.receive(m) }
        refreshPartitionStates()
    }

    /// Splits the members into groups that cannot reach each other.
    public func partition(_ groups: [[NodeID]]) {
        state.withLock { s in
            s.network.partition(groups)
            s.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .partitioned(groups)))
        }
        refreshPartitionStates()
    }

    /// Cuts one member off from the rest.
    public func isolate(_ id: NodeID) {
        partition([[id], ids.filter { $0 != id }])
    }

    public func heal() {
        state.withLock { s in
            s.network.heal()
            s.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .healed))
        }
        refreshPartitionStates()
    }

    public func setNetwork(_ settings: SimulatedNetwork.Settings) {
        state.withLock { $0.network.settings = settings }
    }

    public var networkSettings: SimulatedNetwork.Settings { state.withLock { $0.network.settings } }

    /// Marks members outside the largest connected group as partitioned.
    func refreshPartitionStates() {
        state.withLock { s in
            for id in s.ids where s.states[id] == .up || s.states[id] == .partitioned {
                let reachable = s.ids.filter { s.network.connected(id, $0) }.count
                s.states[id] = reachable * 2 > s.ids.count ? .up : .partitioned
            }
        }
    }

    /// Asks the leader to hand leadership to `transferee`.
    public func transferLeadership(to transferee: NodeID) throws {
        guard ids.contains(transferee) else { throw ClusterError.unknownMember(transferee) }
        let (leader, member) = state.withLock { s in (s.leader, s.leader.flatMap { s.members[$0] }) }
        guard let leader, let member else { return }
        state.withLock { $0.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .transferRequested(from: leader, to: transferee))) }
        member.transferLeadership(to: transferee)
    }

    /// Stops every member and thread. The cluster cannot be used afterwards.
    public func shutdown() {
        let (members, runners) = state.withLock { s -> ([Member], [MemberRunner]) in
            s.shutDown = true
            return (Array(s.members.values), Array(s.runners.values))
        }
        for member in members { member.stop() }
        for runner in runners { runner.stop() }
        networkRunner?.stop()
        for persistence in persistences.withLock({ Array($0.values) }) { persistence.close() }
    }

    public func member(_ id: NodeID) -> Member? {
        state.withLock { $0.members[id] }
    }

    public func memberState(_ id: NodeID) -> MemberState {
        state.withLock { $0.states[id] ?? .down }
    }

    /// A member the runner found broken (its disk failed): take it down with an event.
    func memberFailed(_ id: NodeID, error: any Error) {
        state.withLock { $0.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .note("member \(id) stopped: \(error)"))) }
        try? crash(id)
    }
}

/// A reference that does not keep the cluster alive (members and threads point back at it).
final class WeakCluster: Sendable {
    weak let cluster: Cluster?

    init(_ cluster: Cluster) {
        self.cluster = cluster
    }
}
