import Locking

/// An in-memory file system for deterministic simulation that can crash.
///
/// It tracks, for each file, the bytes made durable by the last `sync()` and, for each
/// directory, the names made durable by the last `syncDirectory`. `crash(using:)` keeps what
/// is durable and, from a seeded generator, keeps, loses or tears what is not. Directories
/// themselves are always durable. Handles and locks taken before a crash are dead after it.
///
/// A disk can be made slow for a while (`slowSyncs`): then a sync returns at once but its
/// bytes become durable only later in simulated time, and syncs complete in the order they
/// were issued, as a device's write queue drains. `syncsCompleteAtNanos` says when.
public final class SimulatedDisk: FileSystem {
    /// The unit a torn write zero-fills: a disk writes whole sectors or none.
    public static let sectorBytes = 512

    struct Inode {
        var current: [UInt8] = []
        var durable: [UInt8] = []
    }

    struct State {
        var inodes: [Int: Inode] = [:]
        var nextInode = 0
        var names: [String: Int] = [:]
        var durableNames: [String: Int] = [:]
        var directories: Set<String> = ["/"]
        var locks: Set<String> = []
        /// Bumped by each crash; handles remember the generation that opened them.
        var generation = 0
        var syncCount = 0
        /// Syncs issued and not yet durable, oldest first, completing in that order.
        var pendingSyncs: [PendingSync] = []
        var slowness: Slowness?
    }

    let state = Locked(State())
    /// Simulated time, for a slow disk's syncs.
    let clockNanos: @Sendable () -> UInt64

    /// A disk; `clockNanos` tells a slow disk the simulated time (a disk never made slow does
    /// not read it).
    public init(clockNanos: @escaping @Sendable () -> UInt64 = { 0 }) {
        self.clockNanos = clockNanos
    }

    public func open(_ path: String) throws(FileSystemError) -> any DiskFile {
        let path = normalized(path)
        return try state.withLock { (s) throws(FileSystemError) -> SimulatedFile in
            guard let inode = s.names[path] else {
                throw FileSystemError(operation: "open", path: path, reason: .notFound)
            }
            return SimulatedFile(disk: self, path: path, inode: inode, generation: s.generation)
        }
    }

    public func create(_ path: String) throws(FileSystemError) -> any DiskFile {
        let path = normalized(path)
        return try state.withLock { (s) throws(FileSystemError) -> SimulatedFile in
            guard s.names[path] == nil else {
                throw FileSystemError(operation: "create", path: path, reason: .alreadyExists)
            }
            guard s.directories.contains(parentDirectory(path)) else {
                throw FileSystemError(operation: "create", path: path, reason: .notFound)
            }
            let inode = s.nextInode
            s.nextInode += 1
            s.inodes[inode] = Inode()
            s.names[path] = inode
            return SimulatedFile(disk: self, path: path, inode: inode, generation: s.generation)
        }
    }

    public func list(_ directory: String) throws(FileSystemError) -> [String] {
        let dir = normalized(directory)
        return try state.withLock { (s) throws(FileSystemError) -> [String] in
            guard s.directories.contains(dir) else {
                throw FileSystemError(operation: "opendir", path: directory, reason: .notFound)
            }
            let files = s.names.keys.filter { parentDirectory($0) == dir }
            let subdirectories = s.directories.filter { $0 != "/" && parentDirectory($0) == dir }
            return (files + subdirectories).map { String($0.split(separator: "/").last ?? "") }
        }
    }

    public func makeDirectory(_ path: String) throws(FileSystemError) {
        state.withLock { s in
            var prefix = ""
            for component in normalized(path).split(separator: "/") {
                prefix += "/" + component
                s.directories.insert(prefix)
            }
        }
    }

    public func exists(_ path: String) -> Bool {
        let path = normalized(path)
        return state.withLock { s in s.names[path] != nil || s.directories.contains(path) }
    }

    public func rename(_ source: String, to destination: String) throws(FileSystemError) {
        let source = normalized(source), destination = normalized(destination)
        try state.withLock { (s) throws(FileSystemError) in
            guard let inode = s.names.removeValue(forKey: source) else {
                throw FileSystemError(operation: "rename to \(destination)", path: source, reason: .notFound)
            }
            s.names[destination] = inode
            s.dropUnreferencedInodes()
        }
    }

