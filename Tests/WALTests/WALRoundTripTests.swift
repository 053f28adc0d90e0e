import Raft
import Synchronization
import Testing
@testable import WAL

@Suite struct WALRoundTripTests {
    @Test(arguments: DiskKind.allCases)
    func everyRecordTypeRoundTrips(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        let change = ConfChange(kind: .addNode, nodeID: 4, context: Array("http://m4:2380".utf8))
        var entries = makeEntries(1...3, term: 1)
        entries.append(Entry(term: 1, index: 4, type: .confChange, data: change.encoded()))
        entries.append(Entry(term: 2, index: 5))
        let state = HardState(term: 2, vote: 3, commit: 4)
        try wal.save(hardState: state, entries: entries, mustSync: true)
        try wal.saveSnapshot(WALSnapshot(index: 3, term: 1))
        try wal.close()

        let (reopened, contents) = try WAL.open(fs: disk.fs, directory: disk.directory)
        #expect(contents.metadata == testMetadata)
        #expect(contents.hardState == state)
        #expect(contents.entries == entries)
        #expect(contents.snapshots == [WALSnapshot(index: 0, term: 0), WALSnapshot(index: 3, term: 1)])
        #expect(contents.tornTail == nil)
        #expect(try ConfChange(decoding: contents.entries[3].data) == change)
        try reopened.close()

        let (fromSnapshot, after) = try WAL.open(fs: disk.fs, directory: disk.directory, from: WALSnapshot(index: 3, term: 1))
        #expect(after.entries == Array(entries[3...]))
        #expect(fromSnapshot.lastIndex == 5)
        try fromSnapshot.close()
    }

