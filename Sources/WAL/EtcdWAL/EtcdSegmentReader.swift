#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the frames of one etcd WAL segment from a byte offset on, checking the CRC chain.
///
/// A frame is an 8-byte little-endian length word (low 56 bits: record bytes; top byte
/// `0x80 | padding` when the record is padded), the walpb.Record, then zeros to 8 bytes. A zero
/// length word ends the records (etcd preallocates segments with zeros). The file is opened
/// read-only and never locked, so a running etcd can keep writing it: the reader stops at the
/// first frame that is not whole yet, and a later read continues from there.
public struct EtcdSegmentReader {
    /// etcd's own bound on one WAL record (maxWALEntrySizeLimit, 10 MB).
    public static let maxRecordBytes = 10 * 1024 * 1024
    /// The unit a disk writes whole; a torn write shows as a sector of zeros.
    static let sectorBytes = 512

    /// How a scan ended.
    public enum Stop: Sendable, Hashable {
        /// A zero length word or the end of the file at a frame boundary.
        case end
        /// The frame at the offset is not whole: in the last segment, a torn tail or a write in progress.
        case torn(EtcdWALTornTail)
        case corrupt(EtcdWALError)
    }

    public struct Scan: Sendable {
        public var records: [(record: EtcdWALRecord, offset: Int)]
        /// Where the next frame starts: after the last whole record.
        public var nextOffset: Int
        /// The running CRC after the last whole record.
        public var crc: UInt32
        public var stop: Stop
    }

