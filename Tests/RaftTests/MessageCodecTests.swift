import ByteCoding
import Testing
@testable import Raft

@Suite struct MessageCodecTests {
    @Test func everyFieldRoundTrips() throws {
        let message = Message(
            type: .snap, to: 2, from: 1, term: 7, logTerm: 6, index: 40,
            entries: [Entry(term: 6, index: 41, data: [9, 9]), Entry(term: 7, index: 42, type: .confChange, data: [])],
            commit: 39, snapshot: Snapshot(metadata: SnapshotMetadata(index: 30, term: 5, confState: ConfState(voters: [3, 1, 2])), data: [1, 2, 3]),
            reject: true, rejectHint: 12, context: Array("ctx".utf8))
        #expect(try Message(decoding: message.encoded()) == message)
        for type in MessageType.allCases {
            let plain = Message(type: type, to: 1, from: 2, term: 3)
            #expect(try Message(decoding: plain.encoded()) == plain)
        }
    }

    @Test func damageIsAnErrorThatNamesTheOffset() {
        var bytes = Message(type: .app, to: 2, from: 1, entries: [Entry(term: 1, index: 1, data: [1])]).encoded()
        #expect(throws: DecodingError(offset: 0, reason: "unknown message version 9")) { try Message(decoding: [9] + bytes.dropFirst()) }
        bytes[1] = 200
        #expect(throws: DecodingError(offset: 1, reason: "unknown message type 200")) { try Message(decoding: bytes) }
        #expect(throws: DecodingError.self) { try Message(decoding: []) }
    }

    @Test func aHugeCountIsRefusedBeforeAnyAllocation() {
        var bytes = Message(type: .app, to: 2, from: 1).encoded()
        // The entry count sits after the header fields and the empty context.
        let countOffset = 1 + 1 + 6 * 8 + 1 + 8 + 4
        for i in 0..<8 { bytes[countOffset + i] = 0xff }
        #expect(throws: DecodingError.self) { try Message(decoding: bytes) }
        for i in 0..<8 { bytes[countOffset + i] = 0 }
        bytes[countOffset + 2] = 1
        #expect(throws: DecodingError.self) { try Message(decoding: bytes) }
    }

    @Test func aSnapshotsLearnersRoundTripAndTheEncodingBeforeLearnersStillDecodes() throws {
        let confState = ConfState(voters: [1, 2, 3], learners: [5, 4])
        let message = Message(type: .snap, to: 4, from: 1, term: 2,
                              snapshot: Snapshot(metadata: SnapshotMetadata(index: 9, term: 2, confState: confState), data: [7]))
        let decoded = try Message(decoding: message.encoded())
        #expect(decoded.snapshot?.metadata.confState.learners == [4, 5])
        #expect(decoded == message)
        // Version 1 had no learner count: the same bytes without it, under version 1.
        var old = message.encoded()
        old[0] = 1
        let learnersOffset = old.count - (4 + 1) - 8 * 3
        old.removeSubrange(learnersOffset..<(learnersOffset + 8 * 3))
        var expected = message
        expected.snapshot?.metadata.confState = ConfState(voters: [1, 2, 3])
        #expect(try Message(decoding: old) == expected)
    }

    @Test func aHugeLearnerCountIsRefused() {
        let message = Message(type: .snap, to: 4, from: 1, term: 2,
                              snapshot: Snapshot(metadata: SnapshotMetadata(index: 9, term: 2, confState: ConfState(voters: [1])), data: []))
        var bytes = message.encoded()
        let countOffset = bytes.count - 4 - 8
        for i in 0..<8 { bytes[countOffset + i] = 0xff }
        #expect(throws: DecodingError.self) { try Message(decoding: bytes) }
    }
}