    @Test(arguments: DiskKind.allCases)
    func reopenAfterCloseContinuesTheLog(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 5), entries: makeEntries(1...10, term: 1), mustSync: true)
        try wal.close()

        let (second, first) = try WAL.open(fs: disk.fs, directory: disk.directory)
        #expect(first.entries == makeEntries(1...10, term: 1))
        #expect(second.lastIndex == 10)
        try second.save(hardState: HardState(term: 2, vote: 2, commit: 12), entries: makeEntries(11...20, term: 2), mustSync: true)
        try second.close()

        let (third, contents) = try WAL.open(fs: disk.fs, directory: disk.directory)
        #expect(contents.entries == makeEntries(1...10, term: 1) + makeEntries(11...20, term: 2))
        #expect(contents.hardState == HardState(term: 2, vote: 2, commit: 12))
        try third.close()
    }

    @Test(arguments: DiskKind.allCases)
    func conflictingSuffixIsReplaced(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        try wal.save(hardState: HardState(term: 1, vote: 1, commit: 3), entries: makeEntries(1...10, term: 1), mustSync: true)
        // A new leader of term 2 overwrites from index 6.
        try wal.save(hardState: HardState(term: 2, vote: 2, commit: 3), entries: makeEntries(6...8, term: 2, dataBytes: 7), mustSync: true)
        #expect(wal.lastIndex == 8)
        try wal.close()

        let (reopened, contents) = try WAL.open(fs: disk.fs, directory: disk.directory)
        #expect(contents.entries == makeEntries(1...5, term: 1) + makeEntries(6...8, term: 2, dataBytes: 7))
        try reopened.close()
    }

    @Test(arguments: DiskKind.allCases)
    func segmentsRotateAtTheSizeLimit(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let options = WALOptions(segmentSizeBytes: 4096)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: options)
        for start in stride(from: UInt64(1), through: 191, by: 10) {
            try wal.save(hardState: HardState(term: 1, commit: start), entries: makeEntries(start...(start + 9), term: 1, dataBytes: 100), mustSync: true)
        }
        try wal.close()

        let names = try disk.segmentNames()
        #expect(names.count > 4)
        let segments = names.compactMap(SegmentName.init(fileName:))
        #expect(segments.map(\.sequence) == (0..<UInt64(names.count)).map { $0 })
        #expect(segments.first?.index == 0)
        // Each segment is cut after a whole save, so it starts at a batch boundary.
        #expect(segments.dropFirst().allSatisfy { $0.index % 10 == 1 })
        #expect(wal.monitor.stats.segmentCount == names.count)

        let (reopened, contents) = try WAL.open(fs: disk.fs, directory: disk.directory, options: options)
        #expect(contents.entries == makeEntries(1...200, term: 1, dataBytes: 100))
        #expect(contents.hardState == HardState(term: 1, commit: 191))
        try reopened.close()
    }

    @Test(arguments: DiskKind.allCases)
    func segmentsBeforeASnapshotAreReleased(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let options = WALOptions(segmentSizeBytes: 2048)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: options)
        for start in stride(from: UInt64(1), through: 96, by: 5) {
            try wal.save(hardState: HardState(term: 1, commit: start), entries: makeEntries(start...(start + 4), term: 1, dataBytes: 100), mustSync: true)
        }
        let before = try disk.segmentNames()
        try wal.saveSnapshot(WALSnapshot(index: 70, term: 1))
        let removed = try wal.releaseSegments(before: 70)
        #expect(removed > 0)
        let after = try disk.segmentNames()
        #expect(after.count == before.count - removed)
        #expect(SegmentName(fileName: after[0])!.index <= 70)
        try wal.close()

        let (reopened, contents) = try WAL.open(fs: disk.fs, directory: disk.directory, from: WALSnapshot(index: 70, term: 1), options: options)
        #expect(contents.entries == makeEntries(71...100, term: 1, dataBytes: 100))
        try reopened.close()
        #expect(throws: WALError.noSegmentForIndex(0, firstSegment: after[0])) {
            try WAL.open(fs: disk.fs, directory: disk.directory)
        }
    }

    /// A follower that installs a snapshot from its leader writes the marker, then entries that
    /// continue after it: the log jumps forward, which is not a gap.
    @Test(arguments: DiskKind.allCases)
    func entriesMayJumpPastAnInstalledSnapshot(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        try wal.save(hardState: HardState(term: 1, commit: 5), entries: makeEntries(1...5, term: 1), mustSync: true)
        try wal.saveSnapshot(WALSnapshot(index: 40, term: 2))
        try wal.save(hardState: HardState(term: 2, commit: 42), entries: makeEntries(41...42, term: 2), mustSync: true)
        try wal.close()

        let everything = try WALReader.read(fs: disk.fs, directory: disk.directory, from: nil)
        #expect(everything.corruption == nil)
        #expect(everything.snapshots.map(\.index) == [0, 40])
        #expect(everything.entries == makeEntries(41...42, term: 2))
        let (reopened, contents) = try WAL.open(fs: disk.fs, directory: disk.directory, from: WALSnapshot(index: 40, term: 2))
        #expect(contents.entries == makeEntries(41...42, term: 2))
        #expect(contents.hardState == HardState(term: 2, commit: 42))
        try reopened.close()
        // Read from the first snapshot, the jump is a gap: entries 6...40 are nowhere.
        #expect(throws: WALError.self) { try WAL.open(fs: disk.fs, directory: disk.directory, from: WALSnapshot()) }
    }

    @Test(arguments: DiskKind.allCases)
    func openingFromAMissingSnapshotFails(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        try wal.save(hardState: HardState(term: 1, commit: 1), entries: makeEntries(1...5, term: 1), mustSync: true)
        try wal.saveSnapshot(WALSnapshot(index: 3, term: 1))
        try wal.close()
        #expect(throws: WALError.snapshotNotFound(WALSnapshot(index: 4, term: 1), directory: disk.directory)) {
            try WAL.open(fs: disk.fs, directory: disk.directory, from: WALSnapshot(index: 4, term: 1))
        }
        #expect(throws: WALError.self) {
            try WAL.open(fs: disk.fs, directory: disk.directory, from: WALSnapshot(index: 3, term: 2))
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aSecondInstanceCannotOpenALockedWAL(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        #expect(throws: WALError.locked(directory: disk.directory)) {
            try WAL.open(fs: disk.fs, directory: disk.directory)
        }
        #expect(throws: WALError.locked(directory: disk.directory)) {
            try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        }
        try wal.close()
        let (reopened, _) = try WAL.open(fs: disk.fs, directory: disk.directory)
        try reopened.close()
        #expect(throws: WALError.walExists(directory: disk.directory)) {
            try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        }
    }

    @Test func groupCommitSyncsOncePerSave() throws {
        let disk = TestDisk(.simulated)
        let ticks = Atomic<UInt64>(0)
        // Each reading of the clock advances it by 7 µs, so every fsync "takes" 7 µs.
        let options = WALOptions(segmentSizeBytes: 1 << 20, tailCapacity: 8, clockNanos: { ticks.add(7_000, ordering: .relaxed).newValue })
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: options)
        let syncsBefore = disk.simulated!.syncCount
        try wal.save(hardState: HardState(term: 1, commit: 0), entries: makeEntries(1...256, term: 1), mustSync: true)
        #expect(disk.simulated!.syncCount == syncsBefore + 1)
        try wal.save(hardState: HardState(), entries: makeEntries(257...300, term: 1), mustSync: false)
        #expect(disk.simulated!.syncCount == syncsBefore + 1)

        let stats = wal.monitor.stats
        #expect(stats.fsyncCount == 1)
        #expect(stats.fsyncMicrosLast == 7)
        #expect(stats.fsyncMicrosTotal == 7)
        #expect(stats.lastIndex == 300)
        // The segment was preallocated: its records, then zeros to its full size.
        let segment = try #require(disk.simulated!.contents(of: disk.path(try disk.segmentNames()[0])))
        #expect(segment.count == options.segmentSizeBytes)
        #expect(segment[(stats.bytesWritten - 8)..<stats.bytesWritten].contains { $0 != 0 })
        #expect(segment[stats.bytesWritten...].allSatisfy { $0 == 0 })

        let recent = wal.monitor.recent(3)
        #expect(recent.map(\.index) == [298, 299, 300])
        #expect(recent.allSatisfy { $0.kind == .entry(.normal) && $0.sizeBytes == 72 })
        #expect(wal.monitor.recent(100).count == 8)
        try wal.close()
    }
}
