import Testing
@testable import Raft

/// Stories of a cluster, told step by step: campaign, propose, deliver, stabilize, partition,
/// heal, transfer, restart.
@Suite struct ScenarioTests {
    func data(_ member: TestMember) -> [[UInt8]] {
        member.applied.map(\.data).filter { !$0.isEmpty }
    }

    @Test func isolatedLeaderIsReplacedAndItsUncommittedEntriesOverwritten() throws {
        let net = Network(ids: [1, 2, 3, 4, 5])
        net.campaign(1)
        try net.propose(1, "committed by all")

        // The leader is cut off; it keeps taking proposals nobody will ever see.
        net.isolate(1)
        try net.propose(1, "lost 1")
        try net.propose(1, "lost 2")
        #expect(net[1].raft.log.lastIndex == 4)
        #expect(net[1].raft.log.committed == 2)

        // The majority elects 2, which commits new entries at the same indexes.
        net.campaign(2)
        #expect(net[2].raft.role == .leader)
        #expect(net[2].raft.term == 2)
        try net.propose(2, "new 1")
        try net.propose(3, "new 2")

        // Healed, 1 hears the newer term and its uncommitted entries are overwritten.
        net.recover()
        net.tickAndStabilize(2)
        #expect(net.leader == 2)
        #expect(net[1].raft.role == .follower)
        for id: NodeID in [1, 2, 3, 4, 5] {
            #expect(net.storedEntries(id) == net.storedEntries(2))
            #expect(data(net[id]) == [bytes("committed by all"), bytes("new 1"), bytes("new 2")])
        }
    }

    /// Figure 8 of the Raft paper: an entry from an old term stored on a majority can still be
    /// overwritten, so a leader must not count replicas of it to commit it.
    @Test func figure8EntryOnAMajorityFromAnOldTermIsNotCommitted() throws {
        // One entry per MsgApp, so the story can hand out entries one at a time.
        let net = Network(ids: [1, 2, 3, 4, 5]) { $0.maxSizePerMsg = 1 }
        net.campaign(1)

        // (a) 1 leads term 1 and replicates "x" (index 2) to 2 only.
        net.partition([[1, 2], [3, 4, 5]])
        try net.propose(1, "x")
        #expect(net[2].raft.log.termOrZero(2) == 1)

        // (b) 1 is gone; 5 wins term 2 with 3's and 4's votes, and its empty entry (index 2)
        // reaches nobody.
        net.recover()
        net.partition([[1], [2], [3, 4, 5]])
        net.ignore(.app)
        net.campaign(5)
        #expect(net[5].raft.role == .leader)
        #expect(net[5].raft.term == 2)
        #expect(net[5].raft.log.termOrZero(2) == 2)

        // (c) 5 is gone; 1 restarts and wins term 3 (its first try, term 2, fails on 3's vote
        // for 5) with 2's and 3's votes. It learns that 2 has "x" and sends "x" on to 3, so
        // "x" is on a majority (1, 2, 3) and the leader knows it.
        net.recover()
        net.partition([[1, 2, 3], [4], [5]])
        net.restart(1)
        for _ in 0..<3 where net[1].raft.role != .leader {
            try net[1].node.campaign()
            for _ in 0..<2 {
                net.collect()
                net.deliver { $0.type == .vote || $0.type == .voteResp }
            }
        }
        #expect(net[1].raft.role == .leader)
        #expect(net[1].raft.term == 3)
        // The probes carry 1's empty entry (index 3) after "x": 2 takes it, 3 lacks "x" and refuses.
        net.collect()
        net.deliver { $0.to == 2 || $0.to == 3 }
        net.collect()
        net.deliver { $0.to == 1 }
        net.collect()
        net.deliver { $0.to == 3 && $0.type == .app && $0.index == 1 }   // "x"
        net.collect()
        net.deliver { $0.to == 1 }
        net.collect()
        _ = net.take { _ in true }   // the empty entry, on its way to 3, is lost
        #expect(net[1].node.status().progress[2]?.match == 3)
        #expect(net[1].node.status().progress[3]?.match == 2)
        #expect(net[3].raft.log.termOrZero(2) == 1)
        #expect(net[3].raft.log.lastIndex == 2)
        // A majority holds "x", but it is of term 1 and 1 leads term 3: not committed.
        #expect(net[1].raft.log.committed == 1)

        // (d) 1 is gone again; 5 restarts and, its last entry (term 2) being newer than "x"
        // (term 1), wins with 3's and 4's votes and overwrites "x" everywhere.
        net.inFlight.removeAll()
        net.recover()
        net.isolate(1)
        net.restart(5)
        for _ in 0..<100 where net.leader != 5 || net[5].raft.term <= 3 {
            net.tickAndStabilize(5)
        }
        try #require(net.leader == 5)
        try net.propose(5, "y")
        net.recover()
        net.tickAndStabilize(5)
        for id: NodeID in [1, 2, 3, 4, 5] {
            #expect(net.storedEntries(id) == net.storedEntries(5))
            #expect(net[id].raft.log.termOrZero(2) == 2)
            // Nobody ever applied "x": it was never committed.
            #expect(!data(net[id]).contains(bytes("x")))
            #expect(data(net[id]) == [bytes("y")])
        }
    }

