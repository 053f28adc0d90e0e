import Cluster
import Foundation
import WAL

/// The disk's own fdatasync latency, measured in the directory the members write to, so the
/// bench can set a put's latency beside what the disk alone costs in the same run.
enum DiskProbe {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `bytes` at a time, each followed by fdatasync, `calls` times (or until
    /// `secondsMax`), into a scratch file under `directory` laid out in advance, as etcd's
    /// guidance measures a disk with fio (2,300-byte writes, fdatasync after each); returns the
    /// latencies. Laying the file out first keeps the file size, and so the metadata, fixed.
    static func fdatasyncLatency(in directory: String, calls: Int = 2_000, bytes: Int = 2_300,
                                 secondsMax: Double = 2) throws -> LatencyRecorder {
        let path = directory + "/fdatasync-probe"
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(fd)
            unlink(path)
        }
        // Written, not fallocated: writing into fallocated (unwritten) extents changes the
        // extent map, metadata that every fdatasync would then have to flush.
        let zeros = [UInt8](repeating: 0, count: calls * bytes)
        let laidOut = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, zeros.count, 0) }
        guard laidOut == zeros.count, DurableFlush.all(fd) == 0 else {
            throw Failure(description: "cannot lay out \(path): \(String(cString: strerror(errno)))")
        }
        let block = [UInt8](repeating: 0x5A, count: bytes)
        var latency = LatencyRecorder()
        let deadline = monotonicNanos() + UInt64(secondsMax * 1e9)
        for call in 0..<calls where monotonicNanos() < deadline {
            let started = monotonicNanos()
            let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes, off_t(call * bytes)) }
            // What the WAL calls to sync (F_FULLFSYNC on Darwin), so the two figures compare.
            guard written == bytes, DurableFlush.data(fd) == 0 else {
                throw Failure(description: "write or fdatasync failed in \(path): \(String(cString: strerror(errno)))")
            }
            latency.record(micros: (monotonicNanos() - started) / 1000)
        }
        return latency
    }
}

/// This process's resident set size, from /proc (Linux); nil where it cannot be read.
func residentBytes() -> Int? {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
