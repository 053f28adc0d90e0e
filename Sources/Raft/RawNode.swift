/// Everything the application must do after feeding the node: persist, send, apply.
///
/// Order matters: persist `hardState`, `entries` and `snapshot` (fsync when `mustSync`) before
/// sending `messages` — a leader may send its MsgApps while its own write is in flight, as etcd
/// does, but every other message promises something already on disk. `committedEntries` are
/// durable on a quorum that counts this member only once an earlier `Ready` was advanced, so
/// they may be applied while this one's write is in flight (as etcd does), unless it carries a
/// snapshot. Call `advance(_:)` once the write is durable.
public struct Ready: Sendable {
    /// Set when leader or role changed since the last `Ready`.
    public var softState: SoftState?
    /// Set when term, vote or commit changed since the last `Ready`.
    public var hardState: HardState?
    public var readStates: [ReadState] = []
    /// Entries to persist, in order; they may replace persisted entries at the same indexes.
    public var entries: [Entry] = []
    /// A snapshot to persist and load into the application.
    public var snapshot: Snapshot?
    /// Entries committed by a quorum, to apply in order.
    public var committedEntries: [Entry] = []
    public var messages: [Message] = []
    /// Whether `hardState` and `entries` must reach stable storage (fsync) before anything is sent.
    public var mustSync: Bool = false

    public var isEmpty: Bool {
        softState == nil && hardState == nil && readStates.isEmpty && entries.isEmpty
            && snapshot == nil && committedEntries.isEmpty && messages.isEmpty
    }
}

/// One Raft member, driven step by step by its caller: the etcd-io/raft RawNode.
/// Not thread-safe: one caller owns it.
public final class RawNode {
    let raft: Raft
    private var previousSoftState: SoftState
    private var previousHardState: HardState
    /// A `Ready` has been handed out and not yet advanced.
    private var readyOutstanding = false
    /// The leader's acknowledgement of the entries in the outstanding `Ready`, stepped in
    /// `advance(_:)` when they are persisted.
    private var selfAckOnAdvance: Message?

    /// A member over `storage`, which holds its persisted state (empty for a new member).
    public init(config: Config, storage: any Storage) throws(RaftError) {
        raft = try Raft(config: config, storage: storage)
        previousSoftState = raft.softState
        previousHardState = raft.hardState
    }

    /// Starts a brand-new group: the first `peers.count` entries add each peer, committed by
    /// definition, so a member added later learns the first configuration from the log.
    public func bootstrap(peers: [NodeID], contexts: [NodeID: [UInt8]] = [:]) throws(RaftError) {
        guard raft.log.lastIndex == 0, raft.hardState.isEmpty else { throw .bootstrapNonEmptyStorage }
        precondition(!peers.isEmpty, "bootstrap needs at least one peer")
        raft.becomeFollower(term: 1, lead: noNode)
        var entries: [Entry] = []
        for (i, peer) in peers.enumerated() {
            let change = ConfChange(kind: .addNode, nodeID: peer, context: contexts[peer] ?? [])
            entries.append(Entry(term: 1, index: UInt64(i + 1), type: .confChange, data: change.encoded()))
        }
        raft.log.append(entries)
        raft.log.commitTo(UInt64(entries.count))
        for peer in peers {
            _ = raft.applyConfChange(ConfChange(kind: .addNode, nodeID: peer))
        }
    }

    // MARK: Input

    /// Advances the logical clock by one tick.
    public func tick() {
        raft.tick()
    }

    /// Starts an election now (with PreVote first, when configured).
    public func campaign() throws(RaftError) {
        try raft.step(Message(type: .hup, from: raft.id))
    }

    /// Proposes `data` to be appended to the log.
    public func propose(_ data: [UInt8]) throws(RaftError) {
        try raft.step(Message(type: .prop, from: raft.id, entries: [Entry(data: data)]))
    }

    /// Proposes a batch of entries at once (one MsgProp, appended together).
    public func propose(batch: [[UInt8]]) throws(RaftError) {
        guard !batch.isEmpty else { return }
        try raft.step(Message(type: .prop, from: raft.id, entries: batch.map { Entry(data: $0) }))
    }

    /// Proposes a configuration change; it takes effect when the application applies its entry
    /// and calls `applyConfChange(_:)`.
    public func proposeConfChange(_ change: ConfChange) throws(RaftError) {
        let entry = Entry(type: .confChange, data: change.encoded())
        try raft.step(Message(type: .prop, from: raft.id, entries: [entry]))
    }

    /// Applies a committed configuration change; returns the configuration to store with snapshots.
    @discardableResult
    public func applyConfChange(_ change: ConfChange) -> ConfState {
        raft.applyConfChange(change)
    }

    /// Takes a message from a peer.
    public func step(_ message: Message) throws(RaftError) {
        if message.type.isLocal { throw .localMessageFromPeer(message.type) }
        if message.type.isResponse && raft.progress[message.from] == nil {
            throw .peerNotFound(message.from)
        }
        try raft.step(message)
    }

