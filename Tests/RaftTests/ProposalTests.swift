import Testing
@testable import Raft

/// Proposals: taken by the leader, forwarded by followers, and refused with a typed error when
/// nobody can take them.
@Suite struct ProposalTests {
    @Test func followerForwardsToTheLeader() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net[2].node.propose(bytes("from 2"))
        net.collect()
        let forwarded = net.inFlight.of(.prop)
        #expect(forwarded.map(\.to) == [1])
        #expect(forwarded.first?.from == 2)
        net.stabilize()
        for id: NodeID in [1, 2, 3] {
            #expect(net[id].applied.last?.data == bytes("from 2"))
            #expect(net[id].applied.last?.term == 1)
        }
    }

    @Test func noLeaderRefusesWithATypedError() {
        let net = Network(ids: [1, 2, 3])
        #expect(throws: RaftError.proposalDropped(.noLeader)) {
            try net[2].node.propose(bytes("x"))
        }
    }

    @Test func candidateRefusesDuringAnElection() throws {
        let net = Network(ids: [1, 2, 3])
        try net[1].node.campaign()
        #expect(throws: RaftError.proposalDropped(.electionInProgress)) {
            try net[1].node.propose(bytes("x"))
        }
    }

    @Test func forwardingDisabledRefusesWithATypedError() throws {
        let net = Network(ids: [1, 2, 3]) { $0.disableProposalForwarding = true }
        net.campaign(1)
        #expect(throws: RaftError.proposalDropped(.forwardingDisabled)) {
            try net[2].node.propose(bytes("x"))
        }
        net.collect()
        #expect(net.inFlight.of(.prop).isEmpty)
        // The leader itself still takes proposals.
        try net.propose(1, "x")
        #expect(net[2].applied.last?.data == bytes("x"))
    }

    @Test func uncommittedBytesAreBounded() throws {
        let net = Network(ids: [1, 2, 3]) { $0.maxUncommittedEntriesSize = 10 }
        net.campaign(1)
        net.isolate(1)
        try net.propose(1, "123456")
        #expect(throws: RaftError.proposalDropped(.uncommittedSizeExceeded(limitBytes: 10))) {
            try net.propose(1, "123456")
        }
        // Empty entries carry nothing and always fit.
        try net[1].node.propose([])
        try net.propose(1, "1234")
        #expect(throws: RaftError.proposalDropped(.uncommittedSizeExceeded(limitBytes: 10))) {
            try net.propose(1, "1")
        }
        // Once committed and applied, the bytes no longer count.
        net.recover()
        net.tickAndStabilize(1)
        #expect(net[1].raft.log.committed == net[1].raft.log.lastIndex)
        try net.propose(1, "123456")
        #expect(net[3].applied.last?.data == bytes("123456"))
    }

    @Test func firstProposalLargerThanTheBoundIsTaken() throws {
        // Otherwise an entry larger than the bound could never be proposed.
        let net = Network(ids: [1, 2, 3]) { $0.maxUncommittedEntriesSize = 4 }
        net.campaign(1)
        try net.propose(1, "larger than four")
        #expect(net[2].applied.last?.data == bytes("larger than four"))
    }

    @Test func batchIsAppendedTogether() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net[1].node.propose(batch: [bytes("a"), bytes("b"), bytes("c")])
        net.collect()
        let apps = net.inFlight.filter { $0.to == 2 && $0.type == .app }
        #expect(apps.count == 1)
        #expect(apps.first?.entries.map(\.data) == [bytes("a"), bytes("b"), bytes("c")])
        #expect(apps.first?.entries.map(\.index) == [2, 3, 4])
    }

    @Test func forwardedProposalIsLostWhenTheLeaderIsUnreachable() throws {
        // Forwarding gives no guarantee: the application retries, as etcd does.
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.cut(2, 1)
        try net.propose(2, "lost")
        #expect(net[1].raft.log.lastIndex == 1)
    }
}
