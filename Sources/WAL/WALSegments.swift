extension WAL {
    /// Starts a new segment once the current one is full (etcd's cut): the current segment is
    /// synced, and the new one, opening with the carried CRC, the metadata and the last hard
    /// state, is written and synced under a temporary name, then renamed into place.
    func cut() throws(WALError) {
        try syncFile()
        guard let current = segments.last else { preconditionFailure("a WAL always has a segment") }
        let name = SegmentName(sequence: current.sequence + 1, index: lastIndex + 1)
        var header: [UInt8] = []
        encoder.appendCRC(to: &header)
        encoder.appendMetadata(metadata, to: &header)
        if !hardState.isEmpty { encoder.appendHardState(hardState, to: &header) }
        let started = options.clockNanos()
        let next: any DiskFile
        let allocated: Int
        do {
            (next, allocated) = try Self.installSegment(fs: fs, directory: directory, name: name, header: header, options: options)
        } catch {
            throw poisoned(error)
        }
        let micros = (options.clockNanos() &- started) / 1000
        stats.fsyncCount += 1
        stats.fsyncMicrosLast = micros
        stats.fsyncMicrosTotal += micros
        file.close()
        file = next
        segments.append(name)
        segmentBytes = header.count
        allocatedBytes = allocated
        stats.bytesWritten += header.count
        stats.segmentCount = segments.count
    }

    /// Removes the segments wholly before the snapshot at `snapshotIndex`: every segment
    /// before the one reading from that snapshot starts in. Returns how many were removed.
    @discardableResult
    public func releaseSegments(before snapshotIndex: UInt64) throws(WALError) -> Int {
        guard let keep = Segments.position(containing: snapshotIndex, in: segments), keep > 0 else { return 0 }
        do {
            for segment in segments[..<keep] {
                try fs.remove(joinPath(directory, segment.fileName))
            }
            try fs.syncDirectory(directory)
        } catch {
            throw .fileSystem(error)
        }
        segments.removeFirst(keep)
        stats.segmentCount = segments.count
        monitor.record([]) { [stats] in $0 = stats }
        return keep
    }

    /// Writes a complete segment under a temporary name (its first chunk preallocated, when
    /// the options say so), syncs it, renames it into place and syncs the directory, so the
    /// segment appears whole or not at all. Returns it open, with its length on disk.
    static func installSegment(
        fs: any FileSystem, directory: String, name: SegmentName, header: [UInt8], options: WALOptions
    ) throws(FileSystemError) -> (file: any DiskFile, allocatedBytes: Int) {
        let path = joinPath(directory, name.fileName)
        let temporaryPath = path + Segments.temporarySuffix
        if fs.exists(temporaryPath) { try fs.remove(temporaryPath) }
        let temporary = try fs.create(temporaryPath)
        defer { temporary.close() }
        try temporary.append(header)
        let allocated = options.allocationTarget(covering: header.count + 1) ?? header.count
        if allocated > header.count { try temporary.preallocate(to: allocated) }
        try temporary.sync()
        try fs.rename(temporaryPath, to: path)
        try fs.syncDirectory(directory)
        return (try fs.open(path), allocated)
    }

    /// Takes the directory's lock, so no other process or instance opens the same WAL.
    static func lockDirectory(fs: any FileSystem, directory: String) throws(WALError) -> any FileLock {
        do {
            return try fs.lock(joinPath(directory, lockFileName))
        } catch {
            if error.reason == .locked { throw .locked(directory: directory) }
            if error.reason == .notFound { throw .noWAL(directory: directory) }
            throw .fileSystem(error)
        }
    }

    /// Removes segments a crash left half-made under their temporary names.
    static func removeTemporaries(fs: any FileSystem, directory: String) throws(WALError) {
        do {
            for name in try fs.list(directory) where name.hasSuffix(".wal" + Segments.temporarySuffix) {
                try fs.remove(joinPath(directory, name))
            }
        } catch {
            throw .fileSystem(error)
        }
    }
}
