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
}
