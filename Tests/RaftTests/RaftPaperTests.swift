import Testing
@testable import Raft

/// One test per rule of the Raft paper ("In Search of an Understandable Consensus Algorithm",
/// extended version) that the code relies on, each quoting the sentence it checks, as
/// etcd-io/raft's raft_paper_test.go does. Sections 5.2 to 5.4.
@Suite struct RaftPaperTests {
    // MARK: §5.1 terms

    /// "Current terms are exchanged whenever servers communicate; if one server's current term is
    /// smaller than the other's, then it updates its current term to the larger value. If a
    /// candidate or leader discovers that its term is out of date, it immediately reverts to
    /// follower state." (§5.1)
    func checkUpdateTermFromMessage(_ role: StateRole) throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3])
        switch role {
        case .follower: r.becomeFollower(term: 1, lead: 2)
        case .candidate: r.becomeCandidate()
        case .leader: r.electByHand()
        case .preCandidate: Issue.record("not a role of the paper")
        }
        try r.step(Message(type: .app, to: 1, from: 2, term: 2))
        #expect(r.term == 2)
        #expect(r.role == .follower)
        #expect(r.lead == 2)
    }

    @Test func followerUpdateTermFromMessage() throws { try checkUpdateTermFromMessage(.follower) }
    @Test func candidateUpdateTermFromMessage() throws { try checkUpdateTermFromMessage(.candidate) }
    @Test func leaderUpdateTermFromMessage() throws { try checkUpdateTermFromMessage(.leader) }

    /// "If a server receives a request with a stale term number, it rejects the request." (§5.1)
    @Test func rejectStaleTermMessage() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        storage.setHardState(HardState(term: 2))
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        try r.step(Message(type: .app, to: 1, from: 2, term: 1, entries: [Entry(term: 1, index: 1)], commit: 1))
        try r.step(Message(type: .vote, to: 1, from: 3, term: 1, logTerm: 5, index: 5))
        #expect(r.term == 2)
        #expect(r.log.lastIndex == 0)
        #expect(r.log.committed == 0)
        #expect(r.vote == noNode)
        #expect(r.lead == noNode)
        #expect(r.takeMessages().isEmpty)
    }

    // MARK: §5.2 leader election

    /// "When servers start up, they begin as followers." (§5.2)
    @Test func startAsFollower() {
        let r = makeRaft(id: 1, peers: [1, 2, 3])
        #expect(r.role == .follower)
        #expect(r.term == 0)
        #expect(r.lead == noNode)
    }

    /// "Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all
    /// followers in order to maintain their authority." (§5.2)
    @Test func leaderBcastBeat() throws {
        let heartbeat = 1
        let r = makeRaft(id: 1, peers: [1, 2, 3], heartbeat: heartbeat)
        r.electByHand()
        for i in 0..<10 {
            #expect(r.appendEntries([Entry(data: [UInt8(i)])]))
        }
        _ = r.takeMessages()
        r.tick(times: heartbeat)
        let msgs = r.takeMessages()
        #expect(msgs.count == 2)
        for (m, to) in zip(msgs, [NodeID(2), 3]) {
            #expect(m.type == .heartbeat)
            #expect(m.to == to && m.from == 1 && m.term == 1)
            #expect(m.entries.isEmpty && m.index == 0 && m.logTerm == 0)
        }
    }

    /// "If a follower receives no communication over a period of time called the election
    /// timeout, then it assumes there is no viable leader and begins an election to choose a new
    /// leader. To begin an election, a follower increments its current term and transitions to
    /// candidate state. It then votes for itself and issues RequestVote RPCs in parallel to each
    /// of the other servers in the cluster." (§5.2)
    @Test func followerStartElection() {
        let r = makeRaft(id: 1, peers: [1, 2, 3], election: 10)
        r.becomeFollower(term: 1, lead: 2)
        r.tick(times: 2 * 10)
        checkStartedElection(r, term: 2)
    }

    /// "A candidate continues in this state until ... a period of time goes by with no winner.
    /// ... each candidate will time out and start a new election by incrementing its term and
    /// initiating another round of RequestVote RPCs." (§5.2)
    @Test func candidateStartNewElection() {
        let r = makeRaft(id: 1, peers: [1, 2, 3], election: 10)
        r.becomeCandidate()
        _ = r.takeMessages()
        r.tick(times: 2 * 10)
        checkStartedElection(r, term: 2)
    }

    func checkStartedElection(_ r: Raft, term: UInt64) {
        #expect(r.term == term)
        #expect(r.role == .candidate)
        #expect(r.votes[1] == true)
        #expect(r.vote == 1)
        let msgs = r.takeMessages()
        #expect(msgs.map(\.to) == [2, 3])
        for m in msgs {
            #expect(m.type == .vote && m.from == 1 && m.term == term)
        }
    }

    /// "A candidate wins an election if it receives votes from a majority of the servers in the
    /// full cluster for the same term. ... [It] either wins, another server establishes itself as
    /// leader, or a period of time goes by with no winner." (§5.2)
    @Test(arguments: [
        // (cluster size, votes received, resulting role)
        (1, [:], StateRole.leader),
        (3, [2: true, 3: true], .leader),
        (3, [2: true], .leader),
        (5, [2: true, 3: true, 4: true, 5: true], .leader),
        (5, [2: true, 3: true, 4: true], .leader),
        (5, [2: true, 3: true], .leader),
        // A majority of denials returns it to follower.
        (3, [2: false, 3: false], .follower),
        (5, [2: false, 3: false, 4: false, 5: false], .follower),
        (5, [2: true, 3: false, 4: false, 5: false], .follower),
        // Without a majority either way it stays a candidate.
        (3, [:], .candidate),
        (5, [2: true], .candidate),
        (5, [2: false, 3: false], .candidate),
        (5, [:], .candidate),
    ] as [(Int, [NodeID: Bool], StateRole)])
    func leaderElectionInOneRoundRPC(size: Int, votes: [NodeID: Bool], want: StateRole) throws {
        let r = makeRaft(id: 1, peers: Array(1...NodeID(size)))
        try r.step(Message(type: .hup, from: 1))
        for (id, granted) in votes.sorted(by: { $0.key < $1.key }) {
            try r.step(Message(type: .voteResp, to: 1, from: id, term: r.term, reject: !granted))
        }
        #expect(r.role == want)
        #expect(r.term == 1)
    }

    /// "Each server will vote for at most one candidate in a given term, on a
    /// first-come-first-served basis." (§5.2)
    @Test(arguments: [
        // (vote already cast, candidate asking, rejected)
        (noNode, NodeID(2), false),
        (noNode, 3, false),
        (2, 2, false),
        (3, 3, false),
        (2, 3, true),
        (3, 2, true),
    ] as [(NodeID, NodeID, Bool)])
    func followerVote(vote: NodeID, candidate: NodeID, rejected: Bool) throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        storage.setHardState(HardState(term: 1, vote: vote))
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        try r.step(Message(type: .vote, to: 1, from: candidate, term: 1))
        let msgs = r.takeMessages()
        #expect(msgs.count == 1)
        #expect(msgs.first?.type == .voteResp)
        #expect(msgs.first?.to == candidate)
        #expect(msgs.first?.reject == rejected)
        #expect(r.vote == (rejected ? vote : candidate))
    }

    /// "While waiting for votes, a candidate may receive an AppendEntries RPC from another server
    /// claiming to be leader. If the leader's term (included in its RPC) is at least as large as
    /// the candidate's current term, then the candidate recognizes the leader as legitimate and
    /// returns to follower state." (§5.2)
    @Test(arguments: [UInt64(1), 2])
    func candidateFallback(leaderTerm: UInt64) throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3])
        try r.step(Message(type: .hup, from: 1))
        #expect(r.role == .candidate)
        try r.step(Message(type: .app, to: 1, from: 2, term: leaderTerm))
        #expect(r.role == .follower)
        #expect(r.term == leaderTerm)
        #expect(r.lead == 2)
    }

    /// "Raft uses randomized election timeouts to ensure that split votes are rare ... election
    /// timeouts are chosen randomly from a fixed interval (e.g., 150–300ms)." Here the interval
    /// is [electionTick, 2 x electionTick) ticks. (§5.2)
    func checkElectionTimeoutRandomized(_ role: StateRole) {
        let election = 10
        let r = makeRaft(id: 1, peers: [1, 2, 3], election: election)
        var seen: Set<Int> = []
        for _ in 0..<50 * election {
            if role == .follower {
                r.becomeFollower(term: r.term + 1, lead: 2)
            } else {
                r.becomeCandidate()
            }
            _ = r.takeMessages()
            var ticks = 0
            while r.takeMessages().isEmpty && ticks < 3 * election {
                r.tick()
                ticks += 1
            }
            seen.insert(ticks)
        }
        #expect(seen == Set(election..<2 * election))
    }

    @Test func followerElectionTimeoutRandomized() { checkElectionTimeoutRandomized(.follower) }
    @Test func candidateElectionTimeoutRandomized() { checkElectionTimeoutRandomized(.candidate) }

    /// "In most cases only a single server will time out; it wins the election and sends
    /// heartbeats before any other servers time out." (§5.2)
    @Test func followersElectionTimeoutNonconflict() {
        let peers: [NodeID] = [1, 2, 3, 4, 5]
        let rafts = peers.map { makeRaft(id: $0, peers: peers) }
        var conflicts = 0
        let rounds = 1000
        for _ in 0..<rounds {
            for r in rafts { r.becomeFollower(term: r.term + 1, lead: noNode) }
            var timedOut = 0
            while timedOut == 0 {
                for r in rafts {
                    r.tick()
                    if !r.takeMessages().isEmpty { timedOut += 1 }
                }
            }
            if timedOut > 1 { conflicts += 1 }
        }
        #expect(Double(conflicts) / Double(rounds) <= 0.3)
    }
}

