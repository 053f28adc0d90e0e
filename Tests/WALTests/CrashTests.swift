import Raft
import Testing
@testable import WAL

/// A crash may leave any part of what was written after the last fsync. Whatever it leaves,
/// opening must recover exactly a prefix of what was written, and at least all that was synced.
@Suite struct CrashTests {
    /// A WAL whose last segment holds 20 synced entries, then 5 unsynced ones and a hard state.
    struct TornTailFixture {
        let disk: TestDisk
        let segment: String
        let full: [UInt8]
        let syncedBytes: Int
        let written: [Entry]
        let syncedState = HardState(term: 1, vote: 1, commit: 20)
        let lastState = HardState(term: 1, vote: 1, commit: 25)

        /// Appended segments: the shapes below cut and zero-fill the file's own end.
        static let options = WALOptions(preallocationBytes: 0)

        init(_ kind: DiskKind) throws {
            disk = TestDisk(kind)
            let synced = (UInt64(1)...20).map { Entry(term: 1, index: $0, data: [UInt8](repeating: UInt8($0), count: Int($0 * 7 % 90))) }
            let unsynced = (UInt64(21)...25).map { Entry(term: 1, index: $0, data: [UInt8](repeating: UInt8($0), count: 300)) }
            written = synced + unsynced
            do {
                let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: Self.options)
                try wal.save(hardState: syncedState, entries: synced, mustSync: true)
                segment = try disk.segmentNames()[0]
                syncedBytes = try disk.bytes(of: segment).count
                for entry in unsynced {
                    try wal.save(hardState: HardState(), entries: [entry], mustSync: false)
                }
                try wal.save(hardState: lastState, entries: [], mustSync: false)
                // The WAL is dropped unclosed, as a killed process leaves it.
            }
            full = try disk.bytes(of: segment)
        }