    /// Scans `path` from `offset`, the running CRC being `crc` there (0 at a segment's start,
    /// where the first record is the crc record carrying the previous segment's value).
    /// `isLast` says whether damage may be a torn tail rather than corruption.
    public static func scan(path: String, from offset: Int, crc: UInt32, isLast: Bool) -> Scan {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            return Scan(records: [], nextOffset: offset, crc: crc, stop: .corrupt(.unreadable(path: path, reason: reason)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return Scan(records: [], nextOffset: offset, crc: crc, stop: .corrupt(.unreadable(path: path, reason: "fstat failed")))
        }
        let size = Int(info.st_size)
        var reader = FrameReader(fd: fd, path: path, size: size, isLast: isLast, crc: crc)
        var records: [(EtcdWALRecord, Int)] = []
        var position = offset
        while true {
            switch reader.frame(at: position) {
            case .record(let record, let next):
                records.append((record, position))
                position = next
            case .stop(let stop):
                return Scan(records: records, nextOffset: position, crc: reader.crc, stop: stop)
            }
        }
    }

    /// The size of the file at `path`, nil if it cannot be read.
    public static func size(of path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Reads one frame at a time with `pread`, so a 64 MB preallocated segment costs only what it holds.
    struct FrameReader {
        enum Step {
            case record(EtcdWALRecord, next: Int)
            case stop(Stop)
        }

        let fd: Int32
        let path: String
        let size: Int
        let isLast: Bool
        var crc: UInt32

        func read(_ offset: Int, _ count: Int) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = buffer.withUnsafeMutableBytes { raw in
                    pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
                }
                if n < 0 { if errno == EINTR { continue }; return nil }
                if n == 0 { break }
                done += n
            }
            return done == count ? buffer : Array(buffer.prefix(done))
        }

        func torn(_ offset: Int, _ reason: String) -> Step {
            .stop(.torn(EtcdWALTornTail(file: path, offset: offset, reason: reason)))
        }

        func corrupt(_ error: EtcdWALError) -> Step { .stop(.corrupt(error)) }

        mutating func frame(at offset: Int) -> Step {
            let remaining = size - offset
            if remaining <= 0 { return .stop(.end) }
            guard let word = read(offset, min(8, remaining)) else {
                return corrupt(.unreadable(path: path, reason: "pread at \(offset) failed"))
            }
            if word.count < 8 {
                if word.allSatisfy({ $0 == 0 }) { return .stop(.end) }
                return isLast ? torn(offset, "length word cut short (\(word.count) of 8 B)")
                    : corrupt(.truncated(file: path, offset: offset, needed: 8, available: word.count))
            }
            var field: UInt64 = 0
            for i in 0..<8 { field |= UInt64(word[i]) << (8 * UInt64(i)) }
            if field == 0 { return .stop(.end) }
            let recordBytes = field & 0x00FF_FFFF_FFFF_FFFF
            let padding = field >> 63 == 1 ? Int((field >> 56) & 0x7) : 0
            guard recordBytes < UInt64(EtcdSegmentReader.maxRecordBytes - padding) else {
                return corrupt(.recordTooLarge(file: path, offset: offset, bytes: recordBytes, limit: EtcdSegmentReader.maxRecordBytes))
            }
            let frameBytes = Int(recordBytes) + padding
            let available = remaining - 8
            if frameBytes > available {
                return isLast ? torn(offset, "frame of \(8 + frameBytes) B cut short at \(8 + available) B")
                    : corrupt(.truncated(file: path, offset: offset, needed: 8 + frameBytes, available: remaining))
            }
            // The padding is read too: etcd's torn-write test looks at it with the record.
            guard let padded = read(offset + 8, frameBytes), padded.count == frameBytes else {
                return corrupt(.unreadable(path: path, reason: "pread at \(offset + 8) failed"))
            }
            let body = padded.prefix(Int(recordBytes))
            let decoded: (type: Int64, crc: UInt32, data: [UInt8])
            do throws(ProtoWireError) {
                let m = try ProtoMessage(body)
                guard m.conforms(to: [1: .varint, 2: .varint, 3: .bytes]), m.uint(2) <= UInt64(UInt32.max) else {
                    throw ProtoWireError(reason: "not a walpb.Record", offset: 0)
                }
                decoded = (m.int(1), UInt32(m.uint(2)), m.bytes(3))
            } catch {
                if isLast && hasZeroSector(padded, at: offset + 8) { return torn(offset, "record partly zeros (unsynced write)") }
                return corrupt(.malformed(file: path, offset: offset, reason: error.description))
            }
            if offset == 0 && decoded.type != Int64(RecordType.crc.rawValue) {
                return corrupt(.malformed(file: path, offset: 0, reason: "segment starts with record type \(decoded.type), not a crc record"))
            }
            if decoded.type == Int64(RecordType.crc.rawValue) {
                // The crc record carries the running value; 0 so far means the chain starts here.
                if crc != 0 && crc != decoded.crc {
                    return corrupt(.crcChainBroken(file: path, offset: offset, carried: decoded.crc, expected: crc))
                }
                crc = decoded.crc
                return .record(.crc(decoded.crc), next: offset + 8 + frameBytes)
            }
            let computed = CRC32C.update(crc, decoded.data)
            guard computed == decoded.crc else {
                if isLast && hasZeroSector(padded, at: offset + 8) { return torn(offset, "record partly zeros (unsynced write)") }
                return corrupt(.crcMismatch(file: path, offset: offset, stored: decoded.crc, computed: computed))
            }
            do {
                let record = try EtcdWALRecord.decode(type: decoded.type, crc: decoded.crc, data: decoded.data)
                crc = computed
                return .record(record, next: offset + 8 + frameBytes)
            } catch {
                return corrupt(.malformed(file: path, offset: offset, reason: error.reason))
            }
        }

        /// Whether a sector-aligned piece of `body` (at file offset `start`) is all zeros: the
        /// shape of a write the disk did not finish, as etcd's own torn-entry check reads it.
        func hasZeroSector(_ body: [UInt8], at start: Int) -> Bool {
            var index = 0
            while index < body.count {
                let fileOffset = start + index
                let chunk = min(body.count - index, EtcdSegmentReader.sectorBytes - fileOffset % EtcdSegmentReader.sectorBytes)
                if body[index..<(index + chunk)].allSatisfy({ $0 == 0 }) { return true }
                index += chunk
            }
            return false
        }
    }
}
