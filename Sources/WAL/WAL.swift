import Raft

/// A member's write-ahead log: Raft's entries, hard states and snapshot markers in framed,
/// CRC-chained records across segment files in one directory (etcd's server/storage/wal).
///
/// One instance owns the directory, enforced by a lock. It is not thread-safe: the member's
/// raft loop drives it; other threads read `monitor`. After any write fails the WAL refuses
/// further writes, since what reached the disk is unknown.
public final class WAL {
    public let directory: String
    public let metadata: WALMetadata
    /// Stats and recent records, for a UI on another thread.
    public let monitor: WALMonitor
    /// The index of the last entry written, or of the snapshot read from.
    public private(set) var lastIndex: UInt64

    let fs: any FileSystem
    let options: WALOptions
    private let lock: any FileLock
    var file: any DiskFile
    var segments: [SegmentName]
    /// Bytes of records in the current (last) segment: where the next write goes. A
    /// preallocated segment holds zeros after them.
    var segmentBytes: Int
    /// The current segment's length on disk, preallocated space included.
    var allocatedBytes: Int
    var encoder: RecordEncoder
    /// The last hard state saved, written again at the head of each new segment.
    var hardState: HardState
    var stats = WALStats()
    private var failure: WALError?
    private var isClosed = false
    /// Reused between saves so a save allocates nothing once warm.
    private var buffer: [UInt8] = []
    private var summaries: [WALRecordSummary] = []

    static let lockFileName = "wal.lock"

    private init(
        fs: any FileSystem, directory: String, options: WALOptions, lock: any FileLock, metadata: WALMetadata,
        file: any DiskFile, allocatedBytes: Int, segments: [SegmentName], segmentBytes: Int, crc: UInt32,
        hardState: HardState, lastIndex: UInt64
    ) {
        self.fs = fs
        self.directory = directory
        self.options = options
        self.lock = lock
        self.metadata = metadata
        self.file = file
        self.segments = segments
        self.segmentBytes = segmentBytes
        self.allocatedBytes = allocatedBytes
        self.encoder = RecordEncoder(crc: crc)
        self.hardState = hardState
        self.lastIndex = lastIndex
        self.monitor = WALMonitor(tailCapacity: options.tailCapacity)
        stats.lastIndex = lastIndex
        stats.segmentCount = segments.count
        monitor.record([]) { [stats] in $0 = stats }
    }

    /// Creates a WAL in `directory` (made if missing): a first segment holding the metadata
    /// and an empty snapshot marker, made durable before this returns.
    public static func create(
        fs: any FileSystem, directory: String, metadata: WALMetadata, options: WALOptions = WALOptions()
    ) throws(WALError) -> WAL {
        do {
            try fs.makeDirectory(directory)
        } catch {
            throw .fileSystem(error)
        }
        let lock = try lockDirectory(fs: fs, directory: directory)
        guard try Segments.list(fs: fs, directory: directory).isEmpty else { throw .walExists(directory: directory) }
        try removeTemporaries(fs: fs, directory: directory)
        var encoder = RecordEncoder(crc: 0)
        var header: [UInt8] = []
        encoder.appendCRC(to: &header)
        encoder.appendMetadata(metadata, to: &header)
        encoder.appendSnapshot(WALSnapshot(), to: &header)
        let name = SegmentName(sequence: 0, index: 0)
        let file: any DiskFile
        let allocated: Int
        do {
            (file, allocated) = try installSegment(fs: fs, directory: directory, name: name, header: header, options: options)
            if let parent = parentPath(of: directory) { try fs.syncDirectory(parent) }
        } catch {
            throw .fileSystem(error)
        }
        let wal = WAL(
            fs: fs, directory: directory, options: options, lock: lock, metadata: metadata, file: file,
            allocatedBytes: allocated, segments: [name], segmentBytes: header.count, crc: encoder.crc,
            hardState: HardState(), lastIndex: 0)
        wal.stats.bytesWritten = header.count
        return wal
    }

    /// Opens the WAL in `directory` for appending, reading it from the snapshot `start`:
    /// returns the WAL and what it holds after `start`. A torn tail left by a crash is
    /// repaired first (the broken file is kept beside it as `.broken`); corruption anywhere
    /// else fails with the file and byte offset.
    public static func open(
        fs: any FileSystem, directory: String, from start: WALSnapshot = WALSnapshot(),
        options: WALOptions = WALOptions()
    ) throws(WALError) -> (wal: WAL, contents: WALReadResult) {
        let lock = try lockDirectory(fs: fs, directory: directory)
        try removeTemporaries(fs: fs, directory: directory)
        let contents = try WALReader.read(fs: fs, directory: directory, from: start)
        if let corruption = contents.corruption { throw corruption }
        guard contents.matchedStart else { throw .snapshotNotFound(start, directory: directory) }
        guard let metadata = contents.metadata, let last = contents.segments.last else {
            preconditionFailure("a read without corruption has metadata and segments")
        }
        if let torn = contents.tornTail {
            try repairTail(fs: fs, directory: directory, torn: torn)
        }
        let file: any DiskFile
        let allocated: Int
        do {
            file = try fs.open(joinPath(directory, last.fileName))
            allocated = try file.size()
        } catch {
            throw .fileSystem(error)
        }
        let wal = WAL(
            fs: fs, directory: directory, options: options, lock: lock, metadata: metadata, file: file,
            allocatedBytes: allocated, segments: contents.segments, segmentBytes: contents.validBytesInLastSegment,
            crc: contents.crc, hardState: contents.hardState, lastIndex: contents.entries.last?.index ?? start.index)
        return (wal, contents)
    }

