import Foundation
import Raft
@testable import Server
import Testing

/// The leader's snapshot for a follower is read from disk off the raft lock: the first ask
/// starts the read and gets nothing, a later ask takes the bytes once read.
@Suite struct SnapshotReadBackTests {
    /// Asks until the bytes come, for up to 10 s.
    func poll(_ readBack: SnapshotReadBack, _ metadata: SnapshotMetadata) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let data = readBack.data(for: metadata) { return data }
            usleep(1_000)
        }
        return nil
    }

    @Test func theFirstAskStartsTheReadAndALaterOneTakesTheBytes() throws {
        let persistence = MemoryPersistence()
        let saved = SnapshotMetadata(index: 7, term: 2)
        try persistence.saveSnapshot(Snapshot(metadata: saved, data: [1, 2, 3]))
        let readBack = SnapshotReadBack(persistence: persistence, inBackground: true)
        #expect(readBack.data(for: saved) == nil, "the first ask must not read under the caller's lock")
        #expect(poll(readBack, saved) == [1, 2, 3])
        #expect(!readBack.isHolding, "bytes handed over are not kept")
        // Asked again, it reads again.
        #expect(readBack.data(for: saved) == nil)
        #expect(poll(readBack, saved) == [1, 2, 3])
    }

    @Test func aPositionThatIsNotSavedGivesNothingAndHoldsNothing() throws {
        let persistence = MemoryPersistence()
        try persistence.saveSnapshot(Snapshot(metadata: SnapshotMetadata(index: 7, term: 2), data: [1]))
        let readBack = SnapshotReadBack(persistence: persistence, inBackground: true)
        let replaced = SnapshotMetadata(index: 5, term: 2)
        #expect(readBack.data(for: replaced) == nil)
        let deadline = Date().addingTimeInterval(10)
        while readBack.isHolding && Date() < deadline { usleep(1_000) }
        #expect(!readBack.isHolding)
        #expect(readBack.data(for: replaced) == nil)
    }

    @Test func inSimulatedTimeTheReadIsImmediate() throws {
        let persistence = MemoryPersistence()
        let saved = SnapshotMetadata(index: 7, term: 2)
        try persistence.saveSnapshot(Snapshot(metadata: saved, data: [4, 5]))
        let readBack = SnapshotReadBack(persistence: persistence, inBackground: false)
        #expect(readBack.data(for: saved) == [4, 5])
        #expect(!readBack.isHolding)
    }
}
