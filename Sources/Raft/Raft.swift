/// Why a member starts an election.
enum CampaignType {
    /// A PreVote round that changes no term (§9.6 of the Raft thesis).
    case preElection
    case election
    /// A real election started by MsgTimeoutNow: voters ignore their leader lease for it.
    case transfer
}

/// The context a transfer's vote requests carry, so voters within a lease still answer.
let campaignTransferContext: [UInt8] = Array("CampaignTransfer".utf8)

/// The Raft state machine of one member. It does no I/O: it takes ticks, messages and
/// proposals, and leaves messages in `messages`, entries in `log.unstable` and read states in
/// `readStates` for `RawNode` to hand out in a `Ready`.
final class Raft {
    let id: NodeID
    private(set) var term: UInt64 = 0
    private(set) var vote: NodeID = noNode
    var log: RaftLog
    private(set) var role: StateRole = .follower
    private(set) var lead: NodeID = noNode
    /// The member leadership is being handed to, while a transfer is under way.
    private(set) var leadTransferee: NodeID = noNode

    var messages: [Message] = []
    var readStates: [ReadState] = []

    private(set) var config = MajorityConfig([])
    /// Members that receive the log but never vote: sorted, none of them a voter.
    private(set) var learners: [NodeID] = []
    var progress: [NodeID: Progress] = [:]
    private(set) var votes: [NodeID: Bool] = [:]

    /// A leader takes one configuration change at a time: none may be proposed while the
    /// last one (at this index or before) is not applied.
    var pendingConfIndex: UInt64 = 0
    /// Payload bytes of the leader's uncommitted entries, bounded by `maxUncommittedSize`.
    private(set) var uncommittedSize: UInt64 = 0
    var readOnly = ReadOnly()
    /// ReadIndex requests that wait until the leader has committed an entry of its own term.
    var pendingReadIndexMessages: [Message] = []

    /// Ticks since the last election timeout reset (for a leader, since the last CheckQuorum).
    private(set) var electionElapsed = 0
    private(set) var heartbeatElapsed = 0
    private(set) var randomizedElectionTimeout = 0

    let electionTimeout: Int
    let heartbeatTimeout: Int
    let checkQuorum: Bool
    let preVote: Bool
    let disableProposalForwarding: Bool
    let maxMsgSize: UInt64
    let maxUncommittedSize: UInt64
    let maxInflight: Int
    let maxInflightBytes: UInt64
    /// The checker's mutation: count the leader's entries as soon as they are appended (see
    /// `Config.countsUnpersistedSelfAck`).
    let countsUnpersistedSelfAck: Bool
    private var random: SplitMix64
    /// The leader's acknowledgement of the entries it appended since the last `Ready`: a
    /// MsgAppResp to itself that `RawNode` steps in `advance(_:)`, once the entries are
    /// persisted (etcd-io/raft's self-directed MsgAppResp in msgsAfterAppend). Only the newest
    /// is kept: it acknowledges every earlier entry of its term, and one of an earlier term is
    /// dropped on arrival anyway.
    private(set) var selfAck: Message?

    init(config c: Config, storage: any Storage) throws(RaftError) {
        try c.validate()
        id = c.id
        log = RaftLog(storage: storage, maxCommittedSizePerReady: c.maxCommittedSizePerReady)
        electionTimeout = c.electionTick
        heartbeatTimeout = c.heartbeatTick
        checkQuorum = c.checkQuorum
        preVote = c.preVote
        disableProposalForwarding = c.disableProposalForwarding
        maxMsgSize = c.maxSizePerMsg
        maxUncommittedSize = c.maxUncommittedEntriesSize
        maxInflight = c.maxInflightMsgs
        maxInflightBytes = c.maxInflightBytes
        countsUnpersistedSelfAck = c.countsUnpersistedSelfAck
        random = SplitMix64(seed: c.randomSeed)

        let (hardState, confState) = storage.initialState()
        setConfiguration(confState)
        if !hardState.isEmpty {
            log.loadCommit(hardState.commit)
            term = hardState.term
            vote = hardState.vote
        }
        if c.applied > 0 {
            log.appliedTo(c.applied)
        }
        becomeFollower(term: term, lead: noNode)
    }

    // MARK: State

    var hardState: HardState {
        HardState(term: term, vote: vote, commit: log.committed)
    }

    var softState: SoftState {
        SoftState(lead: lead, role: role)
    }