        /// Opens the WAL over `bytes` and checks what it recovers.
        func check(_ bytes: [UInt8], _ comment: Comment) throws {
            try disk.overwrite(segment, with: bytes)
            let (wal, contents) = try WAL.open(fs: disk.fs, directory: disk.directory, options: Self.options)
            let count = contents.entries.count
            #expect(count >= 20, comment)
            #expect(contents.entries == Array(written.prefix(count)), comment)
            #expect(contents.hardState == (count == 25 && bytes.count == full.count ? lastState : contents.hardState), comment)
            #expect(contents.hardState == syncedState || contents.hardState == lastState, comment)
            if let torn = contents.tornTail {
                #expect(torn.file == disk.path(segment), comment)
                #expect(try disk.bytes(of: segment).count == torn.offset, comment)
                #expect(try disk.bytes(of: segment + ".broken") == bytes, comment)
            }
            try wal.close()
            // Repaired: a second open finds nothing torn and the same log.
            let (again, second) = try WAL.open(fs: disk.fs, directory: disk.directory, options: Self.options)
            #expect(second.tornTail == nil, comment)
            #expect(second.entries == contents.entries, comment)
            try again.close()
        }
    }

    @Test(arguments: DiskKind.allCases)
    func truncatedAtEveryByteOfTheUnsyncedTail(kind: DiskKind) throws {
        let fixture = try TornTailFixture(kind)
        for cut in fixture.syncedBytes...fixture.full.count {
            try fixture.check(Array(fixture.full[..<cut]), "cut at byte \(cut)")
        }
    }

    @Test(arguments: DiskKind.allCases)
    func zeroFilledFromEverySectorOfTheUnsyncedTail(kind: DiskKind) throws {
        let fixture = try TornTailFixture(kind)
        let sector = SimulatedDisk.sectorBytes
        for end in stride(from: fixture.syncedBytes, through: fixture.full.count, by: 1) {
            let zeroFrom = max(fixture.syncedBytes, end / sector * sector)
            let bytes = Array(fixture.full[..<zeroFrom]) + [UInt8](repeating: 0, count: end - zeroFrom)
            try fixture.check(bytes, "zero-filled from \(zeroFrom) to \(end)")
        }
    }

    /// A preallocated segment keeps its size through a crash: what survives of the unsynced
    /// writes is whole sectors, zeros after. Every such shape opens to a prefix of what was
    /// written, and the WAL goes on writing right after the last whole record.
    @Test(arguments: DiskKind.allCases)
    func preallocatedSegmentTornAtEverySector(kind: DiskKind) throws {
        let options = WALOptions(segmentSizeBytes: 64 * 1024)
        let disk = TestDisk(kind)
        let synced = makeEntries(1...20, term: 1, dataBytes: 70)
        let unsynced = makeEntries(21...25, term: 1, dataBytes: 300)
        let segment: String
        let syncedBytes: Int
        let writtenBytes: Int
        do {
            let wal = try WAL.create(fs: disk.fs, directory: disk.directory, metadata: testMetadata, options: options)
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: 20), entries: synced, mustSync: true)
            syncedBytes = wal.segmentBytes
            for entry in unsynced { try wal.save(hardState: HardState(), entries: [entry], mustSync: false) }
            writtenBytes = wal.segmentBytes
            segment = try disk.segmentNames()[0]
        }
        let full = try disk.bytes(of: segment)
        #expect(full.count == options.segmentSizeBytes)
        let sector = SimulatedDisk.sectorBytes
        for kept in stride(from: syncedBytes / sector * sector, through: writtenBytes + sector, by: sector) {
            let keptBytes = min(max(kept, syncedBytes), full.count)
            let bytes = Array(full[..<keptBytes]) + [UInt8](repeating: 0, count: full.count - keptBytes)
            try disk.overwrite(segment, with: bytes)
            let comment: Comment = "written bytes kept up to \(keptBytes)"
            let (wal, contents) = try WAL.open(fs: disk.fs, directory: disk.directory, options: options)
            let count = contents.entries.count
            #expect(count >= 20, comment)
            #expect(contents.entries == Array((synced + unsynced).prefix(count)), comment)
            // Writing resumes after the last whole record, over whatever a torn write left.
            let next = makeEntries(UInt64(count + 1)...UInt64(count + 1), term: 2, dataBytes: 50)
            try wal.save(hardState: HardState(term: 2, vote: 1, commit: UInt64(count)), entries: next, mustSync: true)
            try wal.close()
            let (again, second) = try WAL.open(fs: disk.fs, directory: disk.directory, options: options)
            #expect(second.tornTail == nil, comment)
            #expect(second.entries == Array(contents.entries) + next, comment)
            try again.close()
            try disk.overwrite(segment, with: full)
        }
    }

    @Test(arguments: DiskKind.allCases)
    func readingReportsATornTailAndRepairFixesIt(kind: DiskKind) throws {
        let fixture = try TornTailFixture(kind)
        let disk = fixture.disk
        let cut = fixture.full.count - 5
        try disk.overwrite(fixture.segment, with: Array(fixture.full[..<cut]))
        let read = try WALReader.read(fs: disk.fs, directory: disk.directory, from: nil)
        #expect(read.corruption == nil)
        let torn = try #require(read.tornTail)
        #expect(read.entries.count == 25, "only the final hard state record is torn")
        #expect(read.hardState == fixture.syncedState)
        #expect(try disk.bytes(of: fixture.segment).count == cut, "reading changes nothing")

        #expect(try WAL.repair(fs: disk.fs, directory: disk.directory) == torn)
        #expect(try disk.bytes(of: fixture.segment).count == torn.offset)
        #expect(try WAL.repair(fs: disk.fs, directory: disk.directory) == nil)
    }

    @Test func simulatedCrashesKeepEverythingSynced() throws {
        for seed in UInt64(0)..<300 {
            var random = SplitMix64(seed: seed)
            let disk = SimulatedDisk()
            let directory = "/data/wal"
            let options = WALOptions(segmentSizeBytes: 1024)
            var wal = try WAL.create(fs: disk, directory: directory, metadata: testMetadata, options: options)
            var written: [Entry] = []
            var durableCount = 0
            var durableCommit: UInt64 = 0
            for round in 0..<4 {
                for _ in 0..<Int.random(in: 1...12, using: &random) {
                    let first = UInt64(written.count + 1)
                    let entries = (first..<(first + UInt64.random(in: 0...5, using: &random))).map {
                        Entry(term: 1, index: $0, data: [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: Int.random(in: 0...200, using: &random)))
                    }
                    let state = HardState(term: 1, vote: 1, commit: UInt64(written.count))
                    let segmentsBefore = wal.monitor.stats.segmentCount
                    let mustSync = Bool.random(using: &random)
                    try wal.save(hardState: state, entries: entries, mustSync: mustSync)
                    written += entries
                    if mustSync || wal.monitor.stats.segmentCount != segmentsBefore {
                        durableCount = written.count
                        durableCommit = state.commit
                    }
                }
                disk.crash(using: &random)
                let contents: WALReadResult
                (wal, contents) = try WAL.open(fs: disk, directory: directory, options: options)
                let comment: Comment = "seed \(seed) round \(round)"
                #expect(contents.entries.count >= durableCount, comment)
                #expect(contents.entries == Array(written.prefix(contents.entries.count)), comment)
                #expect(contents.hardState.commit >= durableCommit, comment)
                written = contents.entries
                durableCount = written.count
                durableCommit = contents.hardState.commit
            }
        }
    }
}
