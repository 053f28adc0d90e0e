import ByteCoding
import MVCC
import Raft

extension Member {
    /// Handles one Ready: queue committed entries for the apply loop, persist (fsync when Raft
    /// says so), send, advance. Returns false when Raft had nothing to do.
    ///
    /// As in etcd, the leader sends its MsgApps and heartbeats before its own WAL write, so the
    /// write overlaps replication; every other message waits until the write is durable. And as
    /// in etcd, committed entries go to the apply loop before the write, so applying them
    /// overlaps it: a quorum already holds them durably, whatever this member's disk is doing
    /// (Raft counts a leader's own copy only once `advance` said it is written). A Ready
    /// carrying a snapshot waits for the write (the snapshot and the entries after it).
    ///
    /// On a simulated slow disk the write is durable only later in simulated time: the Ready
    /// then stays in flight, and until it is durable the cycle takes nothing from the inbox, as
    /// a raft loop blocked in fsync would not, and returns false.
    @discardableResult
    public func raftCycle() throws -> Bool {
        guard !stopped.load(ordering: .relaxed) else { return false }
        if let inFlight = syncing.withLock({ $0 }) {
            guard clock.nowNanos() >= inFlight.durableAtNanos else { return false }
            syncing.withLock { $0 = nil }
            finishPersisting(inFlight.ready, appliedEarly: inFlight.appliedEarly,
                             fsyncNanos: inFlight.durableAtNanos - inFlight.startedNanos)
            return true
        }
        let started = clock.nowNanos()
        let took = drainInbox(at: started)
        guard let rd = takeReady(at: started) else { return took }
        if !rd.entries.isEmpty { entryStages.withLock { $0.appended(rd.entries, at: started) } }
        let appliedEarly = rd.snapshot == nil ? rd.committedEntries.count : 0
        // A Ready with nothing to write (the commit of entries written before) at a quiet
        // moment: this thread applies them itself, saving the apply loop's wake-up on the way
        // to the client. Under load, Readys carry entries to write and the apply loop applies.
        var applyHere = false
        if appliedEarly > 0 {
            let quiet = config.applyInRaftLoopWhenQuiet && rd.entries.isEmpty && !rd.mustSync
            applyHere = queueForApply(snapshot: nil, entries: Array(rd.committedEntries[..<appliedEarly]),
                                      callerAppliesIfIdle: quiet)
        }
        confirmReads(rd)
        if applyHere { try applyCycle() }

        let early = rd.messages.filter(Self.canSendBeforePersisting)
        if !early.isEmpty { transport.send(early) }
        if let snapshot = rd.snapshot {
            try persistence.saveSnapshot(snapshot)
        }
        let fsyncNanos = try persistence.save(hardState: rd.hardState, entries: rd.entries, mustSync: rd.mustSync)
        if let durableAt = persistence.durableAtNanos(), durableAt > clock.nowNanos() {
            syncing.withLock {
                $0 = SyncingReady(ready: rd, appliedEarly: appliedEarly, startedNanos: started, durableAtNanos: durableAt)
            }
            return true
        }
        finishPersisting(rd, appliedEarly: appliedEarly, fsyncNanos: fsyncNanos)
        if !ready.load(ordering: .relaxed) { checkReadiness() }
        return true
    }

    /// When a Ready waiting for a slow disk will be durable; nil when none is waiting.
    public var persistingUntilNanos: UInt64? {
        syncing.withLock { $0?.durableAtNanos }
    }

    /// The rest of a Ready once its writes are durable: advance Raft, send what had to wait for
    /// the write, and hand a snapshot (with the entries after it) to the apply loop.
    private func finishPersisting(_ rd: Ready, appliedEarly: Int, fsyncNanos: UInt64) {
        let persisted = clock.nowNanos()
        raft.withLock { side in
            if let snapshot = rd.snapshot {
                try? side.storage.applySnapshot(snapshot)
            }
            side.storage.append(rd.entries)
            if let hardState = rd.hardState {
                side.storage.setHardState(hardState)
            }
            side.node.advance(rd)
        }
        if let last = rd.entries.last {
            waits.withLock { $0.markSynced(throughIndex: last.index, at: persisted) }
            entryStages.withLock { $0.synced(rd.entries, at: persisted) }
        }
        if let durable = rd.entries.last?.index ?? rd.snapshot?.metadata.index {
            persistedIndex.store(durable, ordering: .releasing)
        }
        metrics.withLock { m in
            if rd.mustSync {
                m.walFsyncCount += 1
                m.walFsyncNanosTotal += fsyncNanos
                m.walFsyncNanosLast = fsyncNanos
            }
            m.walEntriesWritten += rd.entries.count
        }
        if rd.mustSync { meters.walFsyncDuration.recordNanoseconds(Int64(fsyncNanos)) }
        let late = rd.messages.filter { !Self.canSendBeforePersisting($0) }
        if !late.isEmpty { transport.send(late) }

        if rd.snapshot != nil || appliedEarly < rd.committedEntries.count {
            queueForApply(snapshot: rd.snapshot, entries: Array(rd.committedEntries[appliedEarly...]))
        }
    }

