import Testing
@testable import Raft

/// Learners, as etcd-io/raft has them: they receive the log like voters, but never count toward
/// a commit or an election, never campaign, and join the voters only by a promotion.
@Suite struct LearnerTests {
    /// Voters 1, 2, 3 led by 1, and learner 4, all over a configuration that already holds them.
    func clusterWithLearner() -> Network {
        let net = Network(storages: Dictionary(uniqueKeysWithValues: [1, 2, 3, 4].map {
            ($0, MemoryStorage(voters: [1, 2, 3], learners: [4]))
        }))
        net.campaign(1)
        return net
    }

    @Test func aLearnerReceivesTheLog() throws {
        let net = clusterWithLearner()
        #expect(net.leader == 1)
        try net.propose(1, "to everyone")
        #expect(net[4].applied.last?.data == bytes("to everyone"))
        #expect(net[4].raft.lead == 1)
        #expect(net[1].node.status().progress[4]?.isLearner == true)
        #expect(net[1].node.status().learners == [4])
    }

    @Test func aLearnerNeverCountsTowardACommit() throws {
        let net = clusterWithLearner()
        let committed = net[1].raft.log.committed
        // 1 and learner 4 hold the entry: one voter of three is no quorum.
        net.isolate(2)
        net.isolate(3)
        try net.propose(1, "needs a voter")
        #expect(net[1].raft.log.committed == committed)
        #expect(net[1].node.status().progress[4]?.match == net[1].raft.log.lastIndex)
        net.recover()
        net.tickAndStabilize(1)
        #expect(net[1].raft.log.committed == committed + 1)
    }

    @Test func aLearnerNeverCampaigns() {
        let net = clusterWithLearner()
        let term = net[4].raft.term
        net.isolate(1)
        // Far past any election timeout: a learner's timer does nothing.
        net.tickAndStabilize(4, times: 5 * 10)
        #expect(net[4].raft.role == .follower)
        #expect(net[4].raft.term == term)
        try? net[4].node.campaign()
        #expect(net[4].raft.role == .follower)
        #expect(net.inFlight.isEmpty)
    }

    @Test func aCandidateAsksOnlyVotersAndLearnersVotesDoNotCount() {
        let r = makeRaft(id: 1, peers: [], storage: MemoryStorage(voters: [1, 2, 3], learners: [4]))
        r.becomeCandidate()
        _ = r.recordVote(from: 1, granted: true)
        r.campaign(.election)
        #expect(Set(r.takeMessages().of(.vote).map(\.to)) == [2, 3])
        // A learner's grant (it may not know yet that it was promoted) does not make a quorum.
        try? r.step(Message(type: .voteResp, to: 1, from: 4, term: r.term))
        #expect(r.role == .candidate)
        try? r.step(Message(type: .voteResp, to: 1, from: 2, term: r.term))
        #expect(r.role == .leader)
    }

    @Test func aLearnerAnswersAVoteRequest() {
        // etcd-io/raft lets a learner vote: promoted by a change it has not applied yet, it may be
        // needed for a quorum, and a candidate that thinks it a learner does not count the vote.
        let r = makeRaft(id: 4, peers: [], storage: MemoryStorage(voters: [1, 2, 3], learners: [4]))
        try? r.step(Message(type: .vote, to: 4, from: 2, term: 5, logTerm: 0, index: 0))
        let answers = r.takeMessages().of(.voteResp)
        #expect(answers.count == 1)
        #expect(answers.first?.reject == false)
        #expect(r.vote == 2)
    }

    @Test func leadershipIsNeverTransferredToALearner() {
        let net = clusterWithLearner()
        net[1].node.transferLeadership(to: 4)
        net.stabilize()
        #expect(net[1].node.basicStatus.leadTransferee == noNode)
        #expect(net.leader == 1)
    }

