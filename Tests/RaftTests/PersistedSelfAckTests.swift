import Testing
@testable import Raft

/// The leader's own copy of an entry counts toward its quorum only once the application has
/// persisted it and called `advance` (etcd-io/raft's self-directed MsgAppResp): until then only
/// the followers' acknowledgements count, and a quorum of them commits without the leader.
@Suite struct PersistedSelfAckTests {
    @Test func singleMemberCommitsAProposalOnlyAfterAdvancingItsWrite() throws {
        let storage = MemoryStorage(voters: [1])
        let node = try RawNode(config: Config(id: 1), storage: storage)
        try node.campaign()
        persistAndAdvance(node, storage)
        persistAndAdvance(node, storage)
        #expect(node.basicStatus.commit == 1)

        try node.propose(bytes("x"))
        let rd = node.ready()
        #expect(rd.entries.map(\.data) == [bytes("x")])
        #expect(rd.committedEntries.isEmpty)
        #expect(rd.hardState == nil)
        #expect(node.basicStatus.commit == 1)
        storage.append(rd.entries)
        node.advance(rd)
        #expect(node.basicStatus.commit == 2)
        #expect(node.hasReady)
        let next = node.ready()
        #expect(next.committedEntries.map(\.data) == [bytes("x")])
        #expect(next.hardState?.commit == 2)
        node.advance(next)
    }

    @Test func oneFollowerAndTheUnpersistedLeaderDoNotCommit() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.electByHand()
        try r.commitNoopEntry(storage: storage)
        try r.step(Message(type: .prop, from: 1, entries: [Entry(data: bytes("x"))]))
        let appendsTo2 = r.takeMessages().filter { $0.to == 2 && $0.type == .app }
        for m in appendsTo2 { try r.step(acceptAndReply(m)) }
        #expect(r.progress[2]?.match == 2)
        #expect(r.progress[1]?.match == 1)
        #expect(r.log.committed == 1)
        // The leader's write is done: its copy and 2's are a quorum.
        r.persist(into: storage)
        #expect(r.progress[1]?.match == 2)
        #expect(r.log.committed == 2)
    }

    @Test func aQuorumOfFollowersCommitsWhileTheLeaderStillWrites() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let r = makeRaft(id: 1, peers: [1, 2, 3], storage: storage)
        r.electByHand()
        _ = r.takeMessages()
        r.broadcastAppend()
        for m in r.takeMessages() where m.type == .app { try r.step(acceptAndReply(m)) }
        // As in etcd-io/raft, the quorum is any majority of match indexes: 2 and 3 hold the
        // empty entry durably, the leader's own write of it may still be in flight.
        #expect(r.log.committed == 1)
        #expect(r.log.unstableEntries == [Entry(term: 1, index: 1)])
        #expect(r.progress[1]?.match == 0)
    }

    @Test func anAcknowledgementFromAnEarlierTermCountsForNothing() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        let node = try RawNode(config: Config(id: 1), storage: storage)
        try node.campaign()
        try node.step(Message(type: .voteResp, to: 1, from: 2, term: 1))
        try node.propose(batch: [bytes("a"), bytes("b")])
        // The Ready carries entries 1 to 3 of term 1; before its write is done, 2 leads term 2
        // and replaces 2 and 3 with one entry of its own, and 1 wins term 3 with that log.
        let rd = node.ready()
        #expect(rd.entries.map(\.index) == [1, 2, 3])
        try node.step(Message(type: .app, to: 1, from: 2, term: 2, logTerm: 1, index: 1,
                              entries: [Entry(term: 2, index: 2)]))
        try node.campaign()
        try node.step(Message(type: .voteResp, to: 1, from: 2, term: 3))
        #expect(node.basicStatus.role == .leader)
        #expect(node.raft.log.lastIndex == 3)
        #expect(node.raft.log.termOrZero(3) == 3)
        // The write of term 1's entries finishes: its acknowledgement (index 3, term 1) must not
        // count for the new index 3 of term 3, which is not written yet.
        storage.append(rd.entries)
        node.advance(rd)
        #expect(node.status().progress[1]?.match == 2)
        try node.step(Message(type: .appResp, to: 1, from: 2, term: 3, index: 3))
        #expect(node.basicStatus.commit == 0)
        let next = node.ready()
        storage.append(next.entries)
        node.advance(next)
        #expect(node.basicStatus.commit == 3)
    }

    @Test func theCheckersMutationCountsTheLeaderAsItAppends() throws {
        var config = Config(id: 1)
        config.countsUnpersistedSelfAck = true
        let node = try RawNode(config: config, storage: MemoryStorage(voters: [1]))
        try node.campaign()
        let rd = node.ready()
        #expect(rd.entries == [Entry(term: 1, index: 1)])
        #expect(rd.committedEntries == [Entry(term: 1, index: 1)])
    }

    private func persistAndAdvance(_ node: RawNode, _ storage: MemoryStorage) {
        let rd = node.ready()
        storage.append(rd.entries)
        if let hardState = rd.hardState { storage.setHardState(hardState) }
        node.advance(rd)
    }
}