    /// Asks the leader to hand leadership to `transferee`.
    public func transferLeadership(to transferee: NodeID) {
        try? raft.step(Message(type: .transferLeader, to: raft.id, from: transferee))
    }

    /// Requests a linearizable read position; the answer arrives as a `ReadState` carrying `context`.
    public func readIndex(context: [UInt8]) {
        try? raft.step(Message(type: .readIndex, context: context))
    }

    /// The transport could not reach `peer`: stop streaming to it and probe instead.
    public func reportUnreachable(_ peer: NodeID) {
        try? raft.step(Message(type: .unreachable, from: peer))
    }

    /// The transport finished sending a snapshot to `peer`, or failed to.
    public func reportSnapshot(_ peer: NodeID, status: SnapshotStatus) {
        try? raft.step(Message(type: .snapStatus, from: peer, reject: status == .failure))
    }

    // MARK: Output

    /// Whether `ready()` has anything to hand out.
    public var hasReady: Bool {
        if readyOutstanding { return false }
        if raft.softState != previousSoftState { return true }
        let hs = raft.hardState
        if !hs.isEmpty && hs != previousHardState { return true }
        if raft.log.hasPendingSnapshot { return true }
        if !raft.messages.isEmpty || raft.selfAck != nil || !raft.log.unstableEntries.isEmpty || raft.log.hasNextCommittedEntries { return true }
        return !raft.readStates.isEmpty
    }

    /// What the application must do now. Call `advance(_:)` with it before the next `ready()`.
    public func ready() -> Ready {
        precondition(!readyOutstanding, "ready() called again before advance()")
        var rd = Ready()
        rd.entries = raft.log.unstableEntries
        rd.committedEntries = raft.log.nextCommittedEntries()
        rd.messages = raft.messages
        let soft = raft.softState
        if soft != previousSoftState {
            rd.softState = soft
            previousSoftState = soft
        }
        let hard = raft.hardState
        if hard != previousHardState {
            rd.hardState = hard
        }
        rd.snapshot = raft.log.unstable.snapshot
        rd.readStates = raft.readStates
        rd.mustSync = !rd.entries.isEmpty || hard.term != previousHardState.term || hard.vote != previousHardState.vote
        raft.messages = []
        raft.readStates = []
        selfAckOnAdvance = raft.takeSelfAck()
        readyOutstanding = true
        return rd
    }

    /// The application has persisted, sent and applied (or queued for applying) `rd`. A
    /// leader counts the entries it appended toward their quorum only from here on.
    public func advance(_ rd: Ready) {
        precondition(readyOutstanding, "advance() without a ready()")
        readyOutstanding = false
        if let hard = rd.hardState {
            previousHardState = hard
        }
        if let last = rd.committedEntries.last {
            raft.log.appliedTo(last.index)
        } else if let snapshot = rd.snapshot {
            raft.log.appliedTo(snapshot.metadata.index)
        }
        raft.reduceUncommittedSize(rd.committedEntries)
        if let last = rd.entries.last {
            raft.log.stableTo(index: last.index, term: last.term)
        }
        if let snapshot = rd.snapshot {
            raft.log.stableSnapshotTo(index: snapshot.metadata.index)
        }
        if let ack = selfAckOnAdvance {
            // The leader's entries are durable: its own copy now counts, which may commit them
            // (the commit reaches the next Ready). An ack from an earlier term is dropped.
            selfAckOnAdvance = nil
            try? raft.step(ack)
        }
    }

    // MARK: Introspection

    public var id: NodeID { raft.id }

    public var confState: ConfState { raft.confState }

    /// Whether this member leads and a configuration change it appended is not yet applied:
    /// another proposed now would be dropped (Raft takes one at a time).
    public var hasPendingConfChange: Bool {
        raft.role == .leader && raft.pendingConfIndex > raft.log.applied
    }

    public var basicStatus: BasicStatus {
        BasicStatus(id: raft.id, hardState: raft.hardState, softState: raft.softState,
                    applied: raft.log.applied, leadTransferee: raft.leadTransferee,
                    timer: ElectionTimer(electionElapsed: raft.electionElapsed, randomizedElectionTimeout: raft.randomizedElectionTimeout,
                                         heartbeatElapsed: raft.heartbeatElapsed, heartbeatTimeout: raft.heartbeatTimeout))
    }

    /// The member's state, and for a leader what it knows of every follower.
    public func status() -> Status {
        var followers: [NodeID: FollowerProgress] = [:]
        if raft.role == .leader {
            for (peer, pr) in raft.progress {
                followers[peer] = FollowerProgress(
                    match: pr.match, next: pr.next, state: pr.state, inflight: pr.inflights.count,
                    inflightBytes: pr.inflights.bytes, paused: pr.isPaused, recentActive: pr.recentActive,
                    pendingSnapshot: pr.pendingSnapshot, isLearner: pr.isLearner)
            }
        }
        return Status(basic: basicStatus, lastIndex: raft.log.lastIndex, firstIndex: raft.log.firstIndex,
                      voters: raft.confState.voters, learners: raft.confState.learners, progress: followers,
                      pendingReadIndex: raft.readOnly.pendingCount)
    }
}