    @Test func aLearnerAddedByAConfChangeCatchesUpWithoutChangingTheQuorum() throws {
        let net = Network.bootstrapped(ids: [1, 2, 3])
        net.campaign(1)
        try net[1].node.proposeConfChange(ConfChange(kind: .addLearnerNode, nodeID: 4))
        net.add(4)
        net.stabilize()
        #expect(net[1].node.confState == ConfState(voters: [1, 2, 3], learners: [4]))
        net.tickAndStabilize(1)
        #expect(net[4].node.confState == ConfState(voters: [1, 2, 3], learners: [4]))
        #expect(net.storedEntries(4) == net.storedEntries(1))
        // Two voters of three still commit with the learner cut off.
        net.isolate(4)
        net.isolate(3)
        try net.propose(1, "two of three")
        #expect(net[2].applied.last?.data == bytes("two of three"))
    }

    @Test func promotionMakesTheLearnerAVoterThatCountsAndCampaigns() throws {
        let net = clusterWithLearner()
        try net[1].node.proposeConfChange(ConfChange(kind: .addNode, nodeID: 4))
        net.stabilize()
        for id: NodeID in [1, 2, 3, 4] {
            #expect(net[id].node.confState == ConfState(voters: [1, 2, 3, 4]))
        }
        #expect(net[1].node.status().progress[4]?.isLearner == false)
        // Now 1, 2 and 4 are three of four: a quorum without 3.
        net.isolate(3)
        try net.propose(1, "with 4 counted")
        #expect(net[1].applied.last?.data == bytes("with 4 counted"))
        // And 4 may lead, with 2 and 3: three of four.
        net.recover()
        net.isolate(1)
        net.tickAndStabilize(4, times: 2 * 10)
        #expect(net[4].raft.role == .leader)
    }

    @Test func removingALearnerStopsItsReplication() throws {
        let net = clusterWithLearner()
        try net[1].node.proposeConfChange(ConfChange(kind: .removeNode, nodeID: 4))
        net.stabilize()
        #expect(net[1].node.confState == ConfState(voters: [1, 2, 3]))
        #expect(net[1].node.status().progress[4] == nil)
        try net.propose(1, "without 4")
        #expect(net[4].applied.last?.data != bytes("without 4"))
    }

    @Test func aRemovedMemberNeverVotesAgainInTheGroup() throws {
        let net = Network.bootstrapped(ids: [1, 2, 3])
        net.campaign(1)
        try net[1].node.proposeConfChange(ConfChange(kind: .removeNode, nodeID: 3))
        net.stabilize()
        #expect(net[3].node.confState.voters == [1, 2])
        // 3 never campaigns, and no candidate asks it or counts it.
        let term = net[3].raft.term
        net.tickAndStabilize(3, times: 5 * 10)
        #expect(net[3].raft.term == term)
        net.isolate(1)
        net.tickAndStabilize(2, times: 2 * 10)
        #expect(net[2].raft.role == .candidate || net[2].raft.role == .preCandidate)
        #expect(net.inFlight.allSatisfy { $0.to != 3 })
    }

    @Test func demotingTheLeaderMakesItStepDown() {
        let r = makeRaft(id: 1, peers: [1, 2, 3])
        r.electByHand()
        _ = r.applyConfChange(ConfChange(kind: .addLearnerNode, nodeID: 1))
        #expect(r.role == .follower)
        #expect(r.confState == ConfState(voters: [2, 3], learners: [1]))
        #expect(!r.isPromotable)
    }

    @Test func anUpdateChangesNothingInRaft() {
        let r = makeRaft(id: 1, peers: [], storage: MemoryStorage(voters: [1, 2], learners: [3]))
        let before = r.confState
        #expect(r.applyConfChange(ConfChange(kind: .updateNode, nodeID: 2, context: [1])) == before)
    }

    @Test func aLearnerBehindTheLogIsSentASnapshotThatNamesTheLearners() throws {
        let net = clusterWithLearner()
        try net[1].node.proposeConfChange(ConfChange(kind: .addLearnerNode, nodeID: 5))
        net.stabilize()
        try net.propose(1, "before the snapshot")
        let applied = net[1].raft.log.applied
        net.compact(1, upTo: applied)
        net.add(5)
        net.tickAndStabilize(1, times: 3)
        let expected = ConfState(voters: [1, 2, 3], learners: [4, 5])
        #expect(try net[5].storage.snapshot().metadata.confState == expected)
        #expect(net[5].node.confState == expected)
        #expect(net[5].raft.log.committed >= applied)
    }
}
