import Raft

/// Why a snapshot could not be saved or loaded.
public enum SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    case fileSystem(FileSystemError)
    case corrupt(file: String, problem: SnapshotCorruption)
    /// A streamed save wrote a different amount of data than its header declared.
    case dataLengthMismatch(file: String, declaredBytes: Int, writtenBytes: Int)

    public var description: String {
        switch self {
        case .fileSystem(let error): "snapshot I/O failed: \(error)"
        case .dataLengthMismatch(let file, let declared, let written):
            "snapshot \(file) was not saved: its header declares \(declared) bytes of data but \(written) were written"
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
    static let temporarySuffix = ".tmp"

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
        do {
            try save(snapshot.metadata, dataBytes: snapshot.data.count) { append in try append(snapshot.data) }
        } catch let error as SnapshotError {
            throw error
        } catch {
            preconditionFailure("writing a snapshot held in memory failed with \(error)")
        }
    }

    /// Writes a snapshot whose `dataBytes` of data `write` hands to `append` in pieces, as it
    /// encodes them: the file's CRC is computed as they go by and stored last, so no buffer of
    /// the whole snapshot is ever made. Durable as `save(_:)` makes it. Throws what `write`
    /// throws, or a `SnapshotError`; the temporary file is removed on failure.
    public func save(
        _ metadata: SnapshotMetadata, dataBytes: Int,
        write: (_ append: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        if metadata.index == 0 { return }
        let path = joinPath(directory, Self.fileName(term: metadata.term, index: metadata.index))
        let temporaryPath = path + Self.temporarySuffix
        let file: any DiskFile
        do {
            try fs.makeDirectory(directory)
            if fs.exists(temporaryPath) { try fs.remove(temporaryPath) }
            file = try fs.create(temporaryPath)
        } catch {
            throw SnapshotError.fileSystem(error)
        }
        var renamed = false
        defer {
            file.close()
            if !renamed { try? fs.remove(temporaryPath) }
        }
        let header = SnapshotCodec.header(for: metadata, dataBytes: dataBytes)
        var crc = header.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        var written = 0
        var unsynced = 0
        do {
            try file.append(header)
        } catch {
            throw SnapshotError.fileSystem(error)
        }
        try write { piece in
            try piece.withUnsafeBytes { bytes in
                crc = CRC32C.update(crc, bytes)
                var start = 0
                // Synced every `syncEveryBytes` however large the pieces are.
                while start < bytes.count {
                    let end = min(bytes.count, start + syncEveryBytes - unsynced)
                    do throws(FileSystemError) {
                        try file.append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                        unsynced += end - start
                        if unsynced == syncEveryBytes {
                            try file.sync()
                            unsynced = 0
                        }
                    } catch {
                        throw SnapshotError.fileSystem(error)
                    }
                    start = end
                }
            }
            written += piece.count
        }
        guard written == dataBytes else {
            throw SnapshotError.dataLengthMismatch(file: path, declaredBytes: dataBytes, writtenBytes: written)
        }
        do {
            var stored: [UInt8] = []
            stored.appendLittleEndian(crc)
            try file.write(stored, at: 0)
            try file.sync()
            try fs.rename(temporaryPath, to: path)
            renamed = true
            try fs.syncDirectory(directory)
        } catch {
            throw SnapshotError.fileSystem(error)
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

    /// Loads one snapshot file, reading its data straight into the one buffer the snapshot
    /// returned holds (a snapshot can be hundreds of megabytes: it is not read and then copied).
    public func load(fileName: String) throws(SnapshotError) -> Snapshot {
        let path = joinPath(directory, fileName)
        let snapshot: Snapshot
        do {
            let file = try fs.open(path)
            defer { file.close() }
            snapshot = try Self.read(file, path: path)
        } catch let error as FileSystemError {
            throw .fileSystem(error)
        } catch let error as SnapshotError {
            throw error
        } catch {
            preconditionFailure("reading \(path) failed with \(error)")
        }
        if let (term, index) = Self.position(of: fileName),
            term != snapshot.metadata.term || index != snapshot.metadata.index
        {
            throw .corrupt(file: path, problem: .nameMismatch(
                nameTerm: term, nameIndex: index, term: snapshot.metadata.term, index: snapshot.metadata.index))
        }
        return snapshot
    }

    /// The header, then the data into a buffer of exactly its length, then the CRC over both.
    private static func read(_ file: any DiskFile, path: String) throws -> Snapshot {
        let fileBytes = try file.size()
        var prefix = try file.read(at: 0, count: min(fileBytes, 4096))
        while true {
            switch SnapshotCodec.parseHeader(prefix, fileBytes: fileBytes) {
            case .corrupt(let problem):
                throw SnapshotError.corrupt(file: path, problem: problem)
            case .needsBytes(let count):
                guard count > prefix.count, count <= fileBytes else {
                    preconditionFailure("a header asks for \(count) bytes of a \(fileBytes)-byte file after \(prefix.count)")
                }
                prefix = try file.read(at: 0, count: count)
            case .header(let header):
                let dataBytes = fileBytes - header.headerBytes
                let data = try file.read(at: header.headerBytes, count: dataBytes)
                guard data.count == dataBytes else {
                    // The file shrank while it was read.
                    throw SnapshotError.corrupt(file: path, problem: .lengthMismatch(
                        field: "data length", declared: UInt64(dataBytes), availableBytes: data.count))
                }
                let computed = SnapshotCodec.crc(header: Array(prefix[..<header.headerBytes]), data: data)
                guard computed == header.storedCRC else {
                    throw SnapshotError.corrupt(file: path, problem: .crcMismatch(computed: computed, stored: header.storedCRC))
                }
                return Snapshot(metadata: header.metadata, data: data)
            }
        }
    }

    /// The newest snapshot that loads and that `accept` takes (for example, one the WAL has a
    /// marker for), and a warning for each newer one that did not load. Nil if none did.
    /// `accept` sees the position a file's name gives, so a file it refuses is not read.
    public func loadNewest(
        where accept: (WALSnapshot) -> Bool = { _ in true }
    ) throws(SnapshotError) -> (snapshot: Snapshot?, warnings: [SnapshotWarning]) {
        var warnings: [SnapshotWarning] = []
        for name in try fileNames() {
            guard let (term, index) = Self.position(of: name), accept(WALSnapshot(index: index, term: term)) else { continue }
            do throws(SnapshotError) {
                return (try load(fileName: name), warnings)
            } catch {
                warnings.append(SnapshotWarning(file: joinPath(directory, name), error: error))
            }
        }
        return (nil, warnings)
    }

    /// The data of the snapshot saved at this position, read back; nil when no such file is
    /// there (replaced by a newer one, or not yet renamed into place).
    public func loadData(term: UInt64, index: UInt64) throws(SnapshotError) -> [UInt8]? {
        let name = Self.fileName(term: term, index: index)
        guard fs.exists(joinPath(directory, name)) else { return nil }
        do throws(SnapshotError) {
            return try load(fileName: name).data
        } catch .fileSystem(let error) where error.reason == .notFound {
            return nil
        }
    }

    /// Removes every snapshot file older than the one at (`term`, `index`): once the WAL has
    /// marked that one, a restart never reads them. A newer file stays (a save of it may be
    /// about to mark it). Returns the names removed.
    @discardableResult
    public func removeOlder(thanTerm term: UInt64, index: UInt64) throws(SnapshotError) -> [String] {
        let kept = Self.fileName(term: term, index: index)
        var removed: [String] = []
        for name in try fileNames() where name < kept {
            do {
                try fs.remove(joinPath(directory, name))
            } catch {
                throw .fileSystem(error)
            }
            removed.append(name)
        }
        return removed
    }

    /// Removes the temporary files an interrupted save left (call when no save runs).
    public func removeTemporaryFiles() throws(SnapshotError) {
        do {
            guard fs.exists(directory) else { return }
            for name in try fs.list(directory) where name.hasSuffix(Self.suffix + Self.temporarySuffix) {
                try fs.remove(joinPath(directory, name))
            }
        } catch {
            throw .fileSystem(error)
        }
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
