/// A WAL segment's name, `%016x-%016x.wal`: its sequence number and the index of the first
/// entry written after it was cut.
public struct SegmentName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var sequence: UInt64
    public var index: UInt64

    public init(sequence: UInt64, index: UInt64) {
        self.sequence = sequence
        self.index = index
    }

    /// Parses exactly the names `fileName` produces.
    public init?(fileName: String) {
        let parts = fileName.utf8
        guard parts.count == 37, fileName.hasSuffix(".wal") else { return nil }
        let sequenceText = fileName.prefix(16)
        let separator = fileName.dropFirst(16).prefix(1)
        let indexText = fileName.dropFirst(17).prefix(16)
        guard separator == "-", sequenceText.allSatisfy(\.isHexDigit), indexText.allSatisfy(\.isHexDigit),
            let sequence = UInt64(sequenceText, radix: 16), let index = UInt64(indexText, radix: 16)
        else { return nil }
        self.init(sequence: sequence, index: index)
    }

    public var fileName: String {
        hexDigits(sequence, width: 16) + "-" + hexDigits(index, width: 16) + ".wal"
    }

    public var description: String { fileName }

    public static func < (a: SegmentName, b: SegmentName) -> Bool {
        (a.sequence, a.index) < (b.sequence, b.index)
    }
}

enum Segments {
    /// Suffix of a segment being written before it is renamed into place.
    static let temporarySuffix = ".tmp"

    /// The segments in `directory`, in sequence order, with no sequence number missing.
    static func list(fs: any FileSystem, directory: String) throws(WALError) -> [SegmentName] {
        let names: [String]
        do {
            names = try fs.list(directory)
        } catch {
            throw .fileSystem(error)
        }
        let segments = names.compactMap(SegmentName.init(fileName:)).sorted()
        for (previous, next) in zip(segments, segments.dropFirst()) where next.sequence != previous.sequence + 1 {
            throw .missingSegment(after: previous.fileName, next: next.fileName)
        }
        return segments
    }

    /// The position of the last segment whose first index is at most `index`: the segment
    /// where reading from `index` starts (etcd's searchIndex).
    static func position(containing index: UInt64, in segments: [SegmentName]) -> Int? {
        segments.lastIndex { $0.index <= index }
    }
}
