import Raft

/// A deterministic fault-injection run of a Raft group, in the style of FoundationDB's and
/// TigerBeetle's simulators: one seeded generator chooses every step (deliver, drop, duplicate or
/// delay a message, tick, propose, crash, restart, partition, heal, compact, transfer leadership,
/// read), the real `RawNode`s take them, and a `SafetyChecker` looks at the group after each one.
/// Nothing here reads a clock or schedules a task, so a seed replays a run exactly.
public final class Simulation {
    public let options: SimulationOptions
    private var random: SimRandom
    private let profile: FaultProfile
    private let members: [SimMember]
    private var network: SimNetwork
    private var checker = SafetyChecker()
    private var report: SimulationReport
    private var step = 0
    /// Events since the last check.
    private var events: [SimEvent] = []
    /// Contexts of ReadIndex requests not yet answered, with the commit floor each must reach.
    private var pendingReads: [[UInt8]: UInt64] = [:]
    private var proposalCount: UInt64 = 0
    private var readCount: UInt64 = 0
    /// Off once the liveness rounds begin: no more losses, duplicates or delays.
    private var faultsActive = true

    /// Messages in flight per member, at most.
    static let inFlightPerMember = 32
    /// Chance per fault step, in runs with membership changes, that the leader changes one member.
    static let membershipChangePerMille = 40

    public convenience init(options: SimulationOptions) {
        self.init(options: options, countsUnpersistedSelfAck: false)
    }

    /// With `countsUnpersistedSelfAck`, every member runs the Raft core's deliberate bug
    /// (`Config.countsUnpersistedSelfAck`): only for the test that the checker catches it.
    package init(options: SimulationOptions, countsUnpersistedSelfAck: Bool) {
        precondition((1...9).contains(options.memberCount), "a simulated group has 1 to 9 members")
        self.options = options
        var random = SimRandom(seed: options.seed)
        profile = FaultProfile(random: &random)
        let ids = (1...options.memberCount).map { NodeID($0) }
        let preVote = random.chance(perMille: 700)
        let checkQuorum = random.chance(perMille: 700)
        let maxSizePerMsg: UInt64 = random.pick([64, 1024, 1 << 20])
        let maxInflightMsgs = random.pick([1, 4, 256])
        members = ids.map { id in
            var config = Config(id: id)
            config.preVote = preVote
            config.checkQuorum = checkQuorum
            config.maxSizePerMsg = maxSizePerMsg
            config.maxInflightMsgs = maxInflightMsgs
            config.countsUnpersistedSelfAck = countsUnpersistedSelfAck
            return SimMember(id: id, config: config)
        }
        for member in members {
            member.bootstrap(peers: ids, randomSeed: random.next())
        }
        self.random = random
        network = SimNetwork(capacity: Self.inFlightPerMember * options.memberCount)
        report = SimulationReport(
            seed: options.seed, memberCount: options.memberCount, faultSteps: options.steps, steps: 0, faults: [:],
            violations: [], termMax: 0, commitMax: 0, proposals: 0, proposalsDropped: 0, readsAnswered: 0,
            snapshotsDelivered: 0, livenessRounds: nil, membershipChanges: options.membershipChanges)
    }

    /// Runs the fault steps, then the liveness rounds; stops at the first step with a violation.
    public func run() -> SimulationReport {
        settle()
        checkNow()
        while step < options.steps && report.violations.isEmpty {
            step += 1
            performFaultStep()
            // Drawn only in runs with membership changes, so other seeds replay as before.
            if options.membershipChanges && random.chance(perMille: Self.membershipChangePerMille) {
                changeMembership()
            }
            settle()
            checkNow()
        }
        if report.violations.isEmpty {
            runLivenessRounds()
        }
        report.steps = step
        for observation in members.map(\.observation) {
            report.termMax = max(report.termMax, observation.term)
            report.commitMax = max(report.commitMax, observation.commit)
        }
        return report
    }

    // MARK: Steps