    /// Confirms the reads whose ReadIndex came back: each is served once its index is applied.
    /// (Like committed entries, they need nothing from this member's disk.)
    private func confirmReads(_ rd: Ready) {
        guard !rd.readStates.isEmpty else { return }
        waits.withLock { w in
            for state in rd.readStates {
                var reader = ByteReader(state.requestContext)
                if let context = try? reader.uint64() { w.confirmRead(context: context, index: state.index) }
            }
        }
        wakeApply()
    }

    /// Hands a snapshot and committed entries to the apply loop, and wakes it. With
    /// `callerAppliesIfIdle`, when nothing else was queued, it returns true without waking it:
    /// the caller applies them now.
    @discardableResult
    private func queueForApply(snapshot: Snapshot?, entries: [Entry], callerAppliesIfIdle: Bool = false) -> Bool {
        var items: [ApplyItem] = []
        if let snapshot { items.append(.snapshot(snapshot)) }
        if !entries.isEmpty { items.append(.entries(entries)) }
        guard !items.isEmpty else { return false }
        let wasEmpty = applyQueue.withLock { queue in
            defer { queue.append(contentsOf: items) }
            return queue.isEmpty
        }
        if wasEmpty && callerAppliesIfIdle { return true }
        wakeApply()
        return false
    }

    /// Steps everything that arrived into Raft under one hold of its lock. Returns whether
    /// there was anything.
    private func drainInbox(at now: UInt64) -> Bool {
        let input = inbox.withLock { box -> Inbox in
            defer { box = Inbox() }
            return box
        }
        guard !input.isEmpty else { return false }
        var refusedConfChanges: [(UInt64, RaftError)] = []
        let refused: RaftError? = raft.withLock { side -> RaftError? in
            for _ in 0..<input.ticks { side.node.tick() }
            for message in input.messages { try? side.node.step(message) }
            for (peer, status) in input.snapshotReports { side.node.reportSnapshot(peer, status: status) }
            for transferee in input.transfers { side.node.transferLeadership(to: transferee) }
            if input.campaign { try? side.node.campaign() }
            refusedConfChanges = input.confChanges.compactMap { id, change in
                do throws(RaftError) {
                    try side.node.proposeConfChange(change)
                    return nil
                } catch {
                    return (id, error)
                }
            }
            for context in input.readContexts { side.node.readIndex(context: Self.readContextBytes(context)) }
            guard !input.proposals.isEmpty else { return nil }
            do throws(RaftError) {
                try side.node.propose(batch: input.proposals.map(\.data))
                return nil
            } catch {
                return error
            }
        }
        let acks = input.messages.filter { $0.type == .appResp && !$0.reject }
        if !acks.isEmpty || !input.proposals.isEmpty {
            waits.withLock { w in
                for m in acks { w.markAcked(by: m.from, throughIndex: m.index, at: now) }
                if refused == nil {
                    for p in input.proposals { w.markProposed(id: p.id, at: now) }
                }
            }
        }
        if !refusedConfChanges.isEmpty {
            let failed = waits.withLock { w in
                refusedConfChanges.compactMap { id, error in
                    w.finish(id: id, appliedAt: nil, now: now, error: ServerError(error)).map { ($0.0, ServerError(error)) }
                }
            }
            for (completion, error) in failed { completion(.failure(error)) }
        }
        if let refused {
            // 7. A refused proposal fails at once and counts in proposalsFailed.
            let failure = ServerError(refused)
            let failed = waits.withLock { w in
                input.proposals.compactMap { w.finish(id: $0.id, appliedAt: nil, now: now, error: failure) }
            }
            proposalsFailed(failed.count)
            for (completion, _) in failed { completion(.failure(failure)) }
        }
        return true
    }

