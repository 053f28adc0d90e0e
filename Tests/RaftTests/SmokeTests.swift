import ByteCoding
import Testing
@testable import Raft

@Suite struct SmokeTests {
    @Test func threeMembersElectAndReplicate() throws {
        let net = Network(ids: [1, 2, 3])
        net.campaign(1)
        #expect(net[1].raft.role == .leader)
        try net.propose(1, "hello")
        for id: NodeID in [1, 2, 3] {
            #expect(net[id].raft.log.committed == 2)
            #expect(net[id].applied.last?.data == Array("hello".utf8))
        }
    }
}

@Suite struct ByteCodecTests {
    @Test func roundTripsEveryKind() throws {
        var out = ByteWriter()
        out.uint8(7)
        out.bool(true)
        out.uint64(.max)
        out.int64(-5)
        out.lengthPrefixed(Array("key".utf8))
        var input = ByteReader(out.buffer)
        #expect(try input.uint8() == 7)
        #expect(try input.bool())
        #expect(try input.uint64() == .max)
        #expect(try input.int64() == -5)
        #expect(try input.lengthPrefixed() == Array("key".utf8))
        try input.expectEnd()
    }

    @Test func truncationAndBadLengthsNameTheOffset() {
        var input = ByteReader([1, 2, 3])
        #expect(throws: DecodingError(offset: 0, reason: "needs 8 bytes, 3 left")) { try input.uint64() }
        var lying = ByteReader([200, 0, 0, 0, 1])
        #expect(throws: DecodingError(offset: 0, reason: "length 200 exceeds the 1 bytes left")) { try lying.lengthPrefixed() }
        var notBool = ByteReader([2])
        #expect(throws: DecodingError(offset: 0, reason: "boolean byte 2")) { try notBool.bool() }
    }

    @Test func confChangeRoundTripAndMalformedInput() throws {
        let change = ConfChange(kind: .removeNode, nodeID: 9, context: [1, 2])
        #expect(try ConfChange(decoding: change.encoded()) == change)
        #expect(throws: RaftError.self) { try ConfChange(decoding: [1, 7]) }
        var badKind = change.encoded()
        badKind[1] = 9
        #expect(throws: RaftError.malformedConfChange("at byte 2: unknown change kind 9")) { try ConfChange(decoding: badKind) }
    }
}

@Suite struct CoreEdgeTests {
    @Test func snapshotAtACompactedIndexIsAnError() throws {
        let storage = MemoryStorage(voters: [1])
        storage.append((1...10).map { Entry(term: 1, index: $0) })
        try storage.compact(upTo: 8)
        #expect(throws: RaftError.compacted) { try storage.createSnapshot(at: 5, confState: nil, data: []) }
        #expect(try storage.createSnapshot(at: 9, confState: nil, data: []).metadata.index == 9)
    }

    @Test func responsesFromUnknownMembersAreRefusedInAnyRole() throws {
        let node = try RawNode(config: Config(id: 1), storage: MemoryStorage(voters: [1, 2, 3]))
        #expect(throws: RaftError.peerNotFound(9)) {
            try node.step(Message(type: .appResp, to: 1, from: 9, term: 1))
        }
        try node.step(Message(type: .heartbeat, to: 1, from: 2, term: 1))
        #expect(node.status().lead == 2)
    }

    @Test func persistedCommitBelowTheSnapshotIsTolerated() throws {
        let storage = MemoryStorage()
        try storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 10, term: 2, confState: ConfState(voters: [1]))))
        storage.setHardState(HardState(term: 2, vote: 1, commit: 4))
        let node = try RawNode(config: Config(id: 1), storage: storage)
        #expect(node.status().commit == 10)
    }
}
