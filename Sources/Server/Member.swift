import ByteCoding
import Dispatch
import Locking
import MVCC
import Raft
import Synchronization

/// Carries a member's Raft messages to its peers.
public protocol Transport: Sendable {
    func send(_ messages: [Message])
}

/// One etcd-style member: Raft, its persistence, the applied store, and etcd's put path.
///
/// The member does nothing by itself. A driver calls `tick()` every `tickNanos`,
/// `raftCycle()` to persist and send what Raft produced, and `applyCycle()` to apply committed
/// entries: the real-time driver from a raft thread and an apply thread (so a slow apply shows
/// as a gap between commit and applied), the simulator from one thread in an order it chooses.
/// Clients and the network may call in from any thread.
public final class Member: Sendable {
    public let id: NodeID
    public let config: MemberConfig
    let clock: any MonotonicClock
    let transport: any Transport
    let persistence: any RaftPersistence

    struct RaftSide {
        let node: RawNode
        let storage: MemoryStorage
        var lead: NodeID = noNode
        var term: UInt64 = 0
        var commit: UInt64 = 0
    }

    /// What arrived since the raft loop last ran: taken in one go, so the raft lock is held once
    /// per batch rather than once per message or proposal, and proposals go into one Ready.
    struct Inbox {
        var messages: [Message] = []
        var proposals: [(id: UInt64, data: [UInt8])] = []
        var readContexts: [UInt64] = []
        var ticks = 0
        var transfers: [NodeID] = []
        var snapshotReports: [(NodeID, SnapshotStatus)] = []
        var campaign = false
        /// Membership changes, each with the id of the request that waits for it.
        var confChanges: [(id: UInt64, change: ConfChange)] = []

        var isEmpty: Bool {
            messages.isEmpty && proposals.isEmpty && readContexts.isEmpty && ticks == 0 && transfers.isEmpty
                && snapshotReports.isEmpty && !campaign && confChanges.isEmpty
        }
    }

    enum ApplyItem {
        case entries([Entry])
        case snapshot(Snapshot)
    }

    /// A Ready written to a slow simulated disk, not yet durable.
    struct SyncingReady {
        let ready: Ready
        /// How many of its committed entries went to the apply loop before the write.
        let appliedEarly: Int
        let startedNanos: UInt64
        let durableAtNanos: UInt64
    }

    let raft: Locked<RaftSide>
    let inbox = Locked(Inbox())
    let ids: Locked<RequestIDGenerator>
    let applier: Locked<Applier>
    let applyQueue = Locked<[ApplyItem]>([])
    /// How the member came back from its disk; the apply loop fills in the replay's time.
    let recovery: Locked<Recovery>
    /// The commit index the WAL held at start, and when the replay of it began.
    let recoveryTarget: (index: UInt64, fromNanos: UInt64)
    let replayPending = Atomic<Bool>(true)
    /// Only the raft loop touches it; locked because the driver asks when it will be durable.
    let syncing = Locked<SyncingReady?>(nil)
    let waits = Locked(WaitRegistry())
    /// When this member appended, fsynced and applied its recent entries, for the traces of
    /// puts that other members hold.
    let entryStages = Locked(EntryStageRing(capacity: 2048))
    /// Set once the member knows a leader and has caught up; requests before then wait.
    let ready = Atomic<Bool>(false)
    let readiness = Locked(WaitingForReady())
    /// When each lease runs out, kept while this member leads.
    let leaseClock = Locked(LeaseClock())
    let metrics = Locked(MemberMetrics())
    /// The same events and more, as Prometheus metrics under etcd's names.
    public let meters = MemberMeters()
    let stopped = Atomic<Bool>(false)
    /// An automatic compaction has been proposed and not yet answered.
    let compactionPending = Atomic<Bool>(false)
    /// Set while a snapshot is encoded and saved on `snapshotQueue` (`snapshotsInBackground`).
    let snapshotInFlight = Atomic<Bool>(false)
    let snapshotQueue = DispatchQueue(label: "rafttop.member.snapshot")
    /// Mirrors of the raft side's positions, readable without its lock.
    let committedIndex = Atomic<UInt64>(0)
    let appliedIndex = Atomic<UInt64>(0)
    /// Mirrors of the applied auth state's switch and revision, for the put path's header.
    let authEnabled = Atomic<Bool>(false)
    let authRevision = Atomic<UInt64>(1)
    /// Mirrors of the applied store's size (`allocatedBytes`) and of whether a NOSPACE alarm is
    /// up, for the put path's quota check.
    let storeSizeBytes = Atomic<Int>(0)
    let noSpaceRaised = Atomic<Bool>(false)
    /// A NOSPACE alarm has been proposed and not yet answered.
    let alarmProposalPending = Atomic<Bool>(false)
    /// Hashes and snapshots of the whole state running now (see `holdWholeStateRead`).
    let wholeStateReads = Atomic<Int>(0)
    /// Set while a thread applies (the apply loop, or the raft loop at a quiet moment).
    let applying = Atomic<Bool>(false)
    /// The last log index this member's disk holds durably (its raft storage's last index).
    let persistedIndex = Atomic<UInt64>(0)
    /// The members as the snapshot and the committed configuration changes in the log it
    /// started from name them: known before anything is applied, so a cluster restarting from
    /// disk knows which members were added and removed.
    public let membershipAtStart: Membership
    /// Called when the member has work for its driver (a proposal or message arrived).
    let wake: @Sendable () -> Void
    /// Called when the raft loop queued work for the apply loop.
    let wakeApply: @Sendable () -> Void

