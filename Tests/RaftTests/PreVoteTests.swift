import Testing
@testable import Raft

/// PreVote (§9.6 of the Raft thesis): a member first asks whether it could win, without raising
/// any term, so a member that was cut off cannot disrupt the group when it comes back.
@Suite struct PreVoteTests {
    func withPreVote(_ config: inout Config) {
        config.preVote = true
    }

    func withPreVoteAndCheckQuorum(_ config: inout Config) {
        config.preVote = true
        config.checkQuorum = true
    }

    @Test func preCandidateKeepsItsTermAndVote() throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3], configure: withPreVote)
        r.becomeFollower(term: 3, lead: noNode)
        try r.step(Message(type: .hup, from: 1))
        #expect(r.role == .preCandidate)
        #expect(r.term == 3)
        #expect(r.vote == noNode)
        let msgs = r.takeMessages()
        #expect(msgs.map(\.to) == [2, 3])
        for m in msgs {
            // The request names the term it would campaign in.
            #expect(m.type == .preVote && m.term == 4)
        }
    }

    @Test func preVoteQuorumStartsTheRealElection() throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3], configure: withPreVote)
        try r.step(Message(type: .hup, from: 1))
        try r.step(Message(type: .preVoteResp, to: 1, from: 2, term: 1))
        #expect(r.role == .candidate)
        #expect(r.term == 1)
        #expect(r.takeMessages().of(.vote).count == 2)
    }

    @Test func preVoteRejectionsReturnToFollower() throws {
        let r = makeRaft(id: 1, peers: [1, 2, 3], configure: withPreVote)
        try r.step(Message(type: .hup, from: 1))
        try r.step(Message(type: .preVoteResp, to: 1, from: 2, term: 0, reject: true))
        try r.step(Message(type: .preVoteResp, to: 1, from: 3, term: 0, reject: true))
        #expect(r.role == .follower)
        #expect(r.term == 0)
    }

    @Test func grantingAPreVoteChangesNothingDurable() throws {
        let r = makeRaft(id: 2, peers: [1, 2, 3], configure: withPreVote)
        try r.step(Message(type: .preVote, to: 2, from: 1, term: 1))
        let msgs = r.takeMessages()
        #expect(msgs.count == 1 && msgs[0].type == .preVoteResp && !msgs[0].reject)
        #expect(r.term == 0)
        #expect(r.vote == noNode)
        // 3 can still get 2's real vote.
        try r.step(Message(type: .vote, to: 2, from: 3, term: 1))
        #expect(r.vote == 3)
    }

    @Test func isolatedMemberDoesNotRaiseItsTerm() {
        let net = Network(ids: [1, 2, 3], configure: withPreVote)
        net.campaign(1)
        net.isolate(3)
        net.tickAndStabilize(3, times: 10 * 10)
        #expect(net[3].raft.term == 1)
        #expect(net[3].raft.role == .preCandidate)
        #expect(net[3].storage.hardState.term == 1)
    }

    @Test func rejoiningMemberWithStaleLogDoesNotUnseatTheLeader() throws {
        let net = Network(ids: [1, 2, 3], configure: withPreVote)
        net.campaign(1)
        net.isolate(3)
        try net.propose(1, "while 3 was away")
        net.tickAndStabilize(3, times: 4 * 10)
        net.recover()
        // 3 times out again: its PreVote is refused, as its log is behind.
        net.tickAndStabilize(3, times: 2 * 10)
        #expect(net.leader == 1)
        #expect(net[1].raft.term == 1)
        #expect(net[2].raft.term == 1)
        // The leader's next heartbeat brings 3 back as a follower, and it catches up.
        net.tickAndStabilize(1)
        #expect(net[3].raft.role == .follower)
        #expect(net[3].raft.lead == 1)
        #expect(net[3].raft.log.committed == net[1].raft.log.committed)
    }

    @Test func rejoiningMemberWithCurrentLogDoesNotUnseatTheLeaderUnderCheckQuorum() throws {
        let net = Network(ids: [1, 2, 3], configure: withPreVoteAndCheckQuorum)
        net.campaign(1)
        try net.propose(1, "everyone has this")
        net.isolate(3)
        net.tickAndStabilize(3, times: 4 * 10)
        net.recover()
        // 3's log is as up to date as anyone's, but 1 and 2 heard from a leader within an
        // election timeout: they ignore its PreVote.
        net.tickAndStabilize(3, times: 2 * 10)
        #expect(net.leader == 1)
        #expect(net[1].raft.term == 1)
        #expect(net[2].raft.term == 1)
        #expect(net[3].raft.term == 1)
        net.tickAndStabilize(1)
        #expect(net[3].raft.lead == 1)
        #expect(net[3].raft.role == .follower)
    }

    /// Without PreVote, the same story ends with the rejoining member forcing a new term.
    @Test func withoutPreVoteARejoiningMemberDisruptsTheGroup() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        try net.propose(1, "everyone has this")
        net.isolate(3)
        net.tickAndStabilize(3, times: 4 * 10)
        #expect(net[3].raft.term > 1)
        net.recover()
        net.tickAndStabilize(3, times: 2 * 10)
        #expect(net[1].raft.term > 1)
    }

    @Test func preVoteFromAnOlderTermIsAnsweredWithTheNewerTerm() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        storage.setHardState(HardState(term: 5))
        let r = makeRaft(id: 2, peers: [1, 2, 3], storage: storage, configure: withPreVote)
        try r.step(Message(type: .preVote, to: 2, from: 1, term: 3))
        let msgs = r.takeMessages()
        #expect(msgs == [Message(type: .preVoteResp, to: 1, from: 2, term: 5, reject: true)])
    }
}