    var confState: ConfState {
        ConfState(voters: config.voters, learners: learners)
    }

    /// Whether this member may become leader: it is a voter (a learner never campaigns).
    var isPromotable: Bool {
        guard let pr = progress[id] else { return false }
        return !pr.isLearner
    }

    /// Every member the leader replicates to, voters and learners, in id order so that what a
    /// leader sends does not depend on dictionary order.
    var replicationTargets: [NodeID] {
        (config.voters + learners).sorted()
    }

    /// Replaces the configuration with `confState`, every member's progress starting afresh.
    private func setConfiguration(_ confState: ConfState) {
        config = MajorityConfig(confState.voters)
        learners = confState.learners
        progress = [:]
        for voter in confState.voters {
            progress[voter] = newProgress()
        }
        for learner in confState.learners {
            var pr = newProgress()
            pr.isLearner = true
            progress[learner] = pr
        }
    }

    // MARK: Role transitions

    private func newProgress() -> Progress {
        Progress(next: log.lastIndex + 1, maxInflight: maxInflight, maxInflightBytes: maxInflightBytes)
    }

    private func reset(term newTerm: UInt64) {
        if term != newTerm {
            precondition(newTerm > term, "term going back from \(term) to \(newTerm)")
            term = newTerm
            vote = noNode
        }
        lead = noNode
        electionElapsed = 0
        heartbeatElapsed = 0
        randomizedElectionTimeout = electionTimeout + Int.random(in: 0..<electionTimeout, using: &random)
        leadTransferee = noNode
        votes = [:]
        let last = log.lastIndex
        for (peer, old) in progress {
            var pr = newProgress()
            pr.isLearner = old.isLearner
            if peer == id { pr.setLeaderMatch(last) }
            progress[peer] = pr
        }
        pendingConfIndex = 0
        uncommittedSize = 0
        readOnly = ReadOnly()
        pendingReadIndexMessages = []
    }

    func becomeFollower(term newTerm: UInt64, lead newLead: NodeID) {
        reset(term: newTerm)
        lead = newLead
        role = .follower
    }

    func becomePreCandidate() {
        precondition(role != .leader, "a leader cannot become a pre-candidate")
        // A pre-candidate keeps its term and vote: PreVote changes nothing durable.
        votes = [:]
        lead = noNode
        role = .preCandidate
    }

    func becomeCandidate() {
        precondition(role != .leader, "a leader cannot become a candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader, not a \(role)")
        reset(term: term)
        lead = id
        role = .leader
        progress[id]?.becomeReplicate()
        progress[id]?.recentActive = true
        // Entries of earlier terms may hold a configuration change not yet applied.
        pendingConfIndex = log.lastIndex
        // The empty entry lets the leader commit, and so learn the commit index, in its own term.
        let appended = appendEntries([Entry()])
        precondition(appended, "a new leader could not append its empty entry")
    }

    // MARK: Ticks

    func tick() {
        switch role {
        case .follower, .preCandidate, .candidate: tickElection()
        case .leader: tickHeartbeat()
        }
    }

