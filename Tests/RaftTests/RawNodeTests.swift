import Testing
@testable import Raft

/// RawNode: the Ready / advance cycle and the guard on what peers may step in.
@Suite struct RawNodeTests {
    @Test func readyAdvanceCycle() throws {
        let storage = MemoryStorage(voters: [1])
        let node = try RawNode(config: Config(id: 1), storage: storage)
        #expect(!node.hasReady)
        try node.campaign()
        let rd = node.ready()
        #expect(rd.softState == SoftState(lead: 1, role: .leader))
        // The empty entry is not committed yet: the only voter has not persisted it.
        #expect(rd.hardState == HardState(term: 1, vote: 1, commit: 0))
        #expect(rd.entries == [Entry(term: 1, index: 1)])
        #expect(rd.committedEntries.isEmpty)
        #expect(rd.mustSync)
        // Nothing more until the application has advanced.
        #expect(!node.hasReady)
        storage.append(rd.entries)
        storage.setHardState(rd.hardState!)
        node.advance(rd)
        #expect(node.raft.log.unstableEntries.isEmpty)
        // Persisted, the leader's copy is a quorum of one: the commit is the next Ready's.
        #expect(node.hasReady)
        let committed = node.ready()
        #expect(committed.hardState == HardState(term: 1, vote: 1, commit: 1))
        #expect(committed.entries.isEmpty)
        #expect(committed.committedEntries == [Entry(term: 1, index: 1)])
        #expect(!committed.mustSync)
        storage.setHardState(committed.hardState!)
        node.advance(committed)
        #expect(!node.hasReady)
        #expect(node.basicStatus.applied == 1)
    }

    @Test func commitOnlyChangeNeedsNoSync() throws {
        let node = try RawNode(config: Config(id: 2), storage: makeStorage(voters: [1, 2], terms: [1, 1]))
        try node.step(Message(type: .heartbeat, to: 2, from: 1, term: 1))
        node.advance(node.ready())
        try node.step(Message(type: .heartbeat, to: 2, from: 1, term: 1, commit: 2))
        let rd = node.ready()
        #expect(rd.hardState == HardState(term: 1, vote: noNode, commit: 2))
        #expect(!rd.mustSync)
        #expect(rd.committedEntries.indexes == [1, 2])
    }

    @Test func committedEntriesPerReadyAreBounded() throws {
        var config = Config(id: 2)
        config.maxCommittedSizePerReady = UInt64(2 * Entry().sizeBytes)
        let node = try RawNode(config: config, storage: makeStorage(voters: [1, 2], terms: [1, 1, 1, 1, 1]))
        try node.step(Message(type: .heartbeat, to: 2, from: 1, term: 1, commit: 5))
        var applied: [UInt64] = []
        while node.hasReady {
            let rd = node.ready()
            #expect(rd.committedEntries.count <= 2)
            applied += rd.committedEntries.indexes
            node.advance(rd)
        }
        #expect(applied == [1, 2, 3, 4, 5])
    }

    @Test func restartSkipsEntriesAlreadyApplied() throws {
        let storage = makeStorage(voters: [1, 2], terms: [1, 1, 1])
        storage.setHardState(HardState(term: 1, commit: 3))
        var config = Config(id: 1)
        config.applied = 2
        let node = try RawNode(config: config, storage: storage)
        #expect(node.ready().committedEntries.indexes == [3])
    }

    @Test func localMessagesFromPeersAreRefused() throws {
        let node = try RawNode(config: Config(id: 1), storage: MemoryStorage(voters: [1, 2]))
        for type in MessageType.allCases where type.isLocal {
            #expect(throws: RaftError.localMessageFromPeer(type)) {
                try node.step(Message(type: type, to: 1, from: 2, term: 1))
            }
        }
        #expect(node.raft.term == 0)
    }

    @Test func leaderRefusesResponsesFromUnknownMembers() throws {
        let node = try RawNode(config: Config(id: 1), storage: MemoryStorage(voters: [1]))
        try node.campaign()
        #expect(throws: RaftError.peerNotFound(7)) {
            try node.step(Message(type: .appResp, to: 1, from: 7, term: 1, index: 1))
        }
    }
}