// MARK: §5.3 log replication

extension RaftPaperTests {
    /// A leader of term 1 over 1, 2, 3 whose empty entry every follower acknowledged.
    func committedLeader(storage: MemoryStorage = MemoryStorage(voters: [1, 2, 3])) throws -> Raft {
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.electByHand()
        try r.commitNoopEntry(storage: storage)
        return r
    }

    /// "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs
    /// in parallel to each of the other servers to replicate the entry. ... When sending an
    /// AppendEntries RPC, the leader includes the index and term of the entry in its log that
    /// immediately precedes the new entries." (§5.3)
    @Test func leaderStartReplication() throws {
        let r = try committedLeader()
        let last = r.log.lastIndex
        try r.step(Message(type: .prop, from: 1, entries: [Entry(data: bytes("some data"))]))
        #expect(r.log.lastIndex == last + 1)
        let want = Entry(term: 1, index: last + 1, data: bytes("some data"))
        #expect(r.log.unstableEntries == [want])
        let msgs = r.takeMessages()
        #expect(msgs.map(\.to) == [2, 3])
        for m in msgs {
            #expect(m.type == .app && m.term == 1)
            #expect(m.index == last && m.logTerm == 1)
            #expect(m.entries == [want])
            #expect(m.commit == last)
        }
    }