    /// Starts a member from what `persistence` holds, or as a new member of `config.peers`.
    public init(config: MemberConfig, clock: any MonotonicClock, transport: any Transport,
                persistence: any RaftPersistence, wake: @escaping @Sendable () -> Void = {},
                wakeApply: @escaping @Sendable () -> Void = {}) throws {
        id = config.id
        self.config = config
        self.clock = clock
        self.transport = transport
        self.persistence = persistence
        self.wake = wake
        self.wakeApply = wakeApply

        let readStarted = clock.nowNanos()
        var recovered = try persistence.load()
        let read = clock.nowNanos()
        let startsEmpty = recovered.isEmpty
        // The snapshot's data stays where the persistence saved it, and is read back only to
        // be sent to a follower: a member holds no copy of it while it runs.
        let readBack = SnapshotReadBack(persistence: persistence, inBackground: config.snapshotsInBackground)
        let storage = MemoryStorage(loadingSnapshotData: { readBack.data(for: $0) })
        var applier = Applier(sessions: config.authSessions)
        applier.quota = config.spaceQuota
        var recovery = Recovery()
        recovery.readNanos = read - readStarted
        if let snapshot = recovered.snapshot {
            recovered.snapshot = nil
            try storage.applySnapshot(snapshot)
            recovery.snapshotIndex = snapshot.metadata.index
            recovery.snapshotBytes = snapshot.data.count
            // Given up here, its buffer becomes the store's bytes as they are decoded.
            try applier.install(consume snapshot)
        }
        let installed = clock.nowNanos()
        recovery.installNanos = installed - read
        recovery.entriesToReplay = recovered.hardState.commit > applier.appliedIndex ? recovered.hardState.commit - applier.appliedIndex : 0
        if recovery.entriesToReplay == 0 { recovery.replayNanos = 0 }
        self.recovery = Locked(recovery)
        recoveryTarget = (index: recovered.hardState.commit, fromNanos: installed)
        storage.setHardState(recovered.hardState)
        storage.append(recovered.entries)
        let node = try RawNode(config: config.raftConfig(applied: applier.appliedIndex), storage: storage)
        if startsEmpty && !config.joinsExistingCluster {
            try node.bootstrap(peers: config.peers, contexts: config.bootstrapContexts)
        }
        ids = Locked(RequestIDGenerator(memberID: config.id, startMillis: clock.wallMillis()))
        raft = Locked(RaftSide(node: node, storage: storage, term: recovered.hardState.term, commit: recovered.hardState.commit))
        committedIndex.store(recovered.hardState.commit, ordering: .relaxed)
        persistedIndex.store(storage.lastIndex(), ordering: .relaxed)
        appliedIndex.store(applier.appliedIndex, ordering: .relaxed)
        authEnabled.store(applier.auth.enabled, ordering: .relaxed)
        authRevision.store(applier.auth.revision, ordering: .relaxed)
        let now = clock.nowNanos()
        leaseClock.withLock { $0.reset(applier.leases, now: now) }
        membershipAtStart = Self.membership(after: applier.membership, at: applier.appliedIndex, entries: recovered.entries,
                                            through: recovered.hardState.commit)
        self.applier = Locked(applier)
        mirrorSpace(applier)
    }

