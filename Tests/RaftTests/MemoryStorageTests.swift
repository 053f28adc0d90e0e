import Synchronization
import Testing
@testable import Raft

/// MemoryStorage: the persisted log as Raft reads it, with a dummy entry standing for the snapshot.
@Suite struct MemoryStorageTests {
    /// A storage whose snapshot sits at index 3 (term 3) and holds entries 4 and 5.
    func compactedStorage() throws -> MemoryStorage {
        let storage = MemoryStorage(voters: [1, 2, 3])
        storage.append(entries(terms: [1, 2, 3, 4, 5]))
        try storage.compact(upTo: 3)
        return storage
    }

    @Test func emptyStorageHasOnlyTheDummy() throws {
        let storage = MemoryStorage()
        #expect(storage.firstIndex() == 1)
        #expect(storage.lastIndex() == 0)
        #expect(try storage.term(0) == 0)
        #expect(throws: RaftError.unavailable) { try storage.term(1) }
        #expect(throws: RaftError.compacted) { try storage.entries(0, 1, maxSizeBytes: .max) }
        #expect(try storage.snapshot().isEmpty)
    }

    @Test func initialStateReportsVotersAndHardState() {
        let storage = MemoryStorage(voters: [3, 1, 2, 1])
        storage.setHardState(HardState(term: 4, vote: 2, commit: 0))
        let (hard, conf) = storage.initialState()
        #expect(hard == HardState(term: 4, vote: 2, commit: 0))
        #expect(conf.voters == [1, 2, 3])
    }

    @Test func termAcrossCompaction() throws {
        let storage = try compactedStorage()
        #expect(throws: RaftError.compacted) { try storage.term(2) }
        #expect(try storage.term(3) == 3)
        #expect(try storage.term(4) == 4)
        #expect(try storage.term(5) == 5)
        #expect(throws: RaftError.unavailable) { try storage.term(6) }
    }

    @Test func entriesRespectBoundsAndSize() throws {
        let storage = try compactedStorage()
        storage.append(entries(terms: [6], from: 6))
        #expect(throws: RaftError.compacted) { try storage.entries(2, 6, maxSizeBytes: .max) }
        #expect(throws: RaftError.compacted) { try storage.entries(3, 6, maxSizeBytes: .max) }
        #expect(try storage.entries(4, 5, maxSizeBytes: .max).indexes == [4])
        #expect(try storage.entries(4, 7, maxSizeBytes: .max).indexes == [4, 5, 6])
        let one = UInt64(Entry().sizeBytes)
        // At least one entry even when the limit is smaller than it.
        #expect(try storage.entries(4, 7, maxSizeBytes: 0).indexes == [4])
        #expect(try storage.entries(4, 7, maxSizeBytes: one).indexes == [4])
        #expect(try storage.entries(4, 7, maxSizeBytes: 2 * one).indexes == [4, 5])
        #expect(try storage.entries(4, 7, maxSizeBytes: 3 * one - 1).indexes == [4, 5])
        #expect(try storage.entries(4, 7, maxSizeBytes: 3 * one).indexes == [4, 5, 6])
    }

    @Test func firstAndLastIndex() throws {
        let storage = try compactedStorage()
        #expect(storage.firstIndex() == 4)
        #expect(storage.lastIndex() == 5)
        storage.append(entries(terms: [5], from: 6))
        #expect(storage.lastIndex() == 6)
    }

    @Test func compactKeepsTheEntryAtTheIndexAsDummy() throws {
        let storage = try compactedStorage()
        #expect(throws: RaftError.compacted) { try storage.compact(upTo: 2) }
        #expect(throws: RaftError.compacted) { try storage.compact(upTo: 3) }
        try storage.compact(upTo: 4)
        #expect(storage.firstIndex() == 5)
        #expect(try storage.term(4) == 4)
        #expect(try storage.entries(5, 6, maxSizeBytes: .max).terms == [5])
        try storage.compact(upTo: 5)
        #expect(storage.firstIndex() == 6)
        #expect(storage.lastIndex() == 5)
    }