    /// "When the entry has been safely replicated, the leader applies the entry to its state
    /// machine. ... The leader keeps track of the highest index it knows to be committed, and it
    /// includes that index in future AppendEntries RPCs (including heartbeats) so that the other
    /// servers eventually find out." (§5.3)
    @Test func leaderCommitEntry() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let r = try committedLeader(storage: storage)
        let last = r.log.lastIndex
        try r.step(Message(type: .prop, from: 1, entries: [Entry(data: bytes("some data"))]))
        r.persist(into: storage)
        for m in r.takeMessages() {
            try r.step(acceptAndReply(m))
        }
        #expect(r.log.committed == last + 1)
        #expect(r.log.nextCommittedEntries() == [Entry(term: 1, index: last + 1, data: bytes("some data"))])
        let msgs = r.takeMessages()
        #expect(msgs.map(\.to) == [2, 3])
        for m in msgs {
            #expect(m.type == .app && m.commit == last + 1)
        }
    }

    /// "A log entry is committed once the leader that created the entry has replicated it on a
    /// majority of the servers." (§5.3)
    @Test(arguments: [
        // (cluster size, followers that accept, committed)
        (1, [], true),
        (3, [], false),
        (3, [2], true),
        (3, [2, 3], true),
        (5, [], false),
        (5, [2], false),
        (5, [2, 3], true),
        (5, [2, 3, 4], true),
        (5, [2, 3, 4, 5], true),
    ] as [(Int, [NodeID], Bool)])
    func leaderAcknowledgeCommit(size: Int, acceptors: [NodeID], committed: Bool) throws {
        let peers = Array(1...NodeID(size))
        let storage = MemoryStorage(voters: peers)
        let r = makeRaft(id: 1, peers: peers, storage: storage)
        r.electByHand()
        try r.commitNoopEntry(storage: storage)
        let last = r.log.lastIndex
        try r.step(Message(type: .prop, from: 1, entries: [Entry(data: bytes("some data"))]))
        r.persist(into: storage)
        for m in r.takeMessages() where acceptors.contains(m.to) {
            try r.step(acceptAndReply(m))
        }
        #expect((r.log.committed > last) == committed)
    }

    /// "When the leader commits an entry, it also commits all preceding entries in the leader's
    /// log, including entries created by previous leaders." (§5.3)
    @Test(arguments: [[UInt64](), [2], [1, 1], [1, 2]])
    func leaderCommitPrecedingEntries(previousTerms: [UInt64]) throws {
        let storage = makeStorage(voters: [1, 2, 3], terms: previousTerms)
        storage.setHardState(HardState(term: 2))
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.electByHand()
        try r.step(Message(type: .prop, from: 1, entries: [Entry(data: bytes("some data"))]))
        for m in r.takeMessages() {
            try r.step(acceptAndReply(m))
        }
        let n = UInt64(previousTerms.count)
        let want = entries(terms: previousTerms) + [
            Entry(term: 3, index: n + 1), Entry(term: 3, index: n + 2, data: bytes("some data")),
        ]
        #expect(r.log.nextCommittedEntries() == want)
    }

    /// "Once a follower learns that a log entry is committed, it applies the entry to its state
    /// machine (in log order)." (§5.3)
    @Test(arguments: [
        // (entries sent from index 1, leader commit)
        ([Entry(term: 1, index: 1, data: [1])], UInt64(1)),
        ([Entry(term: 1, index: 1, data: [1]), Entry(term: 1, index: 2, data: [2])], 2),
        ([Entry(term: 1, index: 1, data: [2]), Entry(term: 1, index: 2, data: [1])], 2),
        ([Entry(term: 1, index: 1, data: [1]), Entry(term: 1, index: 2, data: [2])], 1),
    ] as [([Entry], UInt64)])
    func followerCommitEntry(sent: [Entry], commit: UInt64) throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3])
        r.becomeFollower(term: 1, lead: 2)
        try r.step(Message(type: .app, to: 1, from: 2, term: 1, entries: sent, commit: commit))
        #expect(r.log.committed == commit)
        #expect(r.log.nextCommittedEntries() == Array(sent.prefix(Int(commit))))
    }

    /// "When sending an AppendEntries RPC, the leader includes the index and term of the entry in
    /// its log that immediately precedes the new entries. If the follower does not find an entry
    /// in its log with the same index and term, then it refuses the new entries." (§5.3)
    @Test(arguments: [
        // (prev term, prev index, answer index, rejected, reject hint, hint term)
        (UInt64(0), UInt64(0), UInt64(1), false, UInt64(0), UInt64(0)), // below commit: matches
        (1, 1, 1, false, 0, 0),                                         // matches a committed entry
        (2, 2, 2, false, 0, 0),                                         // matches an uncommitted entry
        (1, 2, 2, true, 1, 1),                                          // term differs at index 2
        (3, 3, 3, true, 2, 2),                                          // index 3 does not exist
    ] as [(UInt64, UInt64, UInt64, Bool, UInt64, UInt64)])
    func followerCheckMsgApp(prevTerm: UInt64, prevIndex: UInt64, index: UInt64, rejected: Bool, hint: UInt64, hintTerm: UInt64) throws {
        let storage = makeStorage(voters: [1, 2, 3], terms: [1, 2])
        storage.setHardState(HardState(commit: 1))
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.becomeFollower(term: 2, lead: 2)
        try r.step(Message(type: .app, to: 1, from: 2, term: 2, logTerm: prevTerm, index: prevIndex, commit: 1))
        let msgs = r.takeMessages()
        #expect(msgs == [Message(type: .appResp, to: 2, from: 1, term: 2, logTerm: hintTerm, index: index,
                                 reject: rejected, rejectHint: hint)])
    }

    /// "If an existing entry conflicts with a new one (same index but different terms), delete
    /// the existing entry and all that follow it; append any new entries not already in the log."
    /// (§5.3)
    @Test(arguments: [
        // (prev index, prev term, entries sent, log afterwards, unstable afterwards)
        (UInt64(2), UInt64(2), [Entry(term: 3, index: 3)], [UInt64(1), 2, 3], [UInt64(3)]),
        (1, 1, [Entry(term: 3, index: 2), Entry(term: 4, index: 3)], [1, 3, 4], [2, 3]),
        (0, 0, [Entry(term: 1, index: 1)], [1, 2], []),
        (0, 0, [Entry(term: 3, index: 1)], [3], [1]),
    ] as [(UInt64, UInt64, [Entry], [UInt64], [UInt64])])
    func followerAppendEntries(prevIndex: UInt64, prevTerm: UInt64, sent: [Entry], wantTerms: [UInt64], wantUnstable: [UInt64]) throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: makeStorage(voters: [1, 2, 3], terms: [1, 2]))
        r.becomeFollower(term: 2, lead: 2)
        try r.step(Message(type: .app, to: 1, from: 2, term: 2, logTerm: prevTerm, index: prevIndex, entries: sent))
        #expect(r.allEntries.terms == wantTerms)
        #expect(r.log.unstableEntries.indexes == wantUnstable)
    }

    /// "The leader handles inconsistencies by forcing the followers' logs to duplicate its own.
    /// ... the leader must find the latest log entry where the two logs agree, delete any entries
    /// in the follower's log after that point, and send the follower all of the leader's entries
    /// after that point." Figure 7's followers (a) to (f). (§5.3)
    @Test(arguments: [
        [UInt64(1), 1, 1, 4, 4, 5, 5, 6, 6],          // (a) missing an entry
        [1, 1, 1, 4],                                 // (b) missing many
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],            // (c) an extra uncommitted entry
        [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],         // (d) extra entries of a later term
        [1, 1, 1, 4, 4, 4, 4],                        // (e) missing and extra
        [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],            // (f) terms the leader never saw
    ])
    func leaderSyncFollowerLog(followerTerms: [UInt64]) throws {
        let leaderTerms: [UInt64] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        let leaderStorage = makeStorage(voters: [1, 2, 3], terms: leaderTerms)
        leaderStorage.setHardState(HardState(term: 8, commit: UInt64(leaderTerms.count)))
        let followerStorage = makeStorage(voters: [1, 2, 3], terms: followerTerms)
        followerStorage.setHardState(HardState(term: 7))
        // Member 3 is absent: it neither votes nor answers.
        let net = Network(storages: [1: leaderStorage, 2: followerStorage])
        net.campaign(1)
        // A vote from 3 makes 1 leader even when 2's log is more up to date and it refuses.
        net.send(Message(type: .voteResp, to: 1, from: 3, term: 9))
        #expect(net[1].raft.role == .leader)
        try net.propose(1, "some data")
        #expect(net.storedEntries(2) == net.storedEntries(1))
        #expect(net.storedEntries(1).terms == leaderTerms + [9, 9])
    }
}