    // MARK: The put path

    /// Proposes a write and calls `completion` when it is applied (or fails): etcd's raftRequest.
    /// When the apply answers that the auth revision the request was checked at is old (the
    /// auth state changed in between), it proposes again, up to `maxAuthRetries` times, so the
    /// request is checked afresh.
    public func propose(_ operation: InternalRequest.Operation, credentials: Credentials = .none,
                        completion: @escaping Completion) {
        proposeAgainOnOldAuth(operation, credentials: credentials, attempt: 0, completion: completion)
    }

    private func proposeAgainOnOldAuth(_ operation: InternalRequest.Operation, credentials: Credentials, attempt: Int,
                                       completion: @escaping Completion) {
        proposeOnce(operation, credentials: credentials) { [weak self] result in
            guard let self, case .failure(.auth(.authOldRevision)) = result, attempt < self.config.maxAuthRetries else {
                return completion(result)
            }
            self.metrics.withLock { $0.authRetries += 1 }
            self.proposeAgainOnOldAuth(operation, credentials: credentials, attempt: attempt + 1, completion: completion)
        }
    }

    /// etcd's processInternalRaftRequestOnce.
    private func proposeOnce(_ operation: InternalRequest.Operation, credentials: Credentials,
                             completion: @escaping Completion) {
        let received = clock.nowNanos()
        guard !stopped.load(ordering: .relaxed) else { return completion(.failure(.stopped)) }
        guard ready.load(ordering: .acquiring) else {
            return whenReady({ [weak self] in self?.proposeOnce(operation, credentials: credentials, completion: completion) },
                             orFail: { completion(.failure($0)) })
        }
        // 0. etcd's quota check, before anything is proposed.
        guard spaceAvailable(for: operation) else {
            proposalsFailed(1)
            return completion(.failure(.noSpace))
        }
        // 1. A member whose apply falls far behind its commit takes no more work.
        if committedIndex.load(ordering: .relaxed) > appliedIndex.load(ordering: .relaxed) + config.maxGapBetweenApplyAndCommit {
            proposalsFailed(1)
            return completion(.failure(.tooManyRequests))
        }
        // 2. A unique id: member, start time, counter.
        let id = ids.withLock { $0.next() }
        // 3. Who is asking, and at which auth revision (etcd's AuthInfoFromCtx).
        let authInfo: AuthInfo
        do throws(AuthError) {
            authInfo = try self.authInfo(credentials)
        } catch {
            proposalsFailed(1)
            return completion(.failure(.auth(error)))
        }
        let authChecked = authEnabled.load(ordering: .relaxed) ? clock.nowNanos() : nil
        let request = InternalRequest(id: id, username: authInfo.username, authRevision: authInfo.revision, operation: operation)
        // 4. Encode and check the size.
        let data = request.encoded()
        if data.count > config.maxRequestBytes {
            proposalsFailed(1)
            return completion(.failure(.requestTooLarge(bytes: data.count, limitBytes: config.maxRequestBytes)))
        }
        // 5. Register the waiter with etcd's deadline.
        var trace = StageTrace(requestID: id, member: self.id, summary: request.summary, receivedNanos: received)
        trace.authCheckedNanos = authChecked
        trace.username = authInfo.username
        waits.withLock {
            $0.register(id: id, trace: trace, deadlineNanos: received + config.requestTimeoutNanos, completion: completion)
        }
        // 6. Propose: the raft loop hands everything queued to Raft at once.
        inbox.withLock { $0.proposals.append((id, data)) }
        wake()
    }