    public func remove(_ path: String) throws(FileSystemError) {
        let path = normalized(path)
        try state.withLock { (s) throws(FileSystemError) in
            guard s.names.removeValue(forKey: path) != nil else {
                throw FileSystemError(operation: "unlink", path: path, reason: .notFound)
            }
            s.dropUnreferencedInodes()
        }
    }

    public func syncDirectory(_ path: String) throws(FileSystemError) {
        let dir = normalized(path)
        try state.withLock { (s) throws(FileSystemError) in
            guard s.directories.contains(dir) else {
                throw FileSystemError(operation: "fsync directory", path: path, reason: .notFound)
            }
            s.syncCount += 1
            s.sync(.directory(dir, names: s.names.filter { parentDirectory($0.key) == dir }), nowNanos: clockNanos())
        }
    }

    public func lock(_ path: String) throws(FileSystemError) -> any FileLock {
        let path = normalized(path)
        return try state.withLock { (s) throws(FileSystemError) -> SimulatedLock in
            guard !s.locks.contains(path) else {
                throw FileSystemError(operation: "flock", path: path, reason: .locked)
            }
            s.locks.insert(path)
            return SimulatedLock(disk: self, path: path, generation: s.generation)
        }
    }

    /// Simulates power loss: every name and byte not yet durable is kept, lost or torn, as
    /// `generator` decides. Locks are released and open handles die.
    public func crash(using generator: inout some RandomNumberGenerator) {
        let now = clockNanos()
        state.withLock { s in
            s.abandonSyncs(atNanos: now)
            s.generation += 1
            s.locks.removeAll()
            s.names = s.durableNames
            s.dropUnreferencedInodes()
            for id in s.inodes.keys.sorted() {
                let inode = s.inodes[id]!
                let survivor = Self.survivingBytes(of: inode, using: &generator)
                s.inodes[id] = Inode(current: survivor, durable: survivor)
            }
        }
    }

    /// What a file holds after power loss: its durable bytes, then all, none, a prefix, or a
    /// prefix followed by zero-filled sectors of what was written after the last sync.
    ///
    /// Writes over a zero-filled region (a preallocated file's tail) keep the file's size, so
    /// they survive in whole sectors: the new bytes up to a sector boundary, the zeros after.
    static func survivingBytes(of inode: Inode, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        let durable = inode.durable
        let current = inode.current
        let common = min(current.count, durable.count)
        let firstChange = (0..<common).first { current[$0] != durable[$0] } ?? common
        guard current.count >= durable.count, durable[firstChange...].allSatisfy({ $0 == 0 }) else {
            // Durable bytes overwritten, or the file truncated, since the last sync: either
            // version may be on disk.
            return Bool.random(using: &generator) ? current : durable
        }
        if firstChange < durable.count {
            let choices = Array(stride(from: firstChange / sectorBytes * sectorBytes, through: current.count, by: sectorBytes))
                + [current.count]
            let kept = max(firstChange, choices.randomElement(using: &generator)!)
            return Array(current[..<kept]) + repeatElement(0, count: max(durable.count - kept, 0))
        }
        let unsynced = current.count - durable.count
        switch UInt8.random(in: 0..<4, using: &generator) {
        case 0:
            return current
        case 1:
            return durable
        case 2:
            return Array(current[..<(durable.count + Int.random(in: 0...unsynced, using: &generator))])
        default:
            let end = durable.count + Int.random(in: 0...unsynced, using: &generator)
            let tornAt = Int.random(in: durable.count...end, using: &generator)
            let zeroFrom = max(durable.count, tornAt / sectorBytes * sectorBytes)
            return Array(current[..<zeroFrom]) + [UInt8](repeating: 0, count: end - zeroFrom)
        }
    }

    // MARK: Inspection for tests and the simulator

    /// The bytes a file holds now, durable or not; nil if there is no such file.
    public func contents(of path: String) -> [UInt8]? {
        let path = normalized(path)
        return state.withLock { s in s.names[path].flatMap { s.inodes[$0]?.current } }
    }

    /// Replaces a file's bytes, durably, as a bit flip on the platter or a test would.
    public func overwrite(_ path: String, with bytes: [UInt8]) {
        let path = normalized(path)
        state.withLock { s in
            guard let id = s.names[path] else { preconditionFailure("no file \(path)") }
            s.inodes[id] = Inode(current: bytes, durable: bytes)
        }
    }

    /// How many file and directory syncs have been made.
    public var syncCount: Int { state.withLock { $0.syncCount } }

    // MARK: Handle operations

