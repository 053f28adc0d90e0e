/// The seam through which the WAL and the snapshotter touch storage: real POSIX files
/// (`PosixFileSystem`) or an in-memory disk that can crash (`SimulatedDisk`).
///
/// Paths are plain strings joined with `/`. Durability follows POSIX: bytes written to a file
/// survive a crash only after `DiskFile.sync()`, and a created, renamed or removed name only
/// after `syncDirectory` on its directory.
public protocol FileSystem: Sendable {
    /// Opens an existing file for reading and appending.
    func open(_ path: String) throws(FileSystemError) -> any DiskFile
    /// Creates a new, empty file; fails if the name exists.
    func create(_ path: String) throws(FileSystemError) -> any DiskFile
    /// Names in a directory (files and directories), without `.` and `..`, in no particular order.
    func list(_ directory: String) throws(FileSystemError) -> [String]
    /// Creates a directory and its missing parents; succeeds if it exists.
    func makeDirectory(_ path: String) throws(FileSystemError)
    /// Whether a file or directory has this name.
    func exists(_ path: String) -> Bool
    /// Replaces `destination`, if any, with `source`, atomically.
    func rename(_ source: String, to destination: String) throws(FileSystemError)
    /// Removes a file.
    func remove(_ path: String) throws(FileSystemError)
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(FileSystemError)
    /// Takes an exclusive lock on `path` (created if missing) without waiting; it is held until
    /// `FileLock.unlock()` or the process ends. Throws `.locked` if another holder has it,
    /// in this process or another.
    func lock(_ path: String) throws(FileSystemError) -> any FileLock
}

/// An open file. Reads see every write made so far; durability needs `sync()`.
public protocol DiskFile: AnyObject {
    /// The file's path, as it was opened.
    var path: String { get }
    /// The current length in bytes.
    func size() throws(FileSystemError) -> Int
    /// Fills `buffer` from `offset` on; returns how many bytes it read, fewer than
    /// `buffer.count` only at the end of the file.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int
    /// Writes all of `bytes` at the end of the file.
    func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError)
    /// Writes all of `bytes` at `offset`, over what is there; past the end, the file grows (a
    /// gap reads as zeros).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(FileSystemError)
    /// Makes the file at least `length` bytes long, the new bytes zeros, with the space
    /// allocated now (etcd preallocates WAL segments so that an fdatasync after each write does
    /// not also have to record a new file size).
    func preallocate(to length: Int) throws(FileSystemError)
    /// Makes the file's data durable (fdatasync).
    func sync() throws(FileSystemError)
    /// Cuts the file to `length` bytes.
    func truncate(to length: Int) throws(FileSystemError)
    /// Releases the handle; further calls are a programming error.
    func close()
}

extension DiskFile {
    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    public func read(at offset: Int, count: Int) throws(FileSystemError) -> [UInt8] {
        var failure: FileSystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FileSystemError) {
                initialized = try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads the whole file.
    public func readAll() throws(FileSystemError) -> [UInt8] {
        try read(at: 0, count: try size())
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: Int) throws(FileSystemError) {
        var failure: FileSystemError?
        bytes.withUnsafeBytes { buffer in
            do throws(FileSystemError) { try write(buffer, at: offset) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` at the end of the file.
    public func append(_ bytes: [UInt8]) throws(FileSystemError) {
        try append(bytes[...])
    }

    /// Writes all of `bytes` at the end of the file.
    public func append(_ bytes: ArraySlice<UInt8>) throws(FileSystemError) {
        var failure: FileSystemError?
        bytes.withUnsafeBytes { buffer in
            do throws(FileSystemError) { try append(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// An exclusive lock held on a file; see `FileSystem.lock`.
public protocol FileLock: AnyObject {
    func unlock()
}

/// A failed file-system call: what was attempted, on which path, and why.
public struct FileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// The system call failed with this errno.
        case errno(Int32)
        case notFound
        case alreadyExists
        /// Another holder has the lock.
        case locked
    }

    /// The call that failed, such as `open` or `fdatasync`.
    public var operation: String
    public var path: String
    public var reason: Reason

    public init(operation: String, path: String, reason: Reason) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .errno(let code): "\(operation) \(path): \(systemErrorMessage(code)) (errno \(code))"
        case .notFound: "\(operation) \(path): no such file or directory"
        case .alreadyExists: "\(operation) \(path): file exists"
        case .locked: "\(operation) \(path): locked by another process or WAL instance"
        }
    }
}

/// Joins path components with `/`.
func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