    public func put(_ request: PutRequest, credentials: Credentials = .none, completion: @escaping Completion) {
        propose(.put(request), credentials: credentials, completion: completion)
    }

    /// Reads a range. A linearizable read first confirms, through ReadIndex, that it sees every
    /// write acknowledged before it; a serializable one reads this member's store as it is.
    /// Either way, with auth on, the user needs read permission on the whole range.
    public func range(_ request: RangeRequest, serializable: Bool = false, credentials: Credentials = .none,
                      completion: @escaping Completion) {
        guard !stopped.load(ordering: .relaxed) else { return completion(.failure(.stopped)) }
        guard ready.load(ordering: .acquiring) else {
            return whenReady({ [weak self] in self?.range(request, serializable: serializable, credentials: credentials, completion: completion) },
                             orFail: { completion(.failure($0)) })
        }
        let username: String
        do throws(AuthError) {
            username = try authInfo(credentials).username
        } catch {
            return completion(.failure(.auth(error)))
        }
        if serializable || config.unsafeLocalReads {
            let term = raft.withLock { $0.term }
            return completion(applier.withLock { $0.read(request, username: username, term: term, member: id) })
        }
        let deadline = clock.nowNanos() + config.requestTimeoutNanos
        // A read's context comes from the request IDs (member, start time, counter), as etcd's
        // does: a counter that started again at 1 after a restart let the leader's answer to a
        // read the old incarnation asked for serve a new read, at the old, stale read index.
        let context = ids.withLock { $0.next() }
        waits.withLock {
            $0.registerRead(context: context, request: request, username: username, deadlineNanos: deadline, completion: completion)
        }
        inbox.withLock { $0.readContexts.append(context) }
        wake()
    }

    static func readContextBytes(_ context: UInt64) -> [UInt8] {
        var out = ByteWriter(capacity: 8)
        out.uint64(context)
        return out.buffer
    }

    // MARK: Inputs from the driver and the network

    /// A message from a peer.
    public func receive(_ message: Message) {
        guard !stopped.load(ordering: .relaxed) else { return }
        inbox.withLock { $0.messages.append(message) }
        wake()
    }

    /// Messages from peers, at once.
    public func receive(_ messages: [Message]) {
        guard !stopped.load(ordering: .relaxed), !messages.isEmpty else { return }
        inbox.withLock { $0.messages.append(contentsOf: messages) }
        wake()
    }

    /// One Raft tick; also fails requests past their deadline.
    public func tick() {
        guard !stopped.load(ordering: .relaxed) else { return }
        inbox.withLock { $0.ticks += 1 }
        wake()
        let expired = waits.withLock { $0.expire(now: clock.nowNanos()) }
        if !expired.isEmpty {
            proposalsFailed(expired.count)
            for (completion, _) in expired { completion(.failure(.timeout)) }
        }
        revokeExpiredLeases()
        checkReadiness()
    }

    /// Asks the leader to hand leadership to `transferee`.
    public func transferLeadership(to transferee: NodeID) {
        inbox.withLock { $0.transfers.append(transferee) }
        wake()
    }

    /// The transport finished sending a snapshot to `peer`, or could not.
    public func reportSnapshot(to peer: NodeID, status: SnapshotStatus) {
        inbox.withLock { $0.snapshotReports.append((peer, status)) }
        wake()
    }

    public func campaign() {
        inbox.withLock { $0.campaign = true }
        wake()
    }

    /// Stops taking requests and fails everything waiting with `stopped`.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        let waiting = waits.withLock { $0.drainAll() }
        for completion in waiting { completion(.failure(.stopped)) }
        let notStarted = readiness.withLock { waiting in
            defer { waiting.requests = [] }
            return waiting.requests
        }
        for request in notStarted { request.fail(.stopped) }
        // A snapshot being saved finishes before whoever stopped the member reuses its files.
        snapshotQueue.sync {}
    }

    public var isStopped: Bool { stopped.load(ordering: .relaxed) }
}
