import Raft

/// One simulated member: the storage that stands for its disk, which outlives crashes, and
/// while it is up a `RawNode` over that storage and the application state it has applied.
final class SimMember {
    let id: NodeID
    /// Everything the member persisted: hard state, log, snapshot. A crash keeps it.
    let storage = MemoryStorage()
    private let config: Config
    /// Nil while crashed.
    private(set) var node: RawNode?
    private(set) var stateMachine = SimStateMachine()
    /// Goes up whenever the persisted log changes, so the checker can skip logs it has seen.
    private(set) var logVersion: UInt64 = 0
    /// The persisted log as last read, until it changes.
    private var cachedLog: (snapshotIndex: UInt64, snapshotTerm: UInt64, entries: [Entry])?
    /// A leader's Ready whose write is in flight: its MsgApps are out and its committed entries
    /// applied, as etcd's raft loop does while the leader's fsync runs, but its entries and hard
    /// state are not on the disk yet, so a crash (a power cut) loses them.
    private var writing: Ready?

    init(id: NodeID, config: Config) {
        self.id = id
        self.config = config
    }

    var isUp: Bool { node != nil }

    /// Starts the member for the first time, as one of `peers`.
    func bootstrap(peers: [NodeID], randomSeed: UInt64) {
        let node = makeNode(randomSeed: randomSeed)
        do {
            try node.bootstrap(peers: peers)
        } catch {
            preconditionFailure("bootstrapping member \(id): \(error)")
        }
        self.node = node
    }

    /// Loses everything in memory: Raft's volatile state and the application's.
    func crash() {
        node = nil
        writing = nil
        stateMachine = SimStateMachine()
    }

    /// Starts again from what was persisted; the application reloads the snapshot and Raft hands
    /// out the committed entries after it again. Returns the event for the checker.
    func restart(randomSeed: UInt64) -> SimEvent {
        precondition(node == nil, "member \(id) is already up")
        let snapshot = (try? storage.snapshot()) ?? Snapshot()
        stateMachine = SimStateMachine(snapshot: snapshot)
        // The log may still hold entries the snapshot covers: Raft must not hand those out again.
        node = makeNode(randomSeed: randomSeed, applied: snapshot.metadata.index)
        return .restored(member: id, index: stateMachine.appliedIndex, digest: stateMachine.digest)
    }

    private func makeNode(randomSeed: UInt64, applied: UInt64 = 0) -> RawNode {
        var config = config
        config.randomSeed = randomSeed
        config.applied = applied
        do {
            return try RawNode(config: config, storage: storage)
        } catch {
            preconditionFailure("starting member \(id): \(error)")
        }
    }

    /// What one `Ready` produced for the world outside the member.
    struct Output {
        var messages: [Message] = []
        var events: [SimEvent] = []
        var readStates: [ReadState] = []
    }

    /// Handles every `Ready` the node has: persist, then hand out messages, apply, advance. A
    /// leader's Ready with entries to write stops here half-way, its write in flight, until
    /// `finishWrite` (the next step): its MsgApps go out and its committed entries are applied
    /// now, the rest once the write is durable.
    func drainReady(into output: inout Output) {
        guard let node, writing == nil else { return }
        while node.hasReady {
            let rd = node.ready()
            if !rd.entries.isEmpty && rd.snapshot == nil && node.basicStatus.role == .leader {
                output.messages.append(contentsOf: rd.messages.filter { $0.type == .app })
                apply(rd.committedEntries, node: node, into: &output)
                output.readStates.append(contentsOf: rd.readStates)
                writing = rd
                return
            }
            if let snapshot = rd.snapshot {
                do {
                    try storage.applySnapshot(snapshot)
                } catch {
                    preconditionFailure("member \(id) persisting snapshot \(snapshot.metadata.index): \(error)")
                }
                stateMachine = SimStateMachine(snapshot: snapshot)
                output.events.append(.restored(member: id, index: stateMachine.appliedIndex, digest: stateMachine.digest))
            }
            storage.append(rd.entries)
            if rd.snapshot != nil || !rd.entries.isEmpty { logChanged() }
            if let hardState = rd.hardState {
                storage.setHardState(hardState)
            }
            output.messages.append(contentsOf: rd.messages)
            apply(rd.committedEntries, node: node, into: &output)
            output.readStates.append(contentsOf: rd.readStates)
            node.advance(rd)
        }
    }

