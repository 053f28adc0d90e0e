import MVCC
import Raft
import Testing
@testable import Server

@Suite struct SnapshotFileTests {
    func file(keys: Int = 5) throws -> [UInt8] {
        let store = MVCCStore()
        for i in 0..<keys { _ = try store.put(PutRequest(key: bytes("k\(i)"), value: bytes("v\(i)"))) }
        store.setConsistentIndex(77)
        let body = SnapshotFile.body(state: AppliedSnapshot(store: store.snapshotData(), auth: AuthState(), leases: LeaseTable()).encoded())
        return body + SnapshotFile.digest(body)
    }

    @Test func aWholeFileDecodesToItsState() throws {
        let contents = try SnapshotFile.decode(try file())
        #expect(contents.keyCount == 5)
        #expect(contents.revision == 6)
        #expect(contents.consistentIndex == 77)
        let snapshot = contents.raftSnapshot(voters: [1, 2, 3])
        #expect(snapshot.metadata.index == 77 && snapshot.metadata.term == 1)
        #expect(snapshot.metadata.confState.voters == [1, 2, 3])
        #expect((try file()).count % 512 == 32, "etcdctl's hasChecksum: whole 512-byte blocks and a sha256")
    }

    @Test func everyDamageIsNamed() throws {
        let good = try file()
        #expect(throws: SnapshotFileError.tooShort(bytes: 100)) { try SnapshotFile.decode(Array(good.prefix(100))) }
        let large = try file(keys: 60)
        #expect(large.count > 1024)
        #expect(throws: SnapshotFileError.notWholeBlocks(bytes: large.count - 1)) { try SnapshotFile.decode(Array(large.dropLast())) }
        var flipped = good
        flipped[20] ^= 1
        #expect {
            try SnapshotFile.decode(flipped)
        } throws: { error in
            guard case .checksumMismatch = error as? SnapshotFileError else { return false }
            return "\(error)".contains("sha256 mismatch")
        }
        // Bodies whose sha256 holds but whose contents are wrong.
        func sealed(_ body: [UInt8]) -> [UInt8] { body + SnapshotFile.digest(body) }
        var notOurs = Array(good.prefix(good.count - 32))
        notOurs[0] = 0x53
        #expect(throws: SnapshotFileError.notASnapshot) { try SnapshotFile.decode(sealed(notOurs)) }
        var longer = Array(good.prefix(good.count - 32))
        longer[8] = 0xff
        #expect {
            try SnapshotFile.decode(sealed(longer))
        } throws: { error in
            if case .badLength = error as? SnapshotFileError { return true } else { return false }
        }
        var garbled = Array(good.prefix(good.count - 32))
        garbled[16] ^= 0xff
        #expect {
            try SnapshotFile.decode(sealed(garbled))
        } throws: { error in
            if case .corruptState = error as? SnapshotFileError { return true } else { return false }
        }
        var padded = Array(good.prefix(good.count - 32))
        padded[padded.count - 1] = 1
        #expect(throws: SnapshotFileError.badPadding) { try SnapshotFile.decode(sealed(padded)) }
    }
}