    @Test func leadershipIsHandedOverAndTheGroupCarriesOn() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "under 1")
        net[1].node.transferLeadership(to: 3)
        net.stabilize()
        #expect(net.leader == 3)
        try net.propose(3, "under 3")
        // The old leader is a follower and forwards.
        try net.propose(1, "via 1")
        for id: NodeID in [1, 2, 3] {
            #expect(data(net[id]) == [bytes("under 1"), bytes("under 3"), bytes("via 1")])
        }
    }

    @Test func minorityPartitionStallsWhileTheMajorityCarriesOn() throws {
        let net = Network(ids: [1, 2, 3, 4, 5]) { $0.checkQuorum = true; $0.preVote = true }
        net.campaign(1)
        net.partition([[1, 2], [3, 4, 5]])
        try net.propose(1, "stalled")
        // The old leader hears from no quorum and steps down; the majority, once its lease on
        // 1 has run out, elects one of its own.
        net.tickAndStabilize(1, times: 2 * 10)
        #expect(net[1].raft.role == .follower)
        for _ in 0..<4 * 10 where ![3, 4, 5].contains(net.leader ?? 0) {
            for id: NodeID in [3, 4, 5] { net.tick(id) }
            net.stabilize()
        }
        let leader = try #require(net.leader)
        #expect([3, 4, 5].contains(leader))
        #expect(net[leader].raft.term == 2)
        try net.propose(3, "progress")
        #expect(data(net[4]) == [bytes("progress")])
        #expect(data(net[1]).isEmpty)
        // Healed: one leader, one log.
        net.recover()
        net.tickAndStabilize(leader)
        #expect(net.members.values.filter { $0.raft.role == .leader }.map(\.raft.id) == [leader])
        for id: NodeID in [1, 2, 3, 4, 5] {
            #expect(data(net[id]) == [bytes("progress")])
        }
    }

    @Test func rollingRestartKeepsEveryCommittedEntry() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        var written: [[UInt8]] = []
        for round in 0..<3 {
            for id: NodeID in [1, 2, 3] {
                let text = "round \(round) before restarting \(id)"
                try net.propose(net.leader ?? 1, text)
                written.append(bytes(text))
                net.restart(id)
                // A restarted leader comes back as a follower; someone times out and leads.
                var ticks = 0
                while net.leader == nil && ticks < 100 {
                    for member in [1, 2, 3] as [NodeID] { net.tick(member) }
                    net.stabilize()
                    ticks += 1
                }
                try #require(net.leader != nil)
            }
        }
        try net.propose(net.leader!, "last")
        written.append(bytes("last"))
        for id: NodeID in [1, 2, 3] {
            #expect(net.storedEntries(id).map(\.data).filter { !$0.isEmpty } == written)
        }
    }

    @Test func crashedFollowerCatchesUpWhenItReturns() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(2)
        for i in 0..<10 { try net.propose(1, "e\(i)") }
        net.restart(2)
        net.recover()
        net.tickAndStabilize(1)
        #expect(data(net[2]) == (0..<10).map { bytes("e\($0)") })
        #expect(net[2].raft.log.committed == net[1].raft.log.committed)
    }
}
