import ArgumentParser
import Cluster
import Foundation
import Server

/// `rafttop snapshot restore FILE --data-dir DIR`: etcd's `snapshot restore`, for a file that
/// `etcdctl snapshot save` wrote from a rafttop member.
struct SnapshotRestore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Write a data directory that starts a new cluster holding a snapshot's keys.",
        discussion: """
            FILE is what `etcdctl snapshot save` wrote from a rafttop member. Its size, sha256, \
            header and state are checked before anything is written. Then `rafttop serve \
            --data-dir DIR --members N` (or `rafttop --data-dir DIR --members N`) starts a \
            cluster of N members that holds the snapshot's keys, revisions, users, roles, leases and \
            alarms, at the revision the snapshot was taken.
            """
    )

    /// Twice etcd's default space quota: a state larger than that cannot have come from a
    /// member that kept to a quota, and the whole file is read into memory.
    static let maxBytesDefault = 2 * Int(SpaceQuota.etcdDefaultBytes)

    @Argument(help: "The snapshot file.")
    var file: String

    @Option(name: .customLong("data-dir"), help: "The data directory to write (new, or without member data).")
    var dataDirectory: String

    @Option(help: "Members of the new cluster (1 to 7); serve it with the same --members.")
    var members: Int = 3

    @Option(help: "Refuse a file larger than this many bytes.")
    var maxBytes: Int = SnapshotRestore.maxBytesDefault

    func validate() throws {
        guard ClusterConfig.memberRange.contains(members) else {
            throw ValidationError("--members must be from \(ClusterConfig.memberRange.lowerBound) to \(ClusterConfig.memberRange.upperBound)")
        }
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be above 0") }
    }

    func run() throws {
        let contents: SnapshotContents
        do {
            contents = try SnapshotFile.decode(try Self.read(file, maxBytes: maxBytes))
        } catch {
            return try fail("cannot restore \(file): \(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            try ClusterConfig.restoreDataDirectory(dataDirectory, memberCount: members, from: contents)
        } catch {
            return try fail("cannot restore into \(dataDirectory): \(error)")
        }
        print("restored \(file) into \(dataDirectory): \(members) member\(members == 1 ? "" : "s"), "
            + "revision \(contents.revision), \(contents.keyCount) key\(contents.keyCount == 1 ? "" : "s")")
        print("serve it with: rafttop serve --data-dir \(dataDirectory) --members \(members)")
    }

    private func fail(_ message: String) throws {
        FileHandle.standardError.write(Data("rafttop snapshot restore: \(message)\n".utf8))
        throw ExitCode.failure
    }

    /// Reads the whole file, refusing one larger than `maxBytes` before reading any of it and
    /// reading no more than that even if it grows meanwhile.
    static func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw RestoreReadError.cannotOpen }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        guard size <= maxBytes else { throw SnapshotFileError.tooLarge(bytes: size, limitBytes: maxBytes) }
        try handle.seek(toOffset: 0)
        let data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        guard data.count <= maxBytes else { throw SnapshotFileError.tooLarge(bytes: data.count, limitBytes: maxBytes) }
        return [UInt8](data)
    }
}

/// A snapshot file that cannot be read at all.
enum RestoreReadError: Error, CustomStringConvertible {
    case cannotOpen

    var description: String {
        switch self {
        case .cannotOpen: "the file does not exist or cannot be opened"
        }
    }
}
