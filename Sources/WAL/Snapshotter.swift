import Raft

/// Why a snapshot could not be saved or loaded.
public enum SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    case fileSystem(FileSystemError)
    case corrupt(file: String, problem: SnapshotCorruption)

    public var description: String {
        switch self {
        case .fileSystem(let error): "snapshot I/O failed: \(error)"
        case .corrupt(let file, let problem): "snapshot \(file) is corrupt: \(problem)"
        }
    }
}

/// A snapshot file that loading passed over, for the caller to print.
public struct SnapshotWarning: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var error: SnapshotError

    public init(file: String, error: SnapshotError) {
        self.file = file
        self.error = error
    }

    public var description: String { "skipped snapshot \(file): \(error)" }
}

/// Saves and loads snapshots as `%016x-%016x.snap` files (term, index) in one directory
/// (etcd's snap package): each protected by a CRC and written atomically.
public struct Snapshotter: Sendable {
    public let fs: any FileSystem
    public let directory: String
    /// A snapshot is synced every this many bytes as it is written, so the disk never holds
    /// more than this of it unsynced: one sync of a whole store (hundreds of MB) would hold up
    /// every WAL fsync queued behind it for as long as the disk takes to write it all.
    public let syncEveryBytes: Int

    static let suffix = ".snap"

    public init(fs: any FileSystem, directory: String, syncEveryBytes: Int = 8 << 20) {
        precondition(syncEveryBytes > 0, "a snapshot is synced every so many bytes")
        self.fs = fs
        self.directory = directory
        self.syncEveryBytes = syncEveryBytes
    }

    /// The file name a snapshot at this position has.
    public static func fileName(term: UInt64, index: UInt64) -> String {
        hexDigits(term, width: 16) + "-" + hexDigits(index, width: 16) + suffix
    }

    /// Writes `snapshot` durably: to a temporary file, synced every `syncEveryBytes` and at the
    /// end, renamed into place, with the directory synced. An empty snapshot is not written.
    public func save(_ snapshot: Snapshot) throws(SnapshotError) {
        if snapshot.isEmpty { return }
        let path = joinPath(directory, Self.fileName(term: snapshot.metadata.term, index: snapshot.metadata.index))
        let temporaryPath = path + ".tmp"
        do {
            try fs.makeDirectory(directory)
            if fs.exists(temporaryPath) { try fs.remove(temporaryPath) }
            let file = try fs.create(temporaryPath)
            defer { file.close() }
            try file.append(SnapshotCodec.header(for: snapshot))
            var written = 0
            while written < snapshot.data.count {
                let end = min(snapshot.data.count, written + syncEveryBytes)
                try file.append(snapshot.data[written..<end])
                try file.sync()
                written = end
            }
            if snapshot.data.isEmpty { try file.sync() }
            try fs.rename(temporaryPath, to: path)
            try fs.syncDirectory(directory)
        } catch {
            throw .fileSystem(error)
        }
    }

    /// Snapshot file names, newest (highest term, then index) first.
    public func fileNames() throws(SnapshotError) -> [String] {
        let names: [String]
        do {
            names = fs.exists(directory) ? try fs.list(directory) : []
        } catch {
            throw .fileSystem(error)
        }
        // Fixed-width hex names sort as (term, index) do.
        return names.filter { Self.position(of: $0) != nil }.sorted(by: >)
    }

    /// Loads one snapshot file.
    public func load(fileName: String) throws(SnapshotError) -> Snapshot {
        let path = joinPath(directory, fileName)
        let bytes: [UInt8]
        do {
            let file = try fs.open(path)
            defer { file.close() }
            bytes = try file.readAll()
        } catch {
            throw .fileSystem(error)
        }
        switch SnapshotCodec.decode(bytes) {
        case .failure(let problem):
            throw .corrupt(file: path, problem: problem)
        case .success(let snapshot):
            if let (term, index) = Self.position(of: fileName),
                term != snapshot.metadata.term || index != snapshot.metadata.index
            {
                throw .corrupt(file: path, problem: .nameMismatch(
                    nameTerm: term, nameIndex: index, term: snapshot.metadata.term, index: snapshot.metadata.index))
            }
            return snapshot
        }
    }

    /// The newest snapshot that loads and that `accept` takes (for example, one the WAL has a
    /// marker for), and a warning for each newer one that did not load. Nil if none did.
    public func loadNewest(
        where accept: (SnapshotMetadata) -> Bool = { _ in true }
    ) throws(SnapshotError) -> (snapshot: Snapshot?, warnings: [SnapshotWarning]) {
        var warnings: [SnapshotWarning] = []
        for name in try fileNames() {
            do throws(SnapshotError) {
                let snapshot = try load(fileName: name)
                if accept(snapshot.metadata) { return (snapshot, warnings) }
            } catch {
                warnings.append(SnapshotWarning(file: joinPath(directory, name), error: error))
            }
        }
        return (nil, warnings)
    }

    /// Parses `%016x-%016x.snap` into (term, index).
    static func position(of fileName: String) -> (term: UInt64, index: UInt64)? {
        guard fileName.utf8.count == 16 + 1 + 16 + suffix.utf8.count, fileName.hasSuffix(suffix) else { return nil }
        let stem = fileName.dropLast(suffix.count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 16 && $0.allSatisfy(\.isHexDigit) }),
            let term = UInt64(parts[0], radix: 16), let index = UInt64(parts[1], radix: 16)
        else { return nil }
        return (term, index)
    }
}
