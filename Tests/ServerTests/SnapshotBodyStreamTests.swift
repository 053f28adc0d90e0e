import Crypto
import MVCC
import Raft
import Testing
@testable import Server

/// `etcdctl snapshot save`'s body, streamed piece by piece, is the body made whole.
@Suite struct SnapshotBodyStreamTests {
    @Test(arguments: [1, 100, 4096, 1 << 20])
    func theStreamedBodyIsTheWholeOneAndSoIsItsDigest(pieceBytes: Int) throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        let outcome = Outcome()
        for i in 0..<300 {
            group[lead].propose(.put(PutRequest(key: bytes("key-\(i)"), value: Array(repeating: UInt8(i % 251), count: i))),
                                completion: outcome.completion)
        }
        try group.settle()
        let member = group[lead]
        let hold = try member.holdWholeStateRead()
        let whole = SnapshotFile.body(state: member.appliedState(holding: hold))
        let writer = member.applier.withLock { $0.snapshotWriter() }()
        var stream = SnapshotBodyStream(writer, pieceBytes: pieceBytes)
        #expect(stream.bodyBytes == whole.count)
        var streamed: [UInt8] = []
        var pieces = 0
        while let piece = stream.next() {
            #expect(!piece.isEmpty)
            streamed += piece
            pieces += 1
        }
        #expect(streamed == whole)
        #expect(stream.digest == SnapshotFile.digest(whole))
        #expect(stream.next() == nil)
        if pieceBytes < 4096 { #expect(pieces > 10, "\(pieces) pieces of about \(pieceBytes) bytes") }
        // The file made of the streamed body and its digest restores.
        let contents = try SnapshotFile.decode(streamed + stream.digest)
        #expect(contents.keyCount == 300)
    }
}