    private func tickElection() {
        electionElapsed += 1
        if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            try? step(Message(type: .hup, from: id))
        }
    }

    private func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= electionTimeout {
            electionElapsed = 0
            if checkQuorum {
                try? step(Message(type: .checkQuorum, from: id))
            }
            // A transfer that did not finish within an election timeout is given up.
            if role == .leader && leadTransferee != noNode {
                leadTransferee = noNode
            }
        }
        guard role == .leader else { return }
        if heartbeatElapsed >= heartbeatTimeout {
            heartbeatElapsed = 0
            try? step(Message(type: .beat, from: id))
        }
    }

    // MARK: Sending

    /// Queues `message` for the application to send, stamping sender and term.
    func send(_ message: Message) {
        var m = message
        if m.from == noNode { m.from = id }
        switch m.type {
        case .vote, .voteResp, .preVote, .preVoteResp:
            // Vote traffic carries the term of the election, which may differ from ours.
            precondition(m.term != 0, "\(m.type) must carry a term")
        case .prop, .readIndex:
            // Forwarded requests are local to the receiver and carry no term.
            break
        default:
            precondition(m.term == 0, "\(m.type) term is set by send")
            m.term = term
        }
        messages.append(m)
    }

    /// Sends the follower the next entries (or an empty MsgApp carrying the commit index).
    func sendAppend(to peer: NodeID) {
        maybeSendAppend(to: peer, sendIfEmpty: true)
    }

    /// Sends `peer` what it lacks, if flow control allows. Returns whether a message went out.
    @discardableResult
    func maybeSendAppend(to peer: NodeID, sendIfEmpty: Bool) -> Bool {
        guard var pr = progress[peer], !pr.isPaused else { return false }
        let prevIndex = pr.next - 1
        let prevTerm: UInt64
        var entries: [Entry] = []
        do {
            prevTerm = try log.term(prevIndex)
            // A full window still lets an empty MsgApp out, so lost messages cannot stall a follower.
            if !(pr.state == .replicate && pr.inflights.isFull) {
                entries = try log.entries(from: pr.next, maxSizeBytes: maxMsgSize)
            }
        } catch {
            return maybeSendSnapshot(to: peer)
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        let bytes = entries.reduce(UInt64(0)) { $0 + UInt64($1.data.count) }
        send(Message(type: .app, to: peer, logTerm: prevTerm, index: prevIndex, entries: entries, commit: log.committed))
        pr.sentEntries(entries.count, bytes: bytes)
        progress[peer] = pr
        return true
    }

    private func maybeSendSnapshot(to peer: NodeID) -> Bool {
        guard var pr = progress[peer], pr.recentActive else { return false }
        guard let snapshot = try? log.snapshot(), !snapshot.isEmpty else { return false }
        pr.becomeSnapshot(index: snapshot.metadata.index)
        progress[peer] = pr
        send(Message(type: .snap, to: peer, snapshot: snapshot))
        return true
    }

    func sendHeartbeat(to peer: NodeID, context: [UInt8]) {
        // A follower may not have the leader's committed entries yet: never tell it to commit
        // past what it is known to hold.
        let commit = min(progress[peer]?.match ?? 0, log.committed)
        send(Message(type: .heartbeat, to: peer, commit: commit, context: context))
    }

    func broadcastAppend() {
        for peer in replicationTargets where peer != id {
            sendAppend(to: peer)
        }
    }

    func broadcastHeartbeat(context: [UInt8]? = nil) {
        let context = context ?? readOnly.lastPendingContext ?? []
        for peer in replicationTargets where peer != id {
            sendHeartbeat(to: peer, context: context)
        }
    }

    // MARK: Log

    /// Appends `entries` in the current term as leader. Returns false when the uncommitted bound refuses them.
    func appendEntries(_ entries: [Entry]) -> Bool {
        var batch = entries
        let last = log.lastIndex
        for i in batch.indices {
            batch[i].term = term
            batch[i].index = last + 1 + UInt64(i)
        }
        let payload = batch.reduce(UInt64(0)) { $0 + UInt64($1.data.count) }
        if maxUncommittedSize > 0 && uncommittedSize > 0 && payload > 0 && uncommittedSize + payload > maxUncommittedSize {
            return false
        }
        uncommittedSize += payload
        let newLast = log.append(batch)
        // The leader's own copy counts toward the quorum only once it is durable: RawNode steps
        // this acknowledgement in advance(_:) after the Ready carrying the entries was persisted.
        selfAck = Message(type: .appResp, to: id, from: id, term: term, index: newLast)
        if countsUnpersistedSelfAck {
            _ = progress[id]?.maybeUpdate(newLast)
            _ = maybeCommit()
        }
        return true
    }

    /// Hands over the leader's acknowledgement of its appended entries, for `RawNode` to step
    /// once they are persisted.
    func takeSelfAck() -> Message? {
        defer { selfAck = nil }
        return selfAck
    }

    /// Entries committed and handed to the application no longer count as uncommitted.
    func reduceUncommittedSize(_ entries: [Entry]) {
        guard uncommittedSize > 0 else { return }
        let payload = entries.reduce(UInt64(0)) { $0 + UInt64($1.data.count) }
        uncommittedSize = payload > uncommittedSize ? 0 : uncommittedSize - payload
    }

    /// Moves the commit index to what a quorum has matched, if that entry is of this term.
    func maybeCommit() -> Bool {
        let quorumIndex = min(config.committedIndex { progress[$0]?.match ?? 0 }, log.lastIndex)
        return log.maybeCommit(index: quorumIndex, term: term)
    }

    var committedEntryInCurrentTerm: Bool {
        log.termOrZero(log.committed) == term
    }

    /// Whether entries between applied and committed hold a configuration change.
    var hasUnappliedConfChanges: Bool {
        guard log.committed > log.applied else { return false }
        let lo = max(log.applied + 1, log.firstIndex)
        guard let entries = try? log.slice(lo, log.committed + 1, maxSizeBytes: .max) else { return false }
        return entries.contains { $0.type == .confChange }
    }

    // MARK: Configuration

    /// Applies a committed configuration change; returns the new configuration. As in
    /// etcd-io/raft's confchange: adding a learner's id as a voter promotes it, adding a voter's id
    /// as a learner demotes it, removing drops a voter or a learner, an update changes nothing.
    func applyConfChange(_ change: ConfChange) -> ConfState {
        let peer = change.nodeID
        switch change.kind {
        case .addNode:
            learners.removeAll { $0 == peer }
            var pr = progress[peer] ?? newProgress()
            if progress[peer] == nil { pr.recentActive = true }
            pr.isLearner = false
            progress[peer] = pr
            config.insert(peer)
        case .addLearnerNode:
            config.remove(peer)
            var pr = progress[peer] ?? newProgress()
            if progress[peer] == nil { pr.recentActive = true }
            pr.isLearner = true
            progress[peer] = pr
            if !learners.contains(peer) {
                learners.append(peer)
                learners.sort()
            }
        case .removeNode:
            config.remove(peer)
            learners.removeAll { $0 == peer }
            progress.removeValue(forKey: peer)
        case .updateNode:
            break
        }
        if role == .leader {
            if !isPromotable {
                // The leader left the voters: the change is committed, so step down (§4.2.2).
                becomeFollower(term: term, lead: noNode)
            } else {
                if maybeCommit() {
                    broadcastAppend()
                } else {
                    for peer in replicationTargets where peer != id {
                        maybeSendAppend(to: peer, sendIfEmpty: false)
                    }
                }
                if leadTransferee != noNode && !config.contains(leadTransferee) {
                    leadTransferee = noNode
                }
            }
        }
        return confState
    }

    /// Replaces the log with `snapshot` if it is newer than what we have. Returns whether it did.
    func restore(_ snapshot: Snapshot) -> Bool {
        let meta = snapshot.metadata
        if meta.index <= log.committed { return false }
        if role != .follower {
            // Only a leader of this term sends snapshots, and it would have made us a follower.
            becomeFollower(term: term + 1, lead: noNode)
            return false
        }
        guard meta.confState.contains(id) else { return false }
        if log.matchTerm(index: meta.index, term: meta.term) {
            // We already have the entry: just learn that it is committed.
            log.commitTo(meta.index)
            return false
        }
        log.restore(snapshot)
        setConfiguration(meta.confState)
        progress[id]?.setLeaderMatch(log.lastIndex)
        return true
    }

    // MARK: Votes

    func recordVote(from peer: NodeID, granted: Bool) -> VoteResult {
        if votes[peer] == nil { votes[peer] = granted }
        return config.voteResult(votes)
    }

    func campaign(_ type: CampaignType) {
        let voteType: MessageType
        let electionTerm: UInt64
        if type == .preElection {
            becomePreCandidate()
            voteType = .preVote
            // PreVote asks for the next term without moving to it.
            electionTerm = term + 1
        } else {
            becomeCandidate()
            voteType = .vote
            electionTerm = term
        }
        if recordVote(from: id, granted: true) == .won {
            // A single-voter group wins at once.
            if type == .preElection {
                campaign(.election)
            } else {
                becomeLeader()
            }
            return
        }
        let context = type == .transfer ? campaignTransferContext : []
        for peer in config.voters where peer != id {
            send(Message(type: voteType, to: peer, term: electionTerm, logTerm: log.lastTerm,
                         index: log.lastIndex, context: context))
        }
    }

    func abortLeaderTransfer() {
        leadTransferee = noNode
    }

    func setLeadTransferee(_ peer: NodeID) {
        leadTransferee = peer
    }

    func resetElectionElapsed() {
        electionElapsed = 0
    }

    func setLead(_ peer: NodeID) {
        lead = peer
    }

    func grantVote(to peer: NodeID) {
        precondition(vote == noNode || vote == peer, "voting for \(peer) in term \(term) after voting for \(vote)")
        vote = peer
    }
}
