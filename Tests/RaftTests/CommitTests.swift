import Testing
@testable import Raft

/// Commitment: a quorum of match indexes, only for entries of the leader's own term; a new
/// leader's empty entry; and heartbeats that never tell a follower to commit what it lacks.
@Suite struct CommitTests {
    @Test func newLeaderAppendsAndCommitsAnEmptyEntry() {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        for id: NodeID in [1, 2, 3] {
            let last = net.storedEntries(id).last
            #expect(last == Entry(term: 1, index: 1, type: .normal, data: []))
            #expect(net[id].raft.log.committed == 1)
        }
    }

    @Test func entriesOfAnEarlierTermCommitOnlyWithOneOfTheLeadersTerm() throws {
        // 1 leads term 2 with an entry of term 1 that only it and 2 hold.
        let storage1 = makeStorage(voters: [1, 2, 3], terms: [1])
        storage1.setHardState(HardState(term: 1))
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage1)
        r.electByHand()
        #expect(r.term == 2)
        _ = r.takeMessages()
        r.persist(into: storage1)
        // A quorum holds index 1 (term 1): not enough to commit it.
        try r.step(Message(type: .appResp, to: 1, from: 2, term: 2, index: 1))
        #expect(r.log.committed == 0)
        // A quorum holds index 2 (term 2, the empty entry): it and everything before commit.
        try r.step(Message(type: .appResp, to: 1, from: 2, term: 2, index: 2))
        #expect(r.log.committed == 2)
    }

    @Test func commitIsTheQuorumOfMatchIndexes() throws {
        let peers: [NodeID] = [1, 2, 3, 4, 5]
        let storage = MemoryStorage(voters: peers)
        let r = makeRaft(id: 1, peers: peers, storage: storage)
        r.electByHand()
        try r.commitNoopEntry(storage: storage)
        for i in 0..<4 {
            try r.step(Message(type: .prop, from: 1, entries: [Entry(data: [UInt8(i)])]))
        }
        _ = r.takeMessages()
        r.persist(into: storage)
        // Matches: leader 5, follower 2 at 5, 3 at 3, 4 at 2, 5 at 1: the third highest is 3.
        for (peer, index) in [(NodeID(2), UInt64(5)), (3, 3), (4, 2)] {
            try r.step(Message(type: .appResp, to: 1, from: peer, term: 1, index: index))
        }
        #expect(r.log.committed == 3)
        try r.step(Message(type: .appResp, to: 1, from: 4, term: 1, index: 4))
        #expect(r.log.committed == 4)
    }

    @Test func heartbeatCarriesCommitBoundedByTheFollowersMatch() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.electByHand()
        try r.commitNoopEntry(storage: storage)
        try r.step(Message(type: .prop, from: 1, entries: [Entry(data: bytes("x"))]))
        r.persist(into: storage)
        for m in r.takeMessages() where m.to == 2 {
            try r.step(acceptAndReply(m))
        }
        #expect(r.log.committed == 2)
        _ = r.takeMessages()
        r.tick()
        let heartbeats = r.takeMessages().of(.heartbeat)
        #expect(heartbeats.map(\.to) == [2, 3])
        #expect(heartbeats.first { $0.to == 2 }?.commit == 2)
        // 3 has acknowledged only index 1.
        #expect(heartbeats.first { $0.to == 3 }?.commit == 1)
    }

    @Test func followerCommitsWhatAHeartbeatSays() throws {
        let r = makeRaft(id: 2, peers: [1, 2, 3], storage: makeStorage(voters: [1, 2, 3], terms: [1, 1, 1]))
        try r.step(Message(type: .heartbeat, to: 2, from: 1, term: 1, commit: 2))
        #expect(r.log.committed == 2)
        #expect(r.takeMessages() == [Message(type: .heartbeatResp, to: 1, from: 2, term: 1)])
        // A lower commit never moves it back.
        try r.step(Message(type: .heartbeat, to: 2, from: 1, term: 1, commit: 1))
        #expect(r.log.committed == 2)
    }

    @Test func followerCommitIsBoundedByWhatTheLeaderSent() throws {
        let r = makeRaft(id: 2, peers: [1, 2, 3], storage: makeStorage(voters: [1, 2, 3], terms: [1, 1, 1, 1]))
        r.becomeFollower(term: 2, lead: 1)
        // The leader's log matches ours only up to index 2 as far as this message shows.
        try r.step(Message(type: .app, to: 2, from: 1, term: 2, logTerm: 1, index: 2, commit: 4))
        #expect(r.log.committed == 2)
    }

    /// A group of one commits an entry as soon as its only member has persisted it (the
    /// network's members persist and advance every Ready).
    @Test func singleMemberCommitsOnceItHasPersisted() throws {
        let net = Network(ids: [1])
        net.campaign(1)
        try net.propose(1, "x")
        #expect(net[1].raft.log.committed == 2)
        #expect(net[1].applied.last?.data == bytes("x"))
    }

    @Test func minorityCannotCommit() throws {
        let net = Network(ids: [1, 2, 3, 4, 5])
        net.campaign(1)
        net.isolate(3)
        net.isolate(4)
        net.isolate(5)
        try net.propose(1, "x")
        #expect(net[1].raft.log.lastIndex == 2)
        #expect(net[1].raft.log.committed == 1)
        net.recover()
        net.tickAndStabilize(1)
        #expect(net[1].raft.log.committed == 2)
        #expect(net[5].applied.last?.data == bytes("x"))
    }

    @Test func committedEntriesAreAppliedOnceInOrder() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        for i in 0..<20 { try net.propose(NodeID(i % 3 + 1), "e\(i)") }
        for id: NodeID in [1, 2, 3] {
            #expect(net[id].applied.map(\.index) == Array(1...21))
            #expect(net[id].applied.dropFirst().map(\.data) == (0..<20).map { bytes("e\($0)") })
        }
    }
}