// MARK: §5.4 safety

extension RaftPaperTests {
    /// "RequestVote RPC: ... lastLogIndex: index of candidate's last log entry; lastLogTerm: term
    /// of candidate's last log entry" (Figure 2), sent "in parallel to each of the other servers".
    @Test(arguments: [[UInt64(1)], [1, 2]])
    func voteRequest(logTerms: [UInt64]) throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3])
        let term = logTerms.last!
        try r.step(Message(type: .app, to: 1, from: 2, term: term, entries: entries(terms: logTerms)))
        _ = r.takeMessages()
        r.tick(times: 2 * 10)
        let msgs = r.takeMessages()
        #expect(msgs.map(\.to) == [2, 3])
        for m in msgs {
            #expect(m.type == .vote && m.term == term + 1)
            #expect(m.index == UInt64(logTerms.count) && m.logTerm == term)
        }
    }

    /// "The voter denies its vote if its own log is more up-to-date than that of the candidate.
    /// ... If the logs have last entries with different terms, then the log with the later term
    /// is more up-to-date. If the logs end with the same term, then whichever log is longer is
    /// more up-to-date." (§5.4.1)
    @Test(arguments: [
        // (voter's log terms, candidate's last term, candidate's last index, rejected)
        ([UInt64(1)], UInt64(1), UInt64(1), false),   // same last term, same length
        ([1], 1, 2, false),                           // same last term, candidate longer
        ([1, 1], 1, 1, true),                         // same last term, voter longer
        ([1], 2, 1, false),                           // candidate's last term later
        ([1], 2, 2, false),
        ([1, 1], 2, 1, false),
        ([2], 1, 1, true),                            // voter's last term later
        ([2], 1, 2, true),
        ([2, 1], 1, 1, true),
    ] as [([UInt64], UInt64, UInt64, Bool)])
    func voter(voterTerms: [UInt64], lastTerm: UInt64, lastIndex: UInt64, rejected: Bool) throws {
        let r = makeRaft(id: 1, peers: [1, 2], storage: makeStorage(voters: [1, 2], terms: voterTerms))
        try r.step(Message(type: .vote, to: 1, from: 2, term: 3, logTerm: lastTerm, index: lastIndex))
        let msgs = r.takeMessages()
        #expect(msgs.count == 1)
        #expect(msgs.first?.type == .voteResp)
        #expect(msgs.first?.reject == rejected)
        #expect(r.vote == (rejected ? noNode : 2))
    }

    /// "Raft never commits log entries from previous terms by counting replicas. Only log entries
    /// from the leader's current term are committed by counting replicas; once an entry from the
    /// current term has been committed in this way, then all prior entries are committed
    /// indirectly because of the Log Matching Property." (§5.4.2)
    @Test(arguments: [
        // (index a follower acknowledges, commit afterwards)
        (UInt64(1), UInt64(0)),
        (2, 0),
        (3, 3),
    ] as [(UInt64, UInt64)])
    func leaderOnlyCommitsLogFromCurrentTerm(acked: UInt64, wantCommit: UInt64) throws {
        let storage = makeStorage(voters: [1, 2], terms: [1, 2])
        storage.setHardState(HardState(term: 2))
        let r = makeRaft(id: 1, peers: [1, 2], storage: storage)
        r.electByHand()
        #expect(r.term == 3)
        _ = r.takeMessages()
        r.persist(into: storage)
        try r.step(Message(type: .appResp, to: 1, from: 2, term: 3, index: acked))
        #expect(r.log.committed == wantCommit)
    }
}
