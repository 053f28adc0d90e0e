#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The position of etcd's newest snapshot file (`<member>/snap/%016x-%016x.snap`, term and
/// index): snappb.Snapshot {crc, data} around a raftpb.Snapshot, of which only the metadata is
/// read, to say where a dump's entries start.
public struct EtcdSnapshotFile: Sendable, Hashable {
    public var name: String
    public var term: UInt64
    public var index: UInt64
    public var voters: [UInt64]
    public var dataBytes: Int

    /// The newest snapshot in `directory`, nil when it holds none; an error when it does not decode.
    public static func newest(in directory: String) throws(EtcdWALError) -> EtcdSnapshotFile? {
        let names = ((try? PosixFileSystem().list(directory)) ?? []).filter { $0.hasSuffix(".snap") }.sorted()
        guard let name = names.last else { return nil }
        let path = directory + "/" + name
        let bytes = try readFileReadOnly(path)
        do throws(ProtoWireError) {
            let outer = try ProtoMessage(bytes)
            let data = outer.bytes(2)
            guard CRC32C.checksum(data) == UInt32(truncatingIfNeeded: outer.uint(1)) else {
                throw ProtoWireError(reason: "crc mismatch", offset: 0)
            }
            let snapshot = try ProtoMessage(data)
            let metadata = try ProtoMessage(snapshot.bytes(2))
            let confState = try ProtoMessage(metadata.bytes(1))
            let voters = confState.fields.filter { $0.number == 1 }.compactMap(\.varint)
            return EtcdSnapshotFile(name: name, term: metadata.uint(3), index: metadata.uint(2), voters: voters,
                                    dataBytes: snapshot.bytes(1).count)
        } catch {
            throw .malformed(file: path, offset: 0, reason: error.reason)
        }
    }
}

/// The whole of a file, opened read-only (etcd's files may be its own, mode 0600 or locked).
func readFileReadOnly(_ path: String) throws(EtcdWALError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: "fstat failed") }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw .unreadable(path: path, reason: "pread at \(done) failed") }
        done += n
    }
    return bytes
}
