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

    @Test func aStreamedSnapshotIsTheSameFileAndACorruptOneIsRefusedNamingIt() throws {
        let disk = SimulatedDisk()
        let snapshotter = Snapshotter(fs: disk, directory: "/snap", syncEveryBytes: 1_000)
        // More voters than the first read of a header takes in.
        let metadata = SnapshotMetadata(index: 9, term: 2, confState: ConfState(voters: Array(1...600), learners: [601]))
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let syncsBefore = disk.syncCount
        try snapshotter.save(metadata, dataBytes: data.count) { append in
            for start in stride(from: 0, to: data.count, by: 777) { try append(Array(data[start..<min(start + 777, data.count)])) }
        }
        #expect(disk.syncCount - syncsBefore >= 10, "synced as it was written")
        let name = Snapshotter.fileName(term: 2, index: 9)
        let path = "/snap/" + name
        let whole = Snapshot(metadata: metadata, data: data)
        #expect(disk.contents(of: path) == SnapshotCodec.encode(whole))
        #expect(try snapshotter.load(fileName: name) == whole)
        #expect(try disk.list("/snap") == [name])

        let bytes = try #require(disk.contents(of: path))
        var flipped = bytes
        flipped[bytes.count - 5_000] ^= 0x10
        disk.overwrite(path, with: flipped)
        do {
            _ = try snapshotter.load(fileName: name)
            Issue.record("a flipped byte loaded")
        } catch {
            guard case .corrupt(path, .crcMismatch) = error else { Issue.record("expected a CRC mismatch, got \(error)"); return }
            #expect(error.description.contains(name))
        }
        disk.overwrite(path, with: Array(bytes.dropLast(100)))
        #expect(throws: SnapshotError.corrupt(file: path, problem: .lengthMismatch(
            field: "data length", declared: 10_000, availableBytes: 9_900))) {
            try snapshotter.load(fileName: name)
        }
        disk.overwrite(path, with: Array(bytes.prefix(2_000)))
        // Cut inside the voters: the count is checked against the file before any is read.
        #expect(throws: SnapshotError.corrupt(file: path, problem: .lengthMismatch(
            field: "voter count", declared: 600, availableBytes: 2_000 - (4 + 1 + 8 + 8 + 4)))) {
            try snapshotter.load(fileName: name)
        }
    }

    @Test func aStreamThatWritesTooLittleLeavesNoFile() throws {
        let disk = SimulatedDisk()
        let snapshotter = Snapshotter(fs: disk, directory: "/snap")
        let metadata = SnapshotMetadata(index: 4, term: 1, confState: ConfState(voters: [1]))
        #expect(throws: SnapshotError.dataLengthMismatch(file: "/snap/" + Snapshotter.fileName(term: 1, index: 4),
                                                         declaredBytes: 10, writtenBytes: 6)) {
            try snapshotter.save(metadata, dataBytes: 10) { append in try append([1, 2, 3]); try append([4, 5, 6]) }
        }
        #expect(try disk.list("/snap").isEmpty)
    }

    @Test func onlyOlderSnapshotsAreRemoved() throws {
        let disk = SimulatedDisk()
        let snapshotter = Snapshotter(fs: disk, directory: "/snap")
        for index: UInt64 in [10, 20, 30] { try snapshotter.save(snapshot(term: 1, index: index)) }
        let removed = try snapshotter.removeOlder(thanTerm: 1, index: 20)
        #expect(removed == [Snapshotter.fileName(term: 1, index: 10)])
        #expect(try snapshotter.fileNames() == [Snapshotter.fileName(term: 1, index: 30), Snapshotter.fileName(term: 1, index: 20)])
        #expect(try snapshotter.loadData(term: 1, index: 20) == snapshot(term: 1, index: 20).data)
        #expect(try snapshotter.loadData(term: 1, index: 10) == nil)
    }
}

