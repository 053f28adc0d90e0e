import Testing
@testable import Raft

/// ConfChange's encoding in a `.confChange` entry, and its refusal of malformed bytes.
@Suite struct ConfChangeCodecTests {
    @Test(arguments: [
        ConfChange(kind: .addNode, nodeID: 1),
        ConfChange(kind: .removeNode, nodeID: 0x0102_0304_0506_0708, context: [1, 2, 3]),
        ConfChange(kind: .addNode, nodeID: .max, context: Array("http://10.0.0.1:2380".utf8)),
        ConfChange(kind: .updateNode, nodeID: 3, context: [4]),
        ConfChange(kind: .addLearnerNode, nodeID: 4),
    ])
    func roundTrip(change: ConfChange) throws {
        #expect(try ConfChange(decoding: change.encoded()) == change)
    }

    @Test func layoutIsVersionKindLittleEndianIDLengthPrefixedContext() {
        let bytes = ConfChange(kind: .removeNode, nodeID: 0x0102, context: [9]).encoded()
        #expect(bytes == [1, 1, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9])
    }

    @Test func tooShort() throws {
        let bytes = Array(ConfChange(kind: .addNode, nodeID: 5).encoded().prefix(9))
        #expect(throws: RaftError.malformedConfChange("at byte 2: needs 8 bytes, 7 left")) {
            try ConfChange(decoding: bytes)
        }
        #expect(throws: RaftError.self) { try ConfChange(decoding: []) }
    }

    @Test func unknownVersion() throws {
        var bytes = ConfChange(kind: .addNode, nodeID: 5).encoded()
        bytes[0] = 2
        #expect(throws: RaftError.malformedConfChange("at byte 1: unknown encoding version 2")) {
            try ConfChange(decoding: bytes)
        }
    }

    @Test func unknownKind() throws {
        var bytes = ConfChange(kind: .addNode, nodeID: 5).encoded()
        bytes[1] = 7
        #expect(throws: RaftError.malformedConfChange("at byte 2: unknown change kind 7")) {
            try ConfChange(decoding: bytes)
        }
    }

    @Test func contextLongerThanTheBytesLeft() throws {
        var bytes = ConfChange(kind: .addNode, nodeID: 5, context: [1, 2]).encoded()
        bytes.removeLast()
        #expect(throws: RaftError.malformedConfChange("at byte 10: length 2 exceeds the 1 bytes left")) {
            try ConfChange(decoding: bytes)
        }
    }

    @Test func trailingBytes() throws {
        let bytes = ConfChange(kind: .addNode, nodeID: 5).encoded() + [0]
        #expect(throws: RaftError.malformedConfChange("at byte 14: 1 unexpected trailing bytes")) {
            try ConfChange(decoding: bytes)
        }
    }

    @Test func nodeZero() throws {
        let bytes: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: RaftError.malformedConfChange("at byte 10: node id 0")) {
            try ConfChange(decoding: bytes)
        }
    }
}

extension ConfChangeCodecTests {
    /// etcd's raftpb numbering: AddNode 0, RemoveNode 1, UpdateNode 2, AddLearnerNode 3.
    @Test func kindsKeepEtcdsNumbers() {
        #expect([ConfChange.Kind.addNode, .removeNode, .updateNode, .addLearnerNode].map(\.rawValue) == [0, 1, 2, 3])
    }
}
