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

        let syncsPerSecond = try rawSyncs(fs: fs, path: root + "/raw")
        print("raw fdatasync (append \(entryBytes) B + fdatasync): \(Int(syncsPerSecond)) calls/s")

        for batch in [1, 16, 256] {
            let (entriesPerSecond, savesPerSecond) = try groupCommit(fs: fs, directory: root + "/batch-\(batch)", batch: batch)
            print("group commit, batch \(pad(batch, 3)): \(Int(entriesPerSecond)) entries/s, \(Int(savesPerSecond)) fsyncs/s, "
                + String(format: "%.1f MB/s", entriesPerSecond * Double(entryBytes) / 1e6))
        }

        let (replaySeconds, bytes, segments) = try replay(fs: fs, directory: root + "/replay")
        print("replay \(replayEntries) entries (\(bytes / 1_000_000) MB in \(segments) segments): "
            + String(format: "%.3f s, %.0f entries/s", replaySeconds, Double(replayEntries) / replaySeconds))
    }

    private var deadlineNanos: UInt64 { UInt64(seconds * 1e9) }

    private func payload() -> [UInt8] {
        (0..<entryBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    }

    /// Appends of one entry's size, each followed by fdatasync, as fast as the disk allows.
    private func rawSyncs(fs: PosixFileSystem, path: String) throws -> Double {
        let file = try fs.create(path)
        defer { file.close() }
        let bytes = payload()
        let start = monotonicNanos()
        var calls = 0
        while monotonicNanos() - start < deadlineNanos {
            try file.append(bytes)
            try file.sync()
            calls += 1
        }
        return Double(calls) / (Double(monotonicNanos() - start) / 1e9)
    }

    /// Saves of `batch` entries with one fsync each.
    private func groupCommit(fs: PosixFileSystem, directory: String, batch: Int) throws -> (entries: Double, saves: Double) {
        let wal = try WAL.create(fs: fs, directory: directory, metadata: WALMetadata(memberID: 1, clusterID: 1))
        defer { try? wal.close() }
        let data = payload()
        var index: UInt64 = 0
        var saves = 0
        let start = monotonicNanos()
        while monotonicNanos() - start < deadlineNanos {
            let entries = (0..<batch).map { i in Entry(term: 1, index: index + UInt64(i) + 1, data: data) }
            index += UInt64(batch)
            try wal.save(hardState: HardState(term: 1, vote: 1, commit: index), entries: entries, mustSync: true)
            saves += 1
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        return (Double(index) / elapsed, Double(saves) / elapsed)
    }

    /// Writes `replayEntries` entries, then times opening the WAL, which reads them all back.
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
        let start = monotonicNanos()
        let (wal, contents) = try WAL.open(fs: fs, directory: directory)
        let elapsed = Double(monotonicNanos() - start) / 1e9
        try wal.close()
        guard contents.entries.count == replayEntries else {
            throw ValidationError("replay read \(contents.entries.count) entries, wrote \(replayEntries)")
        }
        return (elapsed, stats.bytesWritten, stats.segmentCount)
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
