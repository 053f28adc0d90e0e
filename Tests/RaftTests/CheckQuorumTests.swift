import Testing
@testable import Raft

/// CheckQuorum: a leader that hears from no quorum for an election timeout steps down, and a
/// member that heard from its leader within an election timeout ignores vote requests (a lease).
@Suite struct CheckQuorumTests {
    func withCheckQuorum(_ config: inout Config) {
        config.checkQuorum = true
    }

    @Test func isolatedLeaderStepsDownAfterAnElectionTimeout() {
        let net = Network(ids: [1, 2, 3], configure: withCheckQuorum)
        net.campaign(1)
        net.isolate(1)
        net.tickAndStabilize(1, times: 10 - 1)
        #expect(net[1].raft.role == .leader)
        // The first check sees the followers active from the election; the second sees nobody.
        net.tickAndStabilize(1, times: 10 + 1)
        #expect(net[1].raft.role == .follower)
        #expect(net[1].raft.lead == noNode)
        #expect(net[1].raft.term == 1)
    }

    @Test func leaderHearingAQuorumKeepsLeading() {
        let net = Network(ids: [1, 2, 3], configure: withCheckQuorum)
        net.campaign(1)
        // 3 is gone, but 2 answers every heartbeat.
        net.isolate(3)
        net.tickAndStabilize(1, times: 5 * 10)
        #expect(net[1].raft.role == .leader)
        #expect(net[1].raft.term == 1)
    }

    @Test func withoutCheckQuorumAnIsolatedLeaderKeepsLeading() {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        net.isolate(1)
        net.tickAndStabilize(1, times: 5 * 10)
        #expect(net[1].raft.role == .leader)
    }

    @Test func followerInLeaseIgnoresVoteRequests() throws {
        let r = makeRaft(id: 2, peers: [1, 2, 3], configure: withCheckQuorum)
        try r.step(Message(type: .heartbeat, to: 2, from: 1, term: 1))
        _ = r.takeMessages()
        try r.step(Message(type: .vote, to: 2, from: 3, term: 2, logTerm: 1, index: 5))
        #expect(r.term == 1)
        #expect(r.lead == 1)
        #expect(r.takeMessages().isEmpty)
    }

    @Test func voteAfterTheLeaseExpiresIsConsidered() throws {
        // A member whose randomized timeout is longer than the election timeout, so that the
        // lease ends before it campaigns itself.
        let r = try #require((1...UInt64(100)).lazy.map { seed in
            let r = makeRaft(id: 2, peers: [1, 2, 3]) { $0.checkQuorum = true; $0.randomSeed = seed }
            try? r.step(Message(type: .heartbeat, to: 2, from: 1, term: 1))
            return r
        }.first { $0.randomizedElectionTimeout > 10 })
        _ = r.takeMessages()
        r.tick(times: 10)
        #expect(r.role == .follower)
        try r.step(Message(type: .vote, to: 2, from: 3, term: 2, logTerm: 1, index: 5))
        #expect(r.term == 2)
        #expect(r.vote == 3)
    }

    @Test func staleLeaderLearnsTheNewTermFromAFollower() throws {
        // With CheckQuorum, a member answers a stale MsgApp so its sender finds out it is deposed.
        let storage = MemoryStorage(voters: [1, 2, 3])
        storage.setHardState(HardState(term: 2))
        let r = makeRaft(id: 2, peers: [1, 2, 3], storage: storage, configure: withCheckQuorum)
        try r.step(Message(type: .app, to: 2, from: 1, term: 1))
        #expect(r.takeMessages() == [Message(type: .appResp, to: 1, from: 2, term: 2)])

        let leader = makeRaft(id: 1, peers: [1, 2, 3], configure: withCheckQuorum)
        leader.electByHand()
        try leader.step(Message(type: .appResp, to: 1, from: 2, term: 2))
        #expect(leader.role == .follower)
        #expect(leader.term == 2)
    }
}