    /// The leader's write in flight is durable: the entries and hard state reach the disk, the
    /// messages that had to wait for them go out, and Raft is told.
    func finishWrite(into output: inout Output) {
        guard let rd = writing, let node else { return }
        writing = nil
        storage.append(rd.entries)
        logChanged()
        if let hardState = rd.hardState {
            storage.setHardState(hardState)
        }
        output.messages.append(contentsOf: rd.messages.filter { $0.type != .app })
        node.advance(rd)
    }

    private func apply(_ entries: [Entry], node: RawNode, into output: inout Output) {
        for entry in entries {
            apply(entry, node: node)
            output.events.append(.applied(member: id, entry: entry, digest: stateMachine.digest))
        }
    }

    private func apply(_ entry: Entry, node: RawNode) {
        if entry.type == .confChange {
            do {
                node.applyConfChange(try ConfChange(decoding: entry.data))
            } catch {
                preconditionFailure("member \(id) applying entry \(entry.index): \(error)")
            }
        }
        stateMachine.apply(entry)
    }

    /// Snapshots the applied state and drops the log up to `retaining` entries before it.
    /// Returns whether anything was compacted.
    func compact(retaining: UInt64) -> Bool {
        // While a write is in flight the disk may not hold what the state machine has applied.
        guard let node, writing == nil else { return false }
        let index = stateMachine.appliedIndex
        let snapshotIndex = (try? storage.snapshot())?.metadata.index ?? 0
        guard index > snapshotIndex else { return false }
        do {
            try storage.createSnapshot(at: index, confState: node.confState, data: stateMachine.snapshotData)
            let compactIndex = index > retaining ? index - retaining : 0
            if compactIndex >= storage.firstIndex() {
                try storage.compact(upTo: compactIndex)
                logChanged()
            }
        } catch {
            preconditionFailure("member \(id) compacting at \(index): \(error)")
        }
        return true
    }

    private func logChanged() {
        logVersion += 1
        cachedLog = nil
    }

    /// The persisted log: the whole of Raft's log after every handled `Ready`, but for a
    /// leader's write still in flight.
    private var log: (snapshotIndex: UInt64, snapshotTerm: UInt64, entries: [Entry]) {
        if let cachedLog { return cachedLog }
        let first = storage.firstIndex()
        let last = storage.lastIndex()
        let entries = last >= first ? ((try? storage.entries(first, last + 1, maxSizeBytes: .max)) ?? []) : []
        let log = (first - 1, (try? storage.term(first - 1)) ?? 0, entries)
        cachedLog = log
        return log
    }

    /// What the safety checker sees of this member now.
    var observation: MemberObservation {
        let log = log
        var observation: MemberObservation
        if let node {
            let status = node.basicStatus
            observation = MemberObservation(id: id, role: status.role, term: status.term, commit: status.commit,
                                            applied: status.applied, stateMachineIndex: stateMachine.appliedIndex,
                                            snapshotIndex: log.snapshotIndex, snapshotTerm: log.snapshotTerm, entries: log.entries)
            observation.isLearner = node.confState.learners.contains(id)
        } else {
            let hardState = storage.hardState
            observation = MemberObservation(id: id, isUp: false, role: .follower, term: hardState.term, commit: hardState.commit,
                                            applied: 0, stateMachineIndex: 0, snapshotIndex: log.snapshotIndex,
                                            snapshotTerm: log.snapshotTerm, entries: log.entries)
        }
        observation.logVersion = logVersion
        return observation
    }
}

extension SimMember {
    /// The commit index: Raft's while up, the persisted one while crashed.
    var commitIndex: UInt64 {
        node?.basicStatus.commit ?? storage.hardState.commit
    }
}