    /// The next Ready, if Raft has one.
    private func takeReady(at now: UInt64) -> Ready? {
        raft.withLock { side -> Ready? in
            guard side.node.hasReady else { return nil }
            let rd = side.node.ready()
            if let soft = rd.softState {
                if soft.lead != side.lead && soft.lead != noNode {
                    metrics.withLock { $0.leaderChangesSeen += 1 }
                    meters.leaderChanges.increment()
                }
                side.lead = soft.lead
            }
            if let hard = rd.hardState {
                side.term = hard.term
                side.commit = hard.commit
                committedIndex.store(hard.commit, ordering: .relaxed)
                waits.withLock { $0.markCommitted(throughIndex: hard.commit, at: now) }
            }
            if side.lead == id && !rd.entries.isEmpty {
                waits.withLock { w in
                    for entry in rd.entries where entry.type == .normal {
                        if let requestID = InternalRequest.peekID(entry.data) {
                            w.markAppended(id: requestID, index: entry.index, term: entry.term, at: now)
                        }
                    }
                }
            }
            return rd
        }
    }

    /// Messages a leader may send while its own write of the same Ready is in flight.
    static func canSendBeforePersisting(_ m: Message) -> Bool {
        switch m.type {
        case .app, .heartbeat, .snap, .timeoutNow: true
        default: false
        }
    }

