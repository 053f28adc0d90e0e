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
