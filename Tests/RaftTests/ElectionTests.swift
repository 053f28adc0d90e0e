import Testing
@testable import Raft

/// Elections through RawNode and the network: what is persisted, what survives a restart, and
/// who can win.
@Suite struct ElectionTests {
    @Test func campaignPersistsTermAndVoteBeforeSendingVotes() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let node = try RawNode(config: Config(id: 1), storage: storage)
        try node.campaign()
        #expect(node.hasReady)
        let rd = node.ready()
        #expect(rd.hardState == HardState(term: 1, vote: 1, commit: 0))
        #expect(rd.mustSync)
        #expect(rd.softState == SoftState(lead: noNode, role: .candidate))
        #expect(rd.messages.map(\.type) == [.vote, .vote])
        node.advance(rd)
        #expect(!node.hasReady)
    }

    @Test func grantedVoteIsInTheVotersHardState() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        for id: NodeID in [2, 3] {
            #expect(net[id].storage.hardState.term == 1)
            #expect(net[id].storage.hardState.vote == 1)
        }
        #expect(net[1].storage.hardState.vote == 1)
    }

    @Test func restartKeepsTermVoteAndCommit() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "x")
        let before = net[2].raft.hardState
        #expect(before == HardState(term: 1, vote: 1, commit: 2))
        net.restart(2)
        #expect(net[2].raft.hardState == before)
        #expect(net[2].raft.log.lastIndex == 2)
        #expect(net[2].raft.role == .follower)
        // Committed entries are handed out again, as the application applied nothing durable.
        net.stabilize()
        #expect(net[2].applied.map(\.data) == [[], bytes("x")])
    }

    @Test func restartedVoterDoesNotVoteTwiceInATerm() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.restart(2)
        // 3 asks for 2's vote in term 1, which 2 already gave to 1 before its restart.
        try net[2].node.step(Message(type: .vote, to: 2, from: 3, term: 1, logTerm: 1, index: 1))
        net.collect()
        let answers = net.take { $0.to == 3 && $0.type == .voteResp }
        #expect(answers.count == 1)
        #expect(answers.first?.reject == true)
        #expect(net[2].raft.vote == 1)
    }

    @Test func candidateWithStaleLogLoses() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(3)
        try net.propose(1, "only 1 and 2 have this")
        net.recover()
        net.campaign(3)
        #expect(net[3].raft.role != .leader)
        #expect(net[3].raft.term == 2)
        // 1 and 2 refused 3; either of them can still win the next term.
        net.campaign(2)
        #expect(net[2].raft.role == .leader)
        #expect(net[2].raft.term == 3)
        #expect(net[3].raft.log.lastIndex == net[2].raft.log.lastIndex)
    }

    @Test func splitVoteLeavesNoLeaderUntilATimeout() throws {
        let net = Network(ids: [1, 2, 3, 4])
        // 1 gets 2's vote and 3 gets 4's: with 4 voters neither has a quorum of 3.
        net.cut(1, 3)
        net.cut(1, 4)
        net.cut(3, 2)
        try net[1].node.campaign()
        try net[3].node.campaign()
        net.stabilize()
        #expect(net.leader == nil)
        #expect(net[1].raft.role == .candidate && net[3].raft.role == .candidate)
        net.recover()
        // Each member votes once per term: 1 cannot win term 1 with 4's vote, so it times out.
        net.tickAndStabilize(1, times: 2 * 10)
        #expect(net.leader == 1)
        #expect(net[1].raft.term == 2)
    }

    @Test func singleMemberElectsItselfOnTimeout() {
        let net = Network(ids: [1])
        net.tickAndStabilize(1, times: 2 * 10)
        #expect(net[1].raft.role == .leader)
        #expect(net[1].raft.log.committed == 1)
    }

    @Test func leaderIgnoresCampaign() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.campaign(1)
        #expect(net[1].raft.role == .leader)
        #expect(net[1].raft.term == 1)
    }

    @Test func softStateInReadyFollowsTheRole() throws {
        let net = Network(ids: [1, 2, 3])
        try net[1].node.campaign()
        let rd = net[1].node.ready()
        #expect(rd.softState?.role == .candidate)
        net.persist(rd, into: net[1])
        net.inFlight.append(contentsOf: rd.messages)
        net[1].node.advance(rd)
        net.stabilize()
        // The vote answers made 1 leader: its next Ready says so.
        #expect(net[1].node.basicStatus.softState == SoftState(lead: 1, role: .leader))
        #expect(net[2].node.basicStatus.lead == 1)
    }
}