    @Test func appendOverwritesConflictsAndSkipsCompacted() throws {
        // (entries appended, terms held afterwards from index 4)
        let cases: [([Entry], [UInt64])] = [
            (entries(terms: [3, 4, 5], from: 3), [4, 5]),
            (entries(terms: [3, 4, 6], from: 3), [4, 6]),
            (entries(terms: [3, 4, 5, 5], from: 3), [4, 5, 5]),
            // Entries entirely before the first index are ignored.
            (entries(terms: [1, 2], from: 1), [4, 5]),
            // Overlapping the compacted prefix: only the part after it counts.
            (entries(terms: [2, 3, 6, 6], from: 2), [6, 6]),
            (entries(terms: [6], from: 4), [6]),
            (entries(terms: [6], from: 5), [4, 6]),
            (entries(terms: [5], from: 6), [4, 5, 5]),
        ]
        for (appended, want) in cases {
            let storage = try compactedStorage()
            storage.append(appended)
            let got = try storage.entries(4, storage.lastIndex() + 1, maxSizeBytes: .max)
            #expect(got.terms == want, "appending \(appended.indexes) at terms \(appended.terms)")
            #expect(got.indexes == Array(4..<UInt64(4 + want.count)))
        }
    }

    @Test func createSnapshotRecordsTermAndConfiguration() throws {
        let storage = MemoryStorage(voters: [1, 2, 3])
        storage.append(entries(terms: [1, 2, 3, 4, 5]))
        let conf = ConfState(voters: [1, 2])
        let snap = try storage.createSnapshot(at: 4, confState: conf, data: [7])
        #expect(snap.metadata.index == 4)
        #expect(snap.metadata.term == 4)
        #expect(snap.metadata.confState == conf)
        #expect(snap.data == [7])
        #expect(try storage.snapshot() == snap)
        // Creating a snapshot does not drop entries.
        #expect(storage.firstIndex() == 1)
        #expect(throws: RaftError.snapshotOutOfDate) { try storage.createSnapshot(at: 4, confState: nil, data: []) }
        #expect(throws: RaftError.snapshotOutOfDate) { try storage.createSnapshot(at: 3, confState: nil, data: []) }
        // Without a new configuration the old one is kept.
        let later = try storage.createSnapshot(at: 5, confState: nil, data: [])
        #expect(later.metadata.confState == conf)
        #expect(later.metadata.term == 5)
    }

    @Test func applySnapshotReplacesEverything() throws {
        let storage = MemoryStorage(voters: [1])
        storage.append(entries(terms: [1, 1, 1]))
        let snap = Snapshot(metadata: SnapshotMetadata(index: 10, term: 4, confState: ConfState(voters: [1, 2])), data: [9])
        try storage.applySnapshot(snap)
        #expect(storage.firstIndex() == 11)
        #expect(storage.lastIndex() == 10)
        #expect(try storage.term(10) == 4)
        #expect(storage.initialState().1.voters == [1, 2])
        #expect(try storage.snapshot() == snap)
        let older = Snapshot(metadata: SnapshotMetadata(index: 9, term: 4))
        #expect(throws: RaftError.snapshotOutOfDate) { try storage.applySnapshot(older) }
        #expect(throws: RaftError.snapshotOutOfDate) { try storage.applySnapshot(snap) }
        // Entries after the snapshot append normally.
        storage.append(entries(terms: [4, 5], from: 11))
        #expect(storage.lastIndex() == 12)
    }

    @Test func aStorageThatLoadsItsSnapshotDataKeepsOnlyTheMetadata() throws {
        let disk = SavedSnapshots()
        let storage = MemoryStorage(loadingSnapshotData: { disk.data(for: $0) })
        storage.append(entries(terms: [1, 1, 2, 2]))
        #expect(try storage.snapshot().isEmpty, "no snapshot yet: nothing to load")
        // Recorded before it is saved (or after it was replaced): a leader must try again later.
        try storage.createSnapshot(at: 3, confState: ConfState(voters: [1]), data: [9, 9])
        #expect(throws: RaftError.snapshotTemporarilyUnavailable) { try storage.snapshot() }
        disk.save(index: 3, [1, 2, 3])
        let taken = try storage.snapshot()
        #expect(taken.metadata == SnapshotMetadata(index: 3, term: 2, confState: ConfState(voters: [1])))
        #expect(taken.data == [1, 2, 3], "the data comes from the loader, not from createSnapshot")
        // A snapshot from a leader: its data is not kept either.
        try storage.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 10, term: 3), data: [7]))
        #expect(throws: RaftError.snapshotTemporarilyUnavailable) { try storage.snapshot() }
        disk.save(index: 10, [8])
        #expect(try storage.snapshot() == Snapshot(metadata: SnapshotMetadata(index: 10, term: 3), data: [8]))
    }
}

/// Snapshot data by index, as a disk would hold it, for a storage's loader.
final class SavedSnapshots: Sendable {
    private let saved = Mutex<[UInt64: [UInt8]]>([:])

    func save(index: UInt64, _ data: [UInt8]) { saved.withLock { $0[index] = data } }

    func data(for metadata: SnapshotMetadata) -> [UInt8]? { saved.withLock { $0[metadata.index] } }
}

