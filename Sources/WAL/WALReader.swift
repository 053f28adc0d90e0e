import Raft

/// Where a crash tore the end of the last segment: every record before `offset` is whole.
public struct TornTail: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var offset: Int
    public var fileBytes: Int
    public var reason: String

    public var description: String {
        "torn tail in \(file) at byte \(offset) of \(fileBytes): \(reason)"
    }
}

/// What a WAL holds from a starting point on.
public struct WALReadResult: Sendable {
    public var metadata: WALMetadata?
    /// The last hard state saved.
    public var hardState = HardState()
    /// The entries after the start, with later records replacing conflicting suffixes.
    public var entries: [Entry] = []
    /// Snapshot markers met on the way, in order.
    public var snapshots: [WALSnapshot] = []
    public var tornTail: TornTail?
    /// The corruption that stopped reading; the fields above hold what came before it.
    public var corruption: WALError?

    /// Whether the marker of the snapshot read from was found.
    var matchedStart = false
    var segments: [SegmentName] = []
    /// Where the last whole record of the last segment ends, and the CRC there.
    var validBytesInLastSegment = 0
    var crc: UInt32 = 0
}

/// Reads WAL segments without changing them.
public enum WALReader {
    /// Reads the WAL in `directory` from the snapshot `start` (etcd's ReadAll): entries at or
    /// before `start.index` are skipped, and its marker must be present. With no `start`, reads
    /// every segment present and keeps every entry. Throws on I/O failure or a missing
    /// segment; reports corruption and a torn tail in the result.
    public static func read(
        fs: any FileSystem, directory: String, from start: WALSnapshot?
    ) throws(WALError) -> WALReadResult {
        var result = WALReadResult()
        let segments = try Segments.list(fs: fs, directory: directory)
        guard let last = segments.last else { throw .noWAL(directory: directory) }
        let first: Int
        if let start {
            guard let position = Segments.position(containing: start.index, in: segments) else {
                throw .noSegmentForIndex(start.index, firstSegment: segments[0].fileName)
            }
            first = position
        } else {
            first = 0
        }
        result.segments = segments
        var base: UInt64? = start?.index
        var crc: UInt32?
        // One buffer, grown to the largest segment, serves every segment.
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: Frame.alignment)
        defer { buffer.deallocate() }
        for segment in segments[first...] {
            let path = joinPath(directory, segment.fileName)
            let bytes: UnsafeRawBufferPointer
            do {
                let file = try fs.open(path)
                defer { file.close() }
                let size = try file.size()
                if buffer.count < size {
                    buffer.deallocate()
                    buffer = .allocate(byteCount: size, alignment: Frame.alignment)
                }
                let count = try file.read(at: 0, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<size]))
                bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            } catch {
                throw .fileSystem(error)
            }
            var decoder = SegmentDecoder(bytes: bytes, isLastSegment: segment == last, carriedCRC: crc)
            decoding: while true {
                switch decoder.next() {
                case .record(let record, let offset):
                    if let problem = apply(record, start: start, base: &base, to: &result) {
                        result.corruption = .corrupt(file: path, offset: offset, problem: problem)
                        return result
                    }
                case .end:
                    break decoding
                case .torn(let offset, let reason):
                    result.tornTail = TornTail(file: path, offset: offset, fileBytes: bytes.count, reason: reason)
                    break decoding
                case .corrupt(let offset, let problem):
                    result.corruption = .corrupt(file: path, offset: offset, problem: problem)
                    return result
                }
            }
            if result.metadata == nil {
                result.corruption = .corrupt(file: path, offset: 0, problem: .missingMetadata)
                return result
            }
            crc = decoder.crc
            result.validBytesInLastSegment = decoder.offset
        }
        result.crc = crc ?? 0
        return result
    }

    /// Folds one record into the result; returns what is wrong with it, if anything.
    private static func apply(
        _ record: WALRecord, start: WALSnapshot?, base: inout UInt64?, to result: inout WALReadResult
    ) -> WALCorruption? {
        switch record {
        case .entry(let entry):
            if let start, entry.index <= start.index { return nil }
            guard entry.index > 0 else { return .zeroEntryIndex }
            let first: UInt64
            if let base, entry.index > base {
                first = base
            } else {
                // Reading everything: the first entry, or one replacing all entries kept so far.
                result.entries.removeAll()
                first = entry.index - 1
                base = first
            }
            let position = Int(entry.index - first - 1)
            guard position <= result.entries.count else {
                return .entryGap(expectedAtMost: first + UInt64(result.entries.count) + 1, found: entry.index)
            }
            if position < result.entries.count {
                result.entries.removeSubrange(position...)
            }
            result.entries.append(entry)
        case .hardState(let state):
            result.hardState = state
        case .metadata(let metadata):
            if let expected = result.metadata, expected != metadata {
                return .metadataConflict(expected: expected, found: metadata)
            }
            result.metadata = metadata
        case .snapshot(let snapshot):
            result.snapshots.append(snapshot)
            // Reading everything: a follower that installed a snapshot from its leader continues
            // after the snapshot's index, so entries before it no longer form the log.
            if start == nil, let known = base, snapshot.index > known + UInt64(result.entries.count) {
                result.entries.removeAll()
                base = snapshot.index
            }
            if let start, snapshot.index == start.index {
                guard snapshot.term == start.term else {
                    return .snapshotTermMismatch(index: start.index, expectedTerm: start.term, foundTerm: snapshot.term)
                }
                result.matchedStart = true
            }
        case .crc:
            break
        }
        return nil
    }
}
