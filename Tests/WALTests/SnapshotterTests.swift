import ByteCoding
import Raft
import Testing
@testable import WAL

@Suite struct SnapshotterTests {
    func snapshot(term: UInt64, index: UInt64) -> Snapshot {
        Snapshot(
            metadata: SnapshotMetadata(index: index, term: term, confState: ConfState(voters: [1, 2, 3])),
            data: Array("state at \(index)".utf8))
    }

    @Test(arguments: DiskKind.allCases)
    func savesAndLoadsTheNewest(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let snapshotter = Snapshotter(fs: disk.fs, directory: disk.directory + "/../snap")
        #expect(try snapshotter.loadNewest().snapshot == nil)
        try snapshotter.save(snapshot(term: 1, index: 10))
        try snapshotter.save(snapshot(term: 2, index: 30))
        try snapshotter.save(snapshot(term: 2, index: 20))
        try snapshotter.save(Snapshot())
        #expect(try snapshotter.fileNames() == [
            "0000000000000002-000000000000001e.snap",
            "0000000000000002-0000000000000014.snap",
            "0000000000000001-000000000000000a.snap",
        ])
        let (newest, warnings) = try snapshotter.loadNewest()
        #expect(newest == snapshot(term: 2, index: 30))
        #expect(warnings.isEmpty)
        let (accepted, _) = try snapshotter.loadNewest(where: { $0.index <= 20 })
        #expect(accepted == snapshot(term: 2, index: 20))
    }

    @Test(arguments: DiskKind.allCases)
    func aCorruptNewestSnapshotIsSkippedWithAWarning(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let directory = disk.directory + "/../snap"
        let snapshotter = Snapshotter(fs: disk.fs, directory: directory)
        try snapshotter.save(snapshot(term: 1, index: 10))
        try snapshotter.save(snapshot(term: 2, index: 30))
        let newestName = Snapshotter.fileName(term: 2, index: 30)
        let file = try disk.fs.open(directory + "/" + newestName)
        var bytes = try file.readAll()
        file.close()
        bytes[bytes.count - 3] ^= 0x40
        let damaged = "../snap/" + newestName
        try disk.overwrite(damaged, with: bytes)

        let (loaded, warnings) = try snapshotter.loadNewest()
        #expect(loaded == snapshot(term: 1, index: 10))
        #expect(warnings.count == 1)
        #expect(warnings.first?.file == directory + "/" + newestName)
        guard case .corrupt(_, .crcMismatch) = warnings.first?.error else {
            Issue.record("expected a CRC mismatch, got \(String(describing: warnings.first))")
            return
        }
        #expect(warnings[0].description.contains(newestName))
    }

    @Test func aTruncatedOrMisnamedSnapshotIsCorrupt() throws {
        let disk = SimulatedDisk()
        let snapshotter = Snapshotter(fs: disk, directory: "/snap")
        try snapshotter.save(snapshot(term: 3, index: 7))
        let path = "/snap/" + Snapshotter.fileName(term: 3, index: 7)
        let bytes = disk.contents(of: path)!
        disk.overwrite(path, with: Array(bytes.prefix(10)))
        #expect(throws: SnapshotError.corrupt(file: path, problem: .tooShort(bytes: 10))) {
            try snapshotter.load(fileName: Snapshotter.fileName(term: 3, index: 7))
        }
        disk.overwrite(path, with: bytes)
        try disk.rename(path, to: "/snap/" + Snapshotter.fileName(term: 3, index: 8))
        #expect(throws: SnapshotError.self) {
            try snapshotter.load(fileName: Snapshotter.fileName(term: 3, index: 8))
        }
    }

    @Test func aSavedSnapshotSurvivesACrash() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let disk = SimulatedDisk()
            let snapshotter = Snapshotter(fs: disk, directory: "/snap")
            try snapshotter.save(snapshot(term: 1, index: 5))
            disk.crash(using: &random)
            #expect(try snapshotter.loadNewest().snapshot == snapshot(term: 1, index: 5))
        }
    }

    @Test func aLargeSnapshotIsSyncedAsItIsWritten() throws {
        // Ten chunks' worth of data: each chunk is synced before the next is written, so the
        // disk never holds more than one chunk of it unsynced.
        let disk = SimulatedDisk()
        let snapshotter = Snapshotter(fs: disk, directory: "/snap", syncEveryBytes: 1_000)
        let large = Snapshot(metadata: SnapshotMetadata(index: 9, term: 2, confState: ConfState(voters: [1])),
                             data: (0..<10_000).map { UInt8(truncatingIfNeeded: $0) })
        let syncsBefore = disk.syncCount
        try snapshotter.save(large)
        #expect(disk.syncCount - syncsBefore >= 10)
        #expect(try snapshotter.loadNewest().snapshot == large)
    }

    @Test func learnersRoundTripAndAFileWrittenBeforeLearnersStillLoads() throws {
        let withLearners = Snapshot(
            metadata: SnapshotMetadata(index: 5, term: 2, confState: ConfState(voters: [1, 2, 3], learners: [4])),
            data: Array("state".utf8))
        #expect(try SnapshotCodec.decode(SnapshotCodec.encode(withLearners)).get() == withLearners)
        // Version 1: crc, version, index, term, voters, data, with no learner count.
        var old: [UInt8] = [0, 0, 0, 0, 1]
        old.appendLittleEndian(UInt64(5))
        old.appendLittleEndian(UInt64(2))
        old.appendLittleEndian(UInt32(2))
        old.appendLittleEndian(UInt64(1))
        old.appendLittleEndian(UInt64(2))
        old.appendLittleEndian(UInt64(3))
        old += Array("abc".utf8)
        let crc = old.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        old.storeLittleEndian(crc, at: 0)
        let loaded = try SnapshotCodec.decode(old).get()
        #expect(loaded.metadata.confState == ConfState(voters: [1, 2]))
        #expect(loaded.data == Array("abc".utf8))
    }
}