    /// Appends entries, then the hard state if it is not empty, in one write; when `mustSync`
    /// (Raft's MustSync), makes them durable with one fdatasync for the whole batch. Cutting
    /// a full segment syncs as well.
    public func save(hardState: HardState, entries: [Entry], mustSync: Bool) throws(WALError) {
        try checkUsable()
        if hardState.isEmpty && entries.isEmpty { return }
        for entry in entries {
            let bytes = RecordEncoder.frameBytes(ofEntry: entry)
            if bytes - Frame.lengthBytes > Frame.maxBodyBytes {
                throw .recordTooLarge(index: entry.index, bytes: entry.data.count, limitBytes: Frame.maxBodyBytes)
            }
        }
        if let first = entries.first {
            precondition(first.index >= 1 && first.index <= lastIndex + 1, "entry \(first.index) leaves a gap after \(lastIndex)")
        }
        buffer.removeAll(keepingCapacity: true)
        summaries.removeAll(keepingCapacity: true)
        var expectedIndex = entries.first?.index ?? 0
        for entry in entries {
            precondition(entry.index == expectedIndex, "entries of one save must be consecutive")
            expectedIndex += 1
            let start = buffer.count
            encoder.appendEntry(entry, to: &buffer)
            summaries.append(WALRecordSummary(
                kind: .entry(entry.type), index: entry.index, term: entry.term, sizeBytes: buffer.count - start))
        }
        if !hardState.isEmpty {
            let start = buffer.count
            encoder.appendHardState(hardState, to: &buffer)
            summaries.append(WALRecordSummary(
                kind: .hardState(commit: hardState.commit, vote: hardState.vote), index: hardState.commit,
                term: hardState.term, sizeBytes: buffer.count - start))
            self.hardState = hardState
        }
        try writeBuffer()
        if let last = entries.last { lastIndex = last.index }
        stats.lastIndex = lastIndex
        if segmentBytes >= options.segmentSizeBytes {
            try cut()
        } else if mustSync {
            try syncFile()
        }
        monitor.record(summaries) { [stats] in $0 = stats }
    }

    /// Records that a snapshot was taken at `snapshot`, durably, so the WAL can later be
    /// read from it.
    public func saveSnapshot(_ snapshot: WALSnapshot) throws(WALError) {
        try checkUsable()
        buffer.removeAll(keepingCapacity: true)
        encoder.appendSnapshot(snapshot, to: &buffer)
        let summary = WALRecordSummary(kind: .snapshot, index: snapshot.index, term: snapshot.term, sizeBytes: buffer.count)
        try writeBuffer()
        lastIndex = max(lastIndex, snapshot.index)
        stats.lastIndex = lastIndex
        try syncFile()
        monitor.record(CollectionOfOne(summary)) { [stats] in $0 = stats }
    }

    /// Makes everything written so far durable.
    public func sync() throws(WALError) {
        try checkUsable()
        try syncFile()
        monitor.record([]) { [stats] in $0 = stats }
    }

    /// Syncs, closes the segment and releases the lock.
    public func close() throws(WALError) {
        guard !isClosed else { return }
        defer {
            isClosed = true
            file.close()
            lock.unlock()
        }
        if failure == nil { try syncFile() }
    }

    private func checkUsable() throws(WALError) {
        precondition(!isClosed, "use of a closed WAL")
        if let failure { throw failure }
    }

    private func writeBuffer() throws(WALError) {
        do {
            let end = segmentBytes + buffer.count
            if end > allocatedBytes {
                // The next chunk, allocated before the write so the write fills it.
                let target = options.allocationTarget(covering: end) ?? end
                if target > end { try file.preallocate(to: target) }
                allocatedBytes = target
            }
            try file.write(buffer, at: segmentBytes)
        } catch {
            throw poisoned(error)
        }
        segmentBytes += buffer.count
        stats.bytesWritten += buffer.count
    }

    /// One timed fdatasync of the current segment.
    func syncFile() throws(WALError) {
        let started = options.clockNanos()
        do {
            try file.sync()
        } catch {
            throw poisoned(error)
        }
        let micros = (options.clockNanos() &- started) / 1000
        stats.fsyncCount += 1
        stats.fsyncMicrosLast = micros
        stats.fsyncMicrosTotal += micros
    }

    /// Remembers a write failure: the WAL cannot know what reached the disk, so it stops.
    func poisoned(_ error: FileSystemError) -> WALError {
        let walError = WALError.fileSystem(error)
        failure = walError
        return walError
    }
}

func parentPath(of path: String) -> String? {
    let components = path.split(separator: "/", omittingEmptySubsequences: true)
    guard components.count > 1 || (path.hasPrefix("/") && components.count == 1) else { return nil }
    return (path.hasPrefix("/") ? "/" : "") + components.dropLast().joined(separator: "/")
}