    private func performFaultStep() {
        switch profile.nextStep(random: &random) {
        case .deliver:
            // A few at a time, so the network keeps up with a leader's heartbeats to every member.
            for _ in 0..<random.inRange(1...members.count) where !deliverOne() {
                tickAll()
                break
            }
        case .tick:
            tickAll()
        case .propose:
            propose()
        case .readIndex:
            readIndex()
        case .crash:
            guard let member = randomMember(up: true) else { return }
            member.crash()
            count(.crash)
        case .restart:
            guard let member = randomMember(up: false) else { return }
            events.append(member.restart(randomSeed: random.next()))
            count(.restart)
        case .partition:
            let side = Set(members.map(\.id).filter { _ in random.chance(perMille: 500) })
            guard !side.isEmpty && side.count < members.count else { return }
            network.partition(side: side)
            count(.partition)
        case .heal:
            guard network.isPartitioned else { return }
            network.heal()
            count(.heal)
        case .compact:
            guard let member = randomMember(up: true) else { return }
            if member.compact(retaining: UInt64(random.inRange(0...5))) { count(.compaction) }
        case .transferLeadership:
            let leaders = members.filter { $0.node?.basicStatus.role == .leader }
            guard !leaders.isEmpty else { return }
            let leader = random.pick(leaders)
            let others = members.map(\.id).filter { $0 != leader.id }
            guard !others.isEmpty else { return }
            leader.node?.transferLeadership(to: random.pick(others))
            count(.leaderTransfer)
        }
    }

    /// The leader promotes its learner if it has one, else demotes a voter (itself, sometimes),
    /// keeping at least two voters. Raft takes one change at a time: a second proposed while the
    /// first is not applied becomes an empty entry.
    private func changeMembership() {
        guard let leader = members.first(where: { $0.node?.basicStatus.role == .leader }), let node = leader.node else { return }
        let confState = node.confState
        let change: ConfChange
        if let learner = confState.learners.first {
            change = ConfChange(kind: .addNode, nodeID: learner)
            count(.promotion)
        } else if confState.voters.count > 2 {
            change = ConfChange(kind: .addLearnerNode, nodeID: random.pick(confState.voters))
            count(.demotion)
        } else {
            return
        }
        try? node.proposeConfChange(change)
    }

    /// Delivers one message that may arrive now: usually the oldest, sometimes any.
    private func deliverOne() -> Bool {
        guard var position = network.firstDeliverable(at: step) else { return false }
        if profile.reorderPerMille > 0 && random.chance(perMille: profile.reorderPerMille) {
            position = random.pick(network.deliverable(at: step))
            if position != network.firstDeliverable(at: step) { count(.messageReordered) }
        }
        deliver(network.take(at: position))
        return true
    }

    private func deliver(_ m: Message) {
        let sender = member(m.from)?.node
        guard let receiver = member(m.to)?.node, !network.isCut(from: m.from, to: m.to) else {
            count(.messageUndeliverable)
            if m.type == .snap { sender?.reportSnapshot(m.to, status: .failure) }
            sender?.reportUnreachable(m.to)
            return
        }
        // A member refuses some messages (a response from a removed member, a proposal it cannot
        // take): the sender learns nothing of it, as over a real network.
        try? receiver.step(m)
        if m.type == .snap {
            report.snapshotsDelivered += 1
            sender?.reportSnapshot(m.to, status: .finished)
        }
    }

    private func tickAll() {
        for member in members {
            member.node?.tick()
        }
    }

    private func propose() {
        guard let member = randomMember(up: true), let node = member.node else { return }
        let batchCount = random.chance(perMille: 200) ? random.inRange(2...4) : 1
        var batch: [[UInt8]] = []
        for _ in 0..<batchCount {
            proposalCount += 1
            batch.append(proposalData(proposalCount))
        }
        report.proposals += batchCount
        do {
            try node.propose(batch: batch)
        } catch {
            report.proposalsDropped += batchCount
        }
    }

