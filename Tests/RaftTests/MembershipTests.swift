import Testing
@testable import Raft

/// Membership changes: one voter added or removed at a time, through a configuration entry that
/// takes effect when the application applies it.
@Suite struct MembershipTests {
    /// A group started with `bootstrap(peers:)`, whose leader is 1.
    func bootstrappedCluster(_ ids: [NodeID] = [1, 2, 3]) -> Network {
        let net = Network.bootstrapped(ids: ids)
        net.campaign(1)
        return net
    }

    @Test func bootstrapWritesTheConfigurationIntoTheLog() throws {
        let net = Network.bootstrapped(ids: [1, 2, 3])
        for id: NodeID in [1, 2, 3] {
            let log = net.storedEntries(id)
            #expect(log.map(\.type) == [.confChange, .confChange, .confChange])
            #expect(try log.map { try ConfChange(decoding: $0.data).nodeID } == [1, 2, 3])
            #expect(net[id].node.confState.voters == [1, 2, 3])
            #expect(net[id].storage.hardState == HardState(term: 1, vote: noNode, commit: 3))
        }
        net.campaign(1)
        #expect(net.leader == 1)
    }

    @Test func bootstrapRefusesAStorageWithState() throws {
        let storage = makeStorage(voters: [1], terms: [1])
        let node = try RawNode(config: Config(id: 1), storage: storage)
        #expect(throws: RaftError.bootstrapNonEmptyStorage) { try node.bootstrap(peers: [1]) }
    }

    @Test func noCampaignWhileAConfigurationChangeIsUnapplied() throws {
        let node = try RawNode(config: Config(id: 1), storage: MemoryStorage())
        try node.bootstrap(peers: [1, 2, 3])
        try node.campaign()
        #expect(node.raft.role == .follower)
        let rd = node.ready()
        node.advance(rd)
        try node.campaign()
        #expect(node.raft.role == .candidate)
    }

    @Test func addedVoterCatchesUpFromTheLog() throws {
        let net = bootstrappedCluster()
        try net[1].node.proposeConfChange(ConfChange(kind: .addNode, nodeID: 4))
        net.collect()
        // Appended, not applied: the configuration has not changed yet.
        #expect(net[1].node.confState.voters == [1, 2, 3])
        net.add(4)
        net.stabilize()
        #expect(net[1].node.confState.voters == [1, 2, 3, 4])
        // The leader finds 4 with its next heartbeat and sends it the log from the start.
        net.tickAndStabilize(1)
        #expect(net[4].node.confState.voters == [1, 2, 3, 4])
        #expect(net.storedEntries(4) == net.storedEntries(1))
        #expect(net[4].raft.lead == 1)
        try net.propose(1, "four members")
        #expect(net[4].applied.last?.data == bytes("four members"))
    }

    @Test func addedVoterCountsTowardsTheQuorum() throws {
        let net = bootstrappedCluster()
        try net[1].node.proposeConfChange(ConfChange(kind: .addNode, nodeID: 4))
        net.add(4)
        net.stabilize()
        net.tickAndStabilize(1)
        let committed = net[1].raft.log.committed
        // 1 and 2 are two of four: not a quorum any more.
        net.isolate(3)
        net.isolate(4)
        try net.propose(1, "needs three")
        #expect(net[1].raft.log.committed == committed)
        net.recover()
        net.isolate(3)
        net.tickAndStabilize(1)
        #expect(net[1].raft.log.committed == committed + 1)
    }

    @Test func removedVoterNoLongerCounts() throws {
        let net = bootstrappedCluster()
        try net[1].node.proposeConfChange(ConfChange(kind: .removeNode, nodeID: 3))
        net.stabilize()
        #expect(net[1].node.confState.voters == [1, 2])
        #expect(net[1].node.status().progress[3] == nil)
        net.isolate(2)
        try net.propose(1, "needs 2")
        #expect(net[1].applied.last?.data != bytes("needs 2"))
        net.recover()
        net.isolate(3)
        net.tickAndStabilize(1)
        #expect(net[1].applied.last?.data == bytes("needs 2"))
    }

    @Test func oneChangeAtATime() throws {
        let net = bootstrappedCluster()
        try net[1].node.proposeConfChange(ConfChange(kind: .addNode, nodeID: 4))
        try net[1].node.proposeConfChange(ConfChange(kind: .addNode, nodeID: 5))
        let tail = net[1].raft.allEntries.suffix(2)
        // The second change, proposed while the first was unapplied, became an empty entry.
        #expect(tail.map(\.type) == [.confChange, .normal])
        #expect(tail.last?.data == [])
        net.stabilize()
        #expect(net[1].node.confState.voters == [1, 2, 3, 4])
        // Once the first is applied, the next may be proposed.
        try net[1].node.proposeConfChange(ConfChange(kind: .addNode, nodeID: 5))
        net.stabilize()
        #expect(net[1].node.confState.voters == [1, 2, 3, 4, 5])
    }

    @Test func removedLeaderStepsDownAndTheRestElectANewOne() throws {
        let net = bootstrappedCluster()
        try net[1].node.proposeConfChange(ConfChange(kind: .removeNode, nodeID: 1))
        net.stabilize()
        #expect(net[1].raft.role == .follower)
        #expect(net[1].node.confState.voters == [2, 3])
        // No longer a voter, 1 never campaigns.
        let term = net[1].raft.term
        net.tickAndStabilize(1, times: 5 * 10)
        #expect(net[1].raft.term == term)
        net.tickAndStabilize(2, times: 2 * 10)
        #expect(net.leader == 2)
        try net.propose(2, "without 1")
        #expect(net[3].applied.last?.data == bytes("without 1"))
        #expect(net[2].node.confState.voters == [2, 3])
    }

    @Test func leaderRemovingItselfStepsDownAndCannotCampaign() throws {
        let r = makeRaft(id: 1, peers: [1, 2])
        r.electByHand()
        _ = r.applyConfChange(ConfChange(kind: .removeNode, nodeID: 2))
        #expect(r.role == .leader)
        _ = r.applyConfChange(ConfChange(kind: .removeNode, nodeID: 1))
        #expect(r.role == .follower)
        #expect(!r.isPromotable)
    }

    @Test func removingTheTransfereeAbortsTheTransfer() throws {
        let net = bootstrappedCluster()
        net.isolate(3)
        net[1].node.transferLeadership(to: 3)
        #expect(net[1].node.basicStatus.leadTransferee == 3)
        _ = net[1].node.applyConfChange(ConfChange(kind: .removeNode, nodeID: 3))
        #expect(net[1].node.basicStatus.leadTransferee == noNode)
    }
}