    func withInode<R>(
        _ id: Int, generation: Int, path: String, operation: String,
        _ body: (inout Inode, inout State) -> R
    ) throws(FileSystemError) -> R {
        try state.withLock { (s) throws(FileSystemError) -> R in
            // Settled first: `body` works on a copy of the inode that is stored back after it.
            s.completeSyncs(throughNanos: clockNanos())
            guard s.generation == generation, var inode = s.inodes[id] else {
                throw FileSystemError(operation: operation, path: path, reason: .errno(5))  // EIO: handle from before a crash
            }
            let result = body(&inode, &s)
            s.inodes[id] = inode
            return result
        }
    }

    func unlock(_ path: String, generation: Int) {
        state.withLock { s in
            if s.generation == generation { s.locks.remove(path) }
        }
    }
}

extension SimulatedDisk.State {
    mutating func dropUnreferencedInodes() {
        var live = Set(names.values).union(durableNames.values)
        for case .directory(_, let pendingNames) in pendingSyncs.map(\.target) {
            live.formUnion(pendingNames.values)
        }
        inodes = inodes.filter { live.contains($0.key) }
    }
}

final class SimulatedFile: DiskFile {
    let path: String
    private let disk: SimulatedDisk
    private let inode: Int
    private let generation: Int
    private var isClosed = false

    init(disk: SimulatedDisk, path: String, inode: Int, generation: Int) {
        self.disk = disk
        self.path = path
        self.inode = inode
        self.generation = generation
    }

    private func access<R>(_ operation: String, _ body: (inout SimulatedDisk.Inode, inout SimulatedDisk.State) -> R)
        throws(FileSystemError) -> R
    {
        precondition(!isClosed, "use of a closed file")
        return try disk.withInode(inode, generation: generation, path: path, operation: operation, body)
    }

    func size() throws(FileSystemError) -> Int {
        try access("fstat") { file, _ in file.current.count }
    }

    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FileSystemError) -> Int {
        precondition(offset >= 0)
        return try access("pread") { file, _ in
            let start = min(offset, file.current.count)
            let end = min(start + buffer.count, file.current.count)
            file.current[start..<end].withUnsafeBytes { buffer.copyMemory(from: $0) }
            return end - start
        }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        try access("write") { file, _ in file.current.append(contentsOf: bytes) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(FileSystemError) {
        precondition(offset >= 0)
        try access("pwrite") { file, _ in
            if file.current.count < offset + bytes.count {
                file.current.append(contentsOf: repeatElement(0, count: offset + bytes.count - file.current.count))
            }
            file.current.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[offset..<(offset + bytes.count)]).copyMemory(from: bytes) }
        }
    }

    func preallocate(to length: Int) throws(FileSystemError) {
        try access("posix_fallocate") { file, _ in
            if file.current.count < length {
                file.current.append(contentsOf: repeatElement(0, count: length - file.current.count))
            }
        }
    }

    func sync() throws(FileSystemError) {
        let now = disk.clockNanos()
        try access("fdatasync") { file, state in
            state.syncCount += 1
            if state.syncsAreInstant(atNanos: now) {
                file.durable = file.current
            } else {
                state.enqueue(.file(inode: inode, bytes: file.current), nowNanos: now)
            }
        }
    }

    func truncate(to length: Int) throws(FileSystemError) {
        try access("ftruncate") { file, _ in
            if length <= file.current.count {
                file.current.removeLast(file.current.count - length)
            } else {
                file.current.append(contentsOf: [UInt8](repeating: 0, count: length - file.current.count))
            }
        }
    }

    func close() {
        precondition(!isClosed, "file closed twice")
        isClosed = true
    }
}

final class SimulatedLock: FileLock {
    private let disk: SimulatedDisk
    private let path: String
    private let generation: Int
    private var isHeld = true

    init(disk: SimulatedDisk, path: String, generation: Int) {
        self.disk = disk
        self.path = path
        self.generation = generation
    }

    deinit { unlock() }

    func unlock() {
        guard isHeld else { return }
        isHeld = false
        disk.unlock(path, generation: generation)
    }
}

/// The path with one leading `/` and no empty components, the form names are kept in.
private func normalized(_ path: String) -> String {
    "/" + path.split(separator: "/").joined(separator: "/")
}

func parentDirectory(_ path: String) -> String {
    let components = path.split(separator: "/")
    return "/" + components.dropLast().joined(separator: "/")
}
