import ArgumentParser
import Foundation
import Raft
import WAL

/// `rafttop bench wal`: write throughput with group commit against raw fdatasync on the same
/// disk, and replay speed.
struct BenchWAL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "Measure WAL writes with group commit, raw fdatasync and replay speed."
    )

    @Option(help: "Where to make the temporary WAL directories.")
    var directory = "/tmp"

    @Option(help: "How long each write case runs, in seconds.")
    var seconds = 2.0

    @Option(help: "Payload bytes per entry.")
    var entryBytes = 256

    @Option(help: "Entries in the WAL that is replayed.")
    var replayEntries = 1_000_000

    func validate() throws {
        guard seconds > 0, entryBytes >= 0, replayEntries > 0 else {
            throw ValidationError("seconds and replay entries must be positive, entry bytes not negative")
        }
    }

    func run() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = PosixFileSystem()
        print("WAL benchmark in \(root): entries of \(entryBytes) bytes, \(seconds) s per write case")

        for batch in [1, 16, 256] {
            let result = try compareWrites(fs: fs, directory: root + "/batch-\(batch)", batch: batch)
            print("batch \(pad(batch, 3)), \(pad(result.bytesPerSave, 5)) B per fsync: "
                + "WAL \(pad(Int(result.walSaves * Double(batch)), 6)) entries/s, \(pad(Int(result.walSaves), 5)) fsyncs/s"
                + " | raw append + fdatasync \(pad(Int(result.rawCalls), 5)) calls/s"
                + String(format: " | WAL at %.0f%% of raw", 100 * result.walSaves / result.rawCalls))
        }

        let (replaySeconds, bytes, segments) = try replay(fs: fs, directory: root + "/replay")
        print("replay \(replayEntries) entries (\(bytes / 1_000_000) MB in \(segments) segments), best of 3: "
            + String(format: "%.3f s, %.0f entries/s", replaySeconds, Double(replayEntries) / replaySeconds))
    }

    /// Bytes an entry record takes on disk: length, type, crc, term, index, entry type,
    /// data, padding to 8.
    private static func entryFrameBytes(_ dataBytes: Int) -> Int { (8 + 5 + 17 + dataBytes + 7) / 8 * 8 }
    private static let hardStateFrameBytes = 40
    private static let slices = 10

    private func payload() -> [UInt8] {
        (0..<entryBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    }

    /// Saves of `batch` entries with one fsync each, against raw appends of the same bytes
    /// each followed by fdatasync, on the same disk. The two alternate in short slices so
    /// that other load on the disk falls on both alike. Returns each one's rate per second.
    private func compareWrites(fs: PosixFileSystem, directory: String, batch: Int)
        throws -> (walSaves: Double, rawCalls: Double, bytesPerSave: Int)
    {
        let wal = try WAL.create(fs: fs, directory: directory, metadata: WALMetadata(memberID: 1, clusterID: 1))
        defer { try? wal.close() }
        let raw = try fs.create(directory + "/raw")
        defer { raw.close() }
        let data = payload()
        var index: UInt64 = 0
        var saves = 0
        var rawCalls = 0
        var walNanos: UInt64 = 0
        var rawNanos: UInt64 = 0
        let bytesPerSave = batch * Self.entryFrameBytes(entryBytes) + Self.hardStateFrameBytes
        let rawBytes = [UInt8](repeating: 0x5A, count: bytesPerSave)
        let sliceNanos = UInt64(seconds * 1e9) / UInt64(Self.slices)
        for _ in 0..<Self.slices {
            var start = monotonicNanos()
            while monotonicNanos() - start < sliceNanos {
                let entries = (0..<batch).map { i in Entry(term: 1, index: index + UInt64(i) + 1, data: data) }
                index += UInt64(batch)
                try wal.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: entries, mustSync: true)
                saves += 1
            }
            walNanos += monotonicNanos() - start
            start = monotonicNanos()
            while monotonicNanos() - start < sliceNanos {
                try raw.append(rawBytes)
                try raw.sync()
                rawCalls += 1
            }
            rawNanos += monotonicNanos() - start
        }
        return (Double(saves) / (Double(walNanos) / 1e9), Double(rawCalls) / (Double(rawNanos) / 1e9), bytesPerSave)
    }

    /// Writes `replayEntries` entries, then times opening the WAL, which reads them all back;
    /// the best of three opens, so the figure is decoding, not cold reads.
    private func replay(fs: PosixFileSystem, directory: String) throws -> (seconds: Double, bytes: Int, segments: Int) {
        let writer = try WAL.create(fs: fs, directory: directory, metadata: WALMetadata(memberID: 1, clusterID: 1))
        let data = payload()
        var index: UInt64 = 0
        while index < UInt64(replayEntries) {
            let count = min(1000, UInt64(replayEntries) - index)
            let entries = (1...count).map { Entry(term: 1, index: index + $0, data: data) }
            index += count
            try writer.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: entries, mustSync: false)
        }
        try writer.close()
        let stats = writer.monitor.stats
        var best = Double.infinity
        for _ in 0..<3 {
            let start = monotonicNanos()
            let (wal, contents) = try WAL.open(fs: fs, directory: directory)
            best = min(best, Double(monotonicNanos() - start) / 1e9)
            try wal.close()
            guard contents.entries.count == replayEntries else {
                throw ValidationError("replay read \(contents.entries.count) entries, wrote \(replayEntries)")
            }
        }
        return (best, stats.bytesWritten, stats.segmentCount)
    }

    private func makeTemporaryDirectory() throws -> String {
        var template = Array((directory + "/rafttop-bench-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ValidationError("cannot make a temporary directory in \(directory)")
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}
