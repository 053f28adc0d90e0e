import Raft
import Testing
@testable import WAL

/// Damage a crash cannot explain must stop the WAL from opening, with the file and the
/// offset of the damaged record.
@Suite struct CorruptionTests {
    /// Start offsets and lengths of the records of a segment.
    func records(of bytes: [UInt8]) -> [(start: Int, end: Int)] {
        var starts: [Int] = []
        bytes.withUnsafeBytes { buffer in
            var decoder = SegmentDecoder(bytes: buffer, isLastSegment: false, carriedCRC: nil)
            while case .record(_, let offset) = decoder.next() { starts.append(offset) }
        }
        return zip(starts, starts.dropFirst() + [bytes.count]).map { ($0, $1) }
    }

    func expectCorruption(_ disk: TestDisk, file: String, offset: Int, _ comment: Comment) {
        do {
            let (wal, _) = try WAL.open(fs: disk.fs, directory: disk.directory)
            try wal.close()
            Issue.record("opened despite damage: \(comment)")
        } catch let WALError.corrupt(damagedFile, damagedOffset, problem) {
            #expect(damagedFile == disk.path(file), comment)
            #expect(damagedOffset == offset, "\(comment): \(problem)")
        } catch {
            Issue.record("unexpected \(error): \(comment)")
        }
    }

    @Test(arguments: DiskKind.allCases)
    func everyFlippedBitBeforeTheTailIsReported(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: WALOptions(segmentSizeBytes: 2048))
        for start in stride(from: UInt64(1), through: 56, by: 5) {
            try wal.save(hardState: HardState(term: 1, commit: start), entries: makeEntries(start...(start + 4), term: 1), mustSync: true)
        }
        try wal.close()
        let names = try disk.segmentNames()
        #expect(names.count >= 3)
        for name in [names[1], names.last!] {
            let original = try disk.bytes(of: name)
            let frames = records(of: original)
            // The carried CRC, the metadata, a record in the middle, and the one before the last.
            for (start, end) in [frames[0], frames[1], frames[frames.count / 2], frames[frames.count - 2]] {
                for position in start..<end {
                    for bit in [0, 3, 7] {
                        var damaged = original
                        damaged[position] ^= UInt8(1 << bit)
                        try disk.overwrite(name, with: damaged)
                        expectCorruption(disk, file: name, offset: start, "\(name) byte \(position) bit \(bit)")
                    }
                }
            }
            try disk.overwrite(name, with: original)
        }
        let (reopened, contents) = try WAL.open(fs: disk.fs, directory: disk.directory)
        #expect(contents.entries.count == 60)
        try reopened.close()
    }

    @Test(arguments: DiskKind.allCases)
    func aDamagedLastRecordWithoutZeroFillIsCorruption(kind: DiskKind) throws {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata)
        let data = [UInt8](repeating: 0xAB, count: 64)
        try wal.save(hardState: HardState(), entries: [Entry(term: 1, index: 1, data: data), Entry(term: 1, index: 2, data: data)], mustSync: true)
        try wal.close()
        let name = try disk.segmentNames()[0]
        var bytes = try disk.bytes(of: name)
        let last = records(of: bytes).last!
        bytes[last.start + 40] ^= 0x10
        try disk.overwrite(name, with: bytes)
        expectCorruption(disk, file: name, offset: last.start, "payload of the last record")
    }

    /// Zeros after a segment's records end it (a preallocated segment's unwritten space), so a
    /// full segment whose last record was zeroed would read as shorter: the next segment's CRC
    /// record, which carries the CRC after that record, gives it away.
    /// A closed WAL of 40 entries, one per synced save, across segments cut at 1 KiB.
    static func walOfSmallSegments(_ kind: DiskKind) throws -> TestDisk {
        let disk = TestDisk(kind)
        let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: WALOptions(segmentSizeBytes: 1024))
        for index in UInt64(1)...40 {
            try wal.save(hardState: HardState(), entries: makeEntries(index...index, term: 1), mustSync: true)
        }
        try wal.close()
        return disk
    }

    @Test(arguments: DiskKind.allCases)
    func aZeroedRecordAtTheEndOfAFullSegmentIsCorruption(kind: DiskKind) throws {
        let disk = try Self.walOfSmallSegments(kind)
        let names = try disk.segmentNames()
        #expect(names.count >= 3)
        var bytes = try disk.bytes(of: names[1])
        // The last record is the last one before the zeros of the preallocated rest.
        let lastEnd = (bytes.lastIndex { $0 != 0 }! + 8) / 8 * 8
        let last = records(of: Array(bytes[..<lastEnd])).last!
        for position in last.start..<last.end { bytes[position] = 0 }
        try disk.overwrite(names[1], with: bytes)
        expectCorruption(disk, file: names[2], offset: 0, "the record before \(names[2]) zeroed")
    }

    @Test(arguments: DiskKind.allCases)
    func aMissingSegmentIsReported(kind: DiskKind) throws {
        let disk = try Self.walOfSmallSegments(kind)
        let names = try disk.segmentNames()
        try disk.fs.remove(disk.path(names[1]))
        #expect(throws: WALError.missingSegment(after: names[0], next: names[2])) {
            try WAL.open(fs: disk.fs, directory: disk.directory)
        }
    }
}
