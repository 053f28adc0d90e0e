extension Raft {
    /// Takes one message: from a peer, or generated locally (hup, beat, prop, ...).
    func step(_ m: Message) throws(RaftError) {
        if m.term > term {
            if m.type == .vote || m.type == .preVote {
                let force = m.context == campaignTransferContext
                // Within a lease (we heard from a leader less than an election timeout ago),
                // a vote request is a disruption by a member that was cut off: ignore it (§4.2.3).
                let inLease = checkQuorum && lead != noNode && electionElapsed < electionTimeout
                if !force && inLease { return }
            }
            switch m.type {
            case .preVote:
                // Never change our term in answer to a PreVote.
                break
            case .preVoteResp where !m.reject:
                // The pre-candidate moves to the term when it has a quorum of these.
                break
            case .app, .heartbeat, .snap:
                becomeFollower(term: m.term, lead: m.from)
            default:
                becomeFollower(term: m.term, lead: noNode)
            }
        } else if m.term < term && m.term != 0 {
            if (checkQuorum || preVote) && (m.type == .heartbeat || m.type == .app) {
                // A leader cut off by a partition may never hear a higher term otherwise, and with
                // CheckQuorum or PreVote the others will not start an election it would see.
                send(Message(type: .appResp, to: m.from))
            } else if m.type == .preVote {
                // Answer with our term so a pre-candidate from an old term learns the newer one.
                send(Message(type: .preVoteResp, to: m.from, term: term, reject: true))
            }
            return
        }

        switch m.type {
        case .hup:
            hup(preVote ? .preElection : .election)
        case .vote, .preVote:
            handleVoteRequest(m)
        default:
            switch role {
            case .leader: try stepLeader(m)
            case .candidate, .preCandidate: try stepCandidate(m)
            case .follower: try stepFollower(m)
            }
        }
    }

    func hup(_ type: CampaignType) {
        guard role != .leader, isPromotable, !hasUnappliedConfChanges else { return }
        campaign(type)
    }

    private func handleVoteRequest(_ m: Message) {
        // We can vote for the member we already voted for (a repeated request), for anyone if we
        // have not voted and know no leader this term, and in PreVote for any future term.
        let canVote = vote == m.from
            || (vote == noNode && lead == noNode)
            || (m.type == .preVote && m.term > term)
        if canVote && log.isUpToDate(lastIndex: m.index, lastTerm: m.logTerm) {
            // A granted vote answers in the candidate's term, which for PreVote is not ours yet.
            send(Message(type: m.type.voteResponse, to: m.from, term: m.term))
            if m.type == .vote {
                resetElectionElapsed()
                grantVote(to: m.from)
            }
        } else {
            send(Message(type: m.type.voteResponse, to: m.from, term: term, reject: true))
        }
    }

    // MARK: Leader

    private func stepLeader(_ m: Message) throws(RaftError) {
        switch m.type {
        case .beat:
            broadcastHeartbeat()
            return
        case .checkQuorum:
            if !quorumActive() {
                becomeFollower(term: term, lead: noNode)
            }
            for peer in progress.keys where peer != id {
                progress[peer]!.recentActive = false
            }
            return
        case .prop:
            try propose(m)
            return
        case .readIndex:
            handleReadIndex(m)
            return
        default:
            break
        }

        guard progress[m.from] != nil else { return }
        switch m.type {
        case .appResp:
            handleAppendResponse(m)
        case .heartbeatResp:
            handleHeartbeatResponse(m)
        case .snapStatus:
            guard progress[m.from]!.state == .snapshot else { return }
            if m.reject {
                progress[m.from]!.pendingSnapshot = 0
            }
            progress[m.from]!.becomeProbe()
            // Wait for an answer or a heartbeat response before probing again.
            progress[m.from]!.msgAppFlowPaused = true
        case .unreachable:
            if progress[m.from]!.state == .replicate {
                progress[m.from]!.becomeProbe()
            }
        case .transferLeader:
            handleTransferLeader(m)
        default:
            break
        }
    }

    private func propose(_ m: Message) throws(RaftError) {
        precondition(!m.entries.isEmpty, "a proposal must carry entries")
        guard progress[id] != nil else { throw .proposalDropped(.notInConfiguration) }
        guard leadTransferee == noNode else { throw .proposalDropped(.leaderTransferInProgress) }
        var entries = m.entries
        for i in entries.indices where entries[i].type == .confChange {
            if pendingConfIndex > log.applied {
                // One change at a time: a second one becomes an empty entry, as in etcd.
                entries[i] = Entry()
            } else {
                pendingConfIndex = log.lastIndex + UInt64(i) + 1
            }
        }
        guard appendEntries(entries) else {
            throw .proposalDropped(.uncommittedSizeExceeded(limitBytes: maxUncommittedSize))
        }
        broadcastAppend()
    }

    private func quorumActive() -> Bool {
        var active: [NodeID: Bool] = [:]
        for (peer, pr) in progress {
            active[peer] = peer == id || pr.recentActive
        }
        return config.voteResult(active) == .won
    }

    private func handleAppendResponse(_ m: Message) {
        var pr = progress[m.from]!
        pr.recentActive = true
        if m.reject {
            // The follower's log differs at m.index. Its hint names where it may match; with the
            // term it has there, skip back past every entry of ours from a later term (§5.3).
            var probeIndex = m.rejectHint
            if m.logTerm > 0 {
                probeIndex = log.findConflictByTerm(index: m.rejectHint, term: m.logTerm).index
            }
            if pr.maybeDecrTo(rejected: m.index, matchHint: probeIndex) {
                if pr.state == .replicate { pr.becomeProbe() }
                progress[m.from] = pr
                sendAppend(to: m.from)
            } else {
                progress[m.from] = pr
            }
            return
        }
        let wasPaused = pr.isPaused
        guard pr.maybeUpdate(m.index) || (pr.match == m.index && pr.state == .probe) else {
            progress[m.from] = pr
            return
        }
        switch pr.state {
        case .probe:
            pr.becomeReplicate()
        case .snapshot where pr.match + 1 >= log.firstIndex:
            // The follower caught up from the snapshot (or otherwise): stream to it again.
            pr.becomeProbe()
            pr.becomeReplicate()
        case .replicate:
            pr.inflights.freeLE(m.index)
        case .snapshot:
            break
        }
        progress[m.from] = pr
        // The leader's own acknowledgement (stepped once its entries are persisted) takes this
        // path too, but the leader sends itself nothing.
        let fromPeer = m.from != id
        if maybeCommit() {
            releasePendingReadIndexMessages()
            broadcastAppend()
        } else if wasPaused && fromPeer {
            sendAppend(to: m.from)
        }
        while fromPeer && maybeSendAppend(to: m.from, sendIfEmpty: false) {}
        if m.from == leadTransferee && progress[m.from]!.match == log.lastIndex {
            send(Message(type: .timeoutNow, to: m.from))
        }
    }

    private func handleHeartbeatResponse(_ m: Message) {
        progress[m.from]!.recentActive = true
        progress[m.from]!.msgAppFlowPaused = false
        let pr = progress[m.from]!
        if pr.match < log.lastIndex || pr.state == .probe {
            sendAppend(to: m.from)
        }
        guard !m.context.isEmpty, let acks = readOnly.recordAck(from: m.from, context: m.context) else { return }
        guard config.voteResult(acks) == .won else { return }
        for confirmed in readOnly.advance(through: m.context) {
            respondToReadIndex(confirmed.request, index: confirmed.index)
        }
    }

    private func handleTransferLeader(_ m: Message) {
        let transferee = m.from
        // A learner cannot lead.
        if progress[transferee]!.isLearner { return }
        if leadTransferee != noNode {
            if leadTransferee == transferee { return }
            abortLeaderTransfer()
        }
        if transferee == id { return }
        // The transfer must finish within an election timeout, counted from now.
        resetElectionElapsed()
        setLeadTransferee(transferee)
        if progress[transferee]!.match == log.lastIndex {
            send(Message(type: .timeoutNow, to: transferee))
        } else {
            sendAppend(to: transferee)
        }
    }

    // MARK: ReadIndex

    private func handleReadIndex(_ m: Message) {
        if config.voters.count <= 1 {
            respondToReadIndex(m, index: log.committed)
            return
        }
        // Until it commits an entry of its own term, a new leader does not know the commit index.
        guard committedEntryInCurrentTerm else {
            if pendingReadIndexMessages.count < ReadOnly.maxPending {
                pendingReadIndexMessages.append(m)
            }
            return
        }
        confirmReadIndex(m)
    }

    private func confirmReadIndex(_ m: Message) {
        guard !readOnly.isFull else { return }
        readOnly.add(index: log.committed, request: m)
        _ = readOnly.recordAck(from: id, context: m.context)
        broadcastHeartbeat(context: m.context)
    }

    func releasePendingReadIndexMessages() {
        guard !pendingReadIndexMessages.isEmpty, committedEntryInCurrentTerm else { return }
        let waiting = pendingReadIndexMessages
        pendingReadIndexMessages = []
        for m in waiting {
            confirmReadIndex(m)
        }
    }

    private func respondToReadIndex(_ request: Message, index: UInt64) {
        if request.from == noNode || request.from == id {
            readStates.append(ReadState(index: index, requestContext: request.context))
        } else {
            send(Message(type: .readIndexResp, to: request.from, index: index, context: request.context))
        }
    }

    // MARK: Candidate

    private func stepCandidate(_ m: Message) throws(RaftError) {
        let myResponseType: MessageType = role == .preCandidate ? .preVoteResp : .voteResp
        switch m.type {
        case .prop:
            throw .proposalDropped(.electionInProgress)
        case .app:
            becomeFollower(term: m.term, lead: m.from)
            handleAppendEntries(m)
        case .heartbeat:
            becomeFollower(term: m.term, lead: m.from)
            handleHeartbeat(m)
        case .snap:
            becomeFollower(term: m.term, lead: m.from)
            handleSnapshot(m)
        case myResponseType:
            switch recordVote(from: m.from, granted: !m.reject) {
            case .won:
                if role == .preCandidate {
                    campaign(.election)
                } else {
                    becomeLeader()
                    broadcastAppend()
                }
            case .lost:
                // A rejection may carry a higher term; becoming a follower of our own term is enough.
                becomeFollower(term: term, lead: noNode)
            case .pending:
                break
            }
        default:
            break
        }
    }

    // MARK: Follower

    private func stepFollower(_ m: Message) throws(RaftError) {
        switch m.type {
        case .prop:
            guard lead != noNode else { throw .proposalDropped(.noLeader) }
            guard !disableProposalForwarding else { throw .proposalDropped(.forwardingDisabled) }
            var forwarded = m
            forwarded.to = lead
            send(forwarded)
        case .app:
            resetElectionElapsed()
            setLead(m.from)
            handleAppendEntries(m)
        case .heartbeat:
            resetElectionElapsed()
            setLead(m.from)
            handleHeartbeat(m)
        case .snap:
            resetElectionElapsed()
            setLead(m.from)
            handleSnapshot(m)
        case .transferLeader, .readIndex:
            guard lead != noNode else { return }
            var forwarded = m
            forwarded.to = lead
            send(forwarded)
        case .timeoutNow:
            // The leader chose us: campaign at once, skipping PreVote, and voters ignore their lease.
            hup(.transfer)
        case .readIndexResp:
            readStates.append(ReadState(index: m.index, requestContext: m.context))
        default:
            break
        }
    }

    func handleAppendEntries(_ m: Message) {
        if m.index < log.committed {
            // Everything up to our commit index matches the leader's log already.
            send(Message(type: .appResp, to: m.from, index: log.committed))
            return
        }
        if let lastNew = log.maybeAppend(index: m.index, logTerm: m.logTerm, committed: m.commit, entries: m.entries) {
            send(Message(type: .appResp, to: m.from, index: lastNew))
            return
        }
        // Mismatch at m.index. Hint the last index at which we might match the leader: the
        // newest of our entries whose term is at most the leader's term at m.index.
        let hint = log.findConflictByTerm(index: min(m.index, log.lastIndex), term: m.logTerm)
        send(Message(type: .appResp, to: m.from, logTerm: hint.term, index: m.index, reject: true, rejectHint: hint.index))
    }

    func handleHeartbeat(_ m: Message) {
        log.commitTo(m.commit)
        send(Message(type: .heartbeatResp, to: m.from, context: m.context))
    }

    func handleSnapshot(_ m: Message) {
        guard let snapshot = m.snapshot else { return }
        if restore(snapshot) {
            send(Message(type: .appResp, to: m.from, index: log.lastIndex))
        } else {
            send(Message(type: .appResp, to: m.from, index: log.committed))
        }
    }
}