    /// A proposal's payload: its number, then a few bytes more for some, so batches hit the size limits.
    private func proposalData(_ number: UInt64) -> [UInt8] {
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: number >> UInt64(8 * $0)) }
        return bytes + [UInt8](repeating: 0x2E, count: Int(number % 4) * 16)
    }

    private func readIndex() {
        guard let member = randomMember(up: true), let node = member.node else { return }
        readCount += 1
        let context = Array("read".utf8) + (0..<8).map { UInt8(truncatingIfNeeded: readCount >> UInt64(8 * $0)) }
        pendingReads[context] = members.map(\.commitIndex).max() ?? 0
        node.readIndex(context: context)
    }

    // MARK: Liveness

    /// Heals everything, then runs rounds until a proposal is applied by every member.
    private func runLivenessRounds() {
        faultsActive = false
        network.heal()
        for member in members where !member.isUp {
            events.append(member.restart(randomSeed: random.next()))
        }
        settle()
        checkNow()
        // Entries proposed under faults must reach everyone first; with one MsgApp in flight of
        // one entry each, every entry takes a round trip: two rounds.
        let observations = members.map(\.observation)
        let backlog = (observations.map(\.lastIndex).max() ?? 0) - (observations.map(\.commit).min() ?? 0)
        let roundsMax = options.livenessRoundsMax + 3 * Int(backlog)
        var markers: Set<[UInt8]> = []
        var markedMembers: Set<NodeID> = []
        for round in stride(from: 1, through: roundsMax, by: 1) where report.violations.isEmpty {
            step += 1
            tickAll()
            for m in network.takeAll() {
                deliver(m)
            }
            settle()
            // Propose again every few rounds: a proposal may be dropped in a leader change.
            if round % 10 == 1, let leader = members.first(where: { $0.node?.basicStatus.role == .leader })?.node {
                let marker = Array("live".utf8) + [UInt8(truncatingIfNeeded: round), UInt8(truncatingIfNeeded: round >> 8)]
                if (try? leader.propose(marker)) != nil { markers.insert(marker) }
                settle()
            }
            for case .applied(let member, let entry, _) in events where markers.contains(entry.data) {
                markedMembers.insert(member)
            }
            checkNow()
            if markedMembers.count == members.count && report.violations.isEmpty {
                report.livenessRounds = round
                return
            }
        }
        guard report.violations.isEmpty else { return }
        report.violations.append(Violation(
            .liveness, step: step, member: noNode,
            detail: "no proposal applied everywhere within \(roundsMax) rounds after healing; \(groupSummary)"))
    }

    /// Each member's role, term, commit, applied and last index, and the leader's view of followers.
    private var groupSummary: String {
        members.map { member in
            guard let node = member.node else { return "\(member.id): down" }
            let status = node.status()
            var text = "\(member.id): \(status.role) term \(status.term) commit \(status.commit) applied \(status.applied) last \(status.lastIndex)"
            if status.role == .leader {
                let followers = status.progress.keys.sorted().filter { $0 != member.id }.map { peer in
                    let p = status.progress[peer]!
                    return "\(peer) \(p.state) match \(p.match) next \(p.next)\(p.paused ? " paused" : "") inflight \(p.inflight)"
                }
                text += " [\(followers.joined(separator: "; "))]"
            }
            return text
        }.joined(separator: "; ")
    }

    // MARK: Plumbing

    /// Finishes the leaders' writes in flight since the last step, then lets every member
    /// handle its `Ready`s, and sends what they produce, until all are quiet. A leader's write
    /// begun here stays in flight through the next step, where a crash loses it.
    private func settle() {
        var busy = true
        var writesInFlight = true
        while busy {
            busy = false
            for member in members where member.isUp {
                var output = SimMember.Output()
                if writesInFlight { member.finishWrite(into: &output) }
                member.drainReady(into: &output)
                busy = busy || !output.messages.isEmpty || !output.events.isEmpty || !output.readStates.isEmpty
                events.append(contentsOf: output.events)
                for readState in output.readStates {
                    if let floor = pendingReads.removeValue(forKey: readState.requestContext) {
                        events.append(.readAnswered(member: member.id, index: readState.index, floor: floor))
                        report.readsAnswered += 1
                    }
                }
                for m in output.messages {
                    send(m)
                }
            }
            writesInFlight = false
        }
    }

    /// Puts a message on the network, losing, duplicating or delaying it as the profile says.
    private func send(_ m: Message) {
        if faultsActive && random.chance(perMille: profile.lossPerMille) {
            count(.messageLost)
            lost(m)
            return
        }
        var copies = 1
        if faultsActive && random.chance(perMille: profile.duplicatePerMille) {
            copies = 2
            count(.messageDuplicated)
        }
        for _ in 0..<copies {
            var deliverableAt = step
            if faultsActive && random.chance(perMille: profile.delayPerMille) {
                deliverableAt += random.inRange(1...profile.delayStepsMax)
                count(.messageDelayed)
            }
            if !network.send(m, deliverableAt: deliverableAt) {
                count(.messageOverflowed)
                lost(m)
            }
        }
    }

    /// A transport that loses a snapshot tells the sender, which would otherwise wait for it.
    private func lost(_ m: Message) {
        if m.type == .snap {
            member(m.from)?.node?.reportSnapshot(m.to, status: .failure)
        }
    }

    private func checkNow() {
        let found = checker.check(step: step, members: members.map(\.observation), events: events)
        events = []
        report.violations.append(contentsOf: found)
    }

    private func count(_ kind: FaultKind) {
        report.faults[kind, default: 0] += 1
    }

    private func member(_ id: NodeID) -> SimMember? {
        guard id >= 1 && id <= NodeID(members.count) else { return nil }
        return members[Int(id - 1)]
    }

    private func randomMember(up: Bool) -> SimMember? {
        let candidates = members.filter { $0.isUp == up }
        return candidates.isEmpty ? nil : random.pick(candidates)
    }
}