    /// Applies everything queued, answers the waiting requests and reads, and takes a snapshot
    /// every `snapshotCount` entries. Returns false when there was nothing to do.
    @discardableResult
    public func applyCycle() throws -> Bool {
        guard !stopped.load(ordering: .relaxed) else { return false }
        // The apply loop and, at quiet moments, the raft loop both apply: one at a time, and
        // whoever finishes wakes the apply loop for what was queued meanwhile.
        guard !applying.exchange(true, ordering: .acquiring) else { return false }
        defer {
            applying.store(false, ordering: .releasing)
            if !applyQueue.withLock({ $0.isEmpty }) { wakeApply() }
        }
        let items = applyQueue.withLock { queue -> [ApplyItem] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        let hasReads = waits.withLock { $0.pendingReadCount > 0 }
        guard !items.isEmpty || hasReads else { return false }
        let started = clock.nowNanos()
        var answers: [(UInt64, Result<Response, ServerError>)] = []
        try applier.withLock { applier in
            for item in items {
                switch item {
                case .snapshot(let snapshot):
                    try applier.install(snapshot)
                    let leases = applier.leases
                    leaseClock.withLock { $0.reset(leases, now: started) }
                    metrics.withLock { $0.snapshotsInstalled += 1 }
                case .entries(let entries):
                    let term = raft.withLock { $0.term }
                    for entry in entries {
                        if entry.index > applier.store.consistentIndex { config.applyObserver?(id, entry) }
                        if entry.type == .confChange {
                            if let answer = applyConfChange(entry, term: term, applier: &applier) { answers.append(answer) }
                        } else if let answer = applier.apply(entry, term: term, member: id) {
                            answers.append(answer)
                            if case .success(let response) = answer.1 { keepLeaseTime(response.outcome, now: started) }
                        }
                    }
                }
            }
            appliedIndex.store(applier.appliedIndex, ordering: .relaxed)
            if replayPending.load(ordering: .relaxed) && applier.appliedIndex >= recoveryTarget.index {
                replayPending.store(false, ordering: .relaxed)
                let now = clock.nowNanos()
                recovery.withLock { r in
                    if r.replayNanos == nil { r.replayNanos = now - min(now, recoveryTarget.fromNanos) }
                }
            }
            authEnabled.store(applier.auth.enabled, ordering: .relaxed)
            authRevision.store(applier.auth.revision, ordering: .relaxed)
            mirrorSpace(applier)
            try maybeSnapshot(&applier)
        }
        maybeAutoCompact()
        let applied = clock.nowNanos()
        if !items.isEmpty {
            entryStages.withLock { ring in
                for case .entries(let entries) in items { ring.applied(entries, at: applied) }
            }
            metrics.withLock { m in
                m.applyNanosTotal += applied - started
                m.applyBatches += 1
            }
            meters.applyDuration.recordNanoseconds(Int64(applied - started))
        }
        let finished = waits.withLock { w in
            answers.compactMap { id, result -> (Completion, Result<Response, ServerError>)? in
                let error: ServerError? = if case .failure(let e) = result { e } else { nil }
                guard let (completion, _) = w.finish(id: id, appliedAt: applied, now: clock.nowNanos(), error: error) else { return nil }
                return (completion, result)
            }
        }
        for (completion, result) in finished { completion(result) }
        raiseNoSpaceAlarmIfRefused(answers)
        checkReadiness()
        // A read still waiting for its ReadIndex is no work done: the simulator would spin on it.
        return serveReads() || !items.isEmpty
    }

    /// etcd's revision-mode auto compaction, run by the leader through Raft so every member
    /// compacts at the same point of the log.
    private func maybeAutoCompact() {
        let retention = config.autoCompactionRetention
        guard retention > 0, raft.withLock({ $0.lead == id }) else { return }
        let (current, compacted) = applier.withLock { ($0.store.currentRevision, $0.store.compactRevision) }
        guard current - compacted >= 2 * retention, !compactionPending.exchange(true, ordering: .relaxed) else { return }
        propose(.compact(revision: current - retention)) { [weak self] _ in
            self?.compactionPending.store(false, ordering: .relaxed)
        }
    }

    /// Applies a configuration change to the membership and, when the membership accepts it, to
    /// Raft (etcd's applyConfChange). Returns the answer for the request waiting on it, if any.
    private func applyConfChange(_ entry: Entry, term: UInt64,
                                 applier: inout Applier) -> (UInt64, Result<Response, ServerError>)? {
        guard entry.index > applier.store.consistentIndex else { return nil }
        defer { applier.skip(entry) }
        guard let change = try? ConfChange(decoding: entry.data) else { return nil }
        var context: ConfChangeContext?
        if !change.context.isEmpty {
            do throws(DecodingError) {
                context = try ConfChangeContext(decoding: change.context)
            } catch {
                // Every member refuses the same undecodable change, so they stay in agreement.
                return nil
            }
        }
        let result: Result<Response, ServerError>
        do throws(MembershipError) {
            try applier.applyMembership(change, context: context)
            let (state, compacted) = raft.withLock { ($0.node.applyConfChange(change), $0.storage.firstIndex() > 1) }
            applier.setConfState(state)
            if compacted && (change.kind == .addLearnerNode || (change.kind == .addNode && context?.isPromote != true)) {
                applier.snapshotForNewMember = true
            }
            let header = ResponseHeader(memberID: id, revision: applier.store.currentRevision, raftTerm: term)
            result = .success(Response(header: header, outcome: .members(applier.membership.sorted)))
        } catch {
            result = .failure(.membership(error))
        }
        return context.map { ($0.requestID, result) }
    }

    /// Answers the reads whose ReadIndex has been applied; returns whether there were any.
    private func serveReads() -> Bool {
        let applied = appliedIndex.load(ordering: .relaxed)
        let ready = waits.withLock { $0.takeServableReads(applied: applied) }
        guard !ready.isEmpty else { return false }
        let term = raft.withLock { $0.term }
        let results = applier.withLock { applier in ready.map { applier.read($0.request, username: $0.username, term: term, member: id) } }
        for (read, result) in zip(ready, results) { read.completion(result) }
        return true
    }

    /// etcd's snapshot trigger: after `snapshotCount` applied entries, save the store, then let the
    /// log before it go, keeping `snapshotCatchUpEntries` for followers that are a little behind.
    private func maybeSnapshot(_ applier: inout Applier) throws {
        let applied = applier.appliedIndex
        guard applied > applier.snapshotIndex + config.snapshotCount || applier.snapshotForNewMember else { return }
        // Entries are applied while this member's own write of them may still be in flight; a
        // snapshot waits until the log holds what it covers (the next apply batch tries again).
        guard applied <= persistedIndex.load(ordering: .acquiring) else { return }
        applier.snapshotForNewMember = false
        let confState = applier.confState
        guard config.snapshotsInBackground else {
            try saveSnapshot(at: applied, confState: confState, writer: applier.snapshotWriter()())
            applier.snapshotIndex = applied
            return
        }
        guard !snapshotInFlight.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let makeWriter = applier.snapshotWriter()
        applier.snapshotIndex = applied
        snapshotQueue.async { [self] in
            config.backgroundThreadStarted?()
            defer { snapshotInFlight.store(false, ordering: .releasing) }
            // A member stopping waits for this, and one stopped saves nothing more.
            guard !isStopped else { return }
            do {
                try saveSnapshot(at: applied, confState: confState, writer: makeWriter())
            } catch RaftError.snapshotOutOfDate, RaftError.compacted {
                // A snapshot from the leader was installed meanwhile; it covers this one.
            } catch {
                metrics.withLock { $0.snapshotFailures += 1 }
            }
        }
    }

    /// Saves a snapshot of the state at `applied`, streamed from `writer` into the persistence,
    /// then records it in the raft storage (which keeps only its metadata and reads it back from
    /// the persistence to send it) and lets the log before it go, keeping
    /// `snapshotCatchUpEntries` for followers that are a little behind.
    private func saveSnapshot(at applied: UInt64, confState: ConfState, writer: AppliedSnapshotWriter) throws {
        let term = try raft.withLock { side in try side.storage.term(applied) }
        let metadata = SnapshotMetadata(index: applied, term: term, confState: confState)
        try persistence.saveSnapshot(metadata, dataBytes: writer.encodedBytes) { append in try writer.write(to: append) }
        try raft.withLock { side in
            try side.storage.createSnapshot(at: applied, confState: confState, data: [])
            if applied > config.snapshotCatchUpEntries {
                let compactTo = applied - config.snapshotCatchUpEntries
                if compactTo > side.storage.firstIndex() { try side.storage.compact(upTo: compactTo) }
            }
        }
        metrics.withLock { $0.snapshotsTaken += 1 }
    }

    // MARK: Introspection

    public func status() -> MemberStatus {
        let raftStatus = raft.withLock { $0.node.status() }
        let (pending, readsPending) = waits.withLock { ($0.pendingCount, $0.pendingReadCount) }
        let store = applier.withLock { a in
            (a.appliedIndex, a.store.currentRevision, a.store.compactRevision, a.store.keyCount, a.snapshotIndex, a.leases.count)
        }
        let auth = AuthStatus(enabled: authEnabled.load(ordering: .relaxed), revision: authRevision.load(ordering: .relaxed))
        return MemberStatus(
            id: id, raft: raftStatus, appliedIndex: store.0, proposalsPending: pending, readsPending: readsPending,
            metrics: metrics.withLock { $0 }, storeRevision: store.1, storeCompactRevision: store.2,
            keyCount: store.3, snapshotIndex: store.4, auth: auth, stopped: isStopped, leaseCount: store.5,
            nextLeaseExpiry: leaseClock.withLock { $0.nextExpiry }, ready: isReady,
            alarms: alarms, recovery: recovery.withLock { $0 })
    }

    /// The most recent finished stage traces, oldest first.
    public func recentTraces(limit: Int = .max) -> [StageTrace] {
        // A copy of just the newest ones: handing out the registry's own array would make its
        // next append copy all of it.
        waits.withLock { $0.recentTraces(limit: limit) }
    }

    /// The traces of the newest `limit` requests still waiting for their answer, oldest first.
    public func inFlightTraces(limit: Int) -> [StageTrace] {
        waits.withLock { $0.inFlightTraces(limit: limit) }
    }

    /// The newest `limit` finished traces and the newest `limit` of requests still waiting,
    /// taken at one instant (a request is in one or the other, never both or neither).
    public func tracesWithInFlight(limit: Int) -> [StageTrace] {
        waits.withLock { $0.tracesWithInFlight(limit: limit) }
    }

    /// When this member appended, fsynced and applied each of the entries named by index and
    /// term, as far as it still remembers (`nil` for one it does not).
    public func entryStageTimes(_ entries: [(index: UInt64, term: UInt64)]) -> [EntryStageTimes?] {
        entryStages.withLock { ring in entries.map { ring.times(index: $0.index, term: $0.term) } }
    }

    /// The last log index this member's disk holds durably.
    public var durableIndex: UInt64 {
        persistedIndex.load(ordering: .acquiring)
    }

    /// Reads this member's store directly, without going through Raft (for checks and the UI).
    public func localRange(_ request: RangeRequest) throws(MVCCError) -> RangeResult {
        try applier.withLock { applier throws(MVCCError) in try applier.store.range(request) }
    }
}

extension Member {
    /// Role, term, leader, commit and applied, cheaply (no follower progress).
    public var basicStatus: BasicStatus {
        raft.withLock { $0.node.basicStatus }
    }

    /// The WAL's synced writes and the entries written so far, without the rest of `status()`.
    public var walWriteTotals: WALWriteTotals {
        metrics.withLock { WALWriteTotals(syncs: $0.walFsyncCount, entries: $0.walEntriesWritten) }
    }
}
