import Testing
@testable import Raft

/// Leadership transfer (§3.10 of the Raft thesis): the leader brings the transferee up to date,
/// sends it MsgTimeoutNow, and takes no proposals meanwhile; it gives up after an election timeout.
@Suite struct LeaderTransferTests {
    @Test func upToDateFollowerGetsTimeoutNowAndWins() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "x")
        net[1].node.transferLeadership(to: 2)
        net.collect()
        #expect(net.inFlight.map(\.type) == [.timeoutNow])
        #expect(net.inFlight.first?.to == 2)
        net.stabilize()
        #expect(net.leader == 2)
        #expect(net[2].raft.term == 2)
        #expect(net[1].raft.role == .follower)
        #expect(net[1].raft.lead == 2)
        #expect(net[1].node.basicStatus.leadTransferee == noNode)
    }

    @Test func proposalsAreRefusedDuringTheTransfer() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net[1].node.transferLeadership(to: 2)
        net.collect()
        // MsgTimeoutNow is held, so the transfer has not finished.
        #expect(net.take { $0.type == .timeoutNow }.count == 1)
        #expect(net[1].node.basicStatus.leadTransferee == 2)
        #expect(throws: RaftError.proposalDropped(.leaderTransferInProgress)) {
            try net[1].node.propose(bytes("x"))
        }
    }

    @Test func transferIsAbortedAfterAnElectionTimeout() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(3)
        net[1].node.transferLeadership(to: 3)
        net.tickAndStabilize(1, times: 10 - 1)
        #expect(net[1].node.basicStatus.leadTransferee == 3)
        net.tickAndStabilize(1)
        #expect(net[1].node.basicStatus.leadTransferee == noNode)
        #expect(net.leader == 1)
        try net.propose(1, "accepted again")
        #expect(net[2].applied.last?.data == bytes("accepted again"))
    }

    @Test func laggingFollowerIsCaughtUpBeforeTimeoutNow() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(3)
        for i in 0..<5 { try net.propose(1, "e\(i)") }
        net.recover()
        net[1].node.transferLeadership(to: 3)
        net.collect()
        // First the missing entries, not MsgTimeoutNow.
        #expect(net.inFlight.of(.timeoutNow).isEmpty)
        #expect(net.inFlight.contains { $0.type == .app && $0.to == 3 })
        net.stabilize()
        #expect(net.leader == 3)
        #expect(net[3].raft.term == 2)
        // 3 won with the whole log: nothing committed was lost.
        #expect(net[3].applied.dropFirst().prefix(5).map(\.data) == (0..<5).map { bytes("e\($0)") })
    }

    @Test func transferThroughAFollowerIsForwarded() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net[3].node.transferLeadership(to: 3)
        net.stabilize()
        #expect(net.leader == 3)
    }

    @Test func transferToSelfOrToANonMemberIsIgnored() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net[1].node.transferLeadership(to: 1)
        net[1].node.transferLeadership(to: 9)
        net.stabilize()
        #expect(net.leader == 1)
        #expect(net[1].node.basicStatus.leadTransferee == noNode)
        try net.propose(1, "x")
    }

    @Test func newerTransfereeReplacesTheFirst() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(3)
        net[1].node.transferLeadership(to: 3)
        #expect(net[1].node.basicStatus.leadTransferee == 3)
        net.recover()
        net.collect()
        _ = net.take { _ in true }
        net[1].node.transferLeadership(to: 2)
        #expect(net[1].node.basicStatus.leadTransferee == 2)
        net.stabilize()
        #expect(net.leader == 2)
    }

    @Test func transferWinsDespiteTheLease() throws {
        // With CheckQuorum, voters that heard the leader ignore ordinary vote requests; a
        // transfer's request is marked and they answer it.
        let net = Network(ids: [1, 2, 3]) { $0.checkQuorum = true; $0.preVote = true }
        net.campaign(1)
        net[1].node.transferLeadership(to: 2)
        net.stabilize()
        #expect(net.leader == 2)
        #expect(net[2].raft.term == 2)
    }
}
