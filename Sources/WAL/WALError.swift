/// What is wrong with the bytes of a WAL segment at some offset.
public enum WALCorruption: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record's CRC does not match its contents.
    case crcMismatch(type: UInt8, computed: UInt32, stored: UInt32)
    /// The length field is not one the encoder writes (too large, too small or bad padding flag).
    case invalidLength(field: UInt64)
    case unknownRecordType(UInt8)
    /// The zero bytes that align a record are not zero.
    case nonZeroPadding
    case unknownEntryType(UInt8)
    /// A fixed-size record whose payload has the wrong size.
    case malformedPayload(RecordType, payloadBytes: Int)
    /// A zero length field, as a zero-filled tail has, but with data after it.
    case zeroLengthBeforeData(nonZeroOffset: Int)
    /// The file ends inside a record where a crash cannot have torn it.
    case truncatedRecord(neededBytes: Int, availableBytes: Int)
    /// The record's length runs past EOF, yet a valid record follows it: the length is damaged.
    case lengthOverrunsValidRecord(nextRecordOffset: Int)
    /// The CRC a segment starts with differs from where the previous segment ended.
    case crcChainBroken(carried: UInt32, expected: UInt32)
    case missingCRCRecord(foundType: UInt8)
    case metadataConflict(expected: WALMetadata, found: WALMetadata)
    /// An entry whose index leaves a hole after the entries before it.
    case entryGap(expectedAtMost: UInt64, found: UInt64)
    case zeroEntryIndex
    /// A segment with no metadata record after its crc record.
    case missingMetadata
    /// The snapshot marker at the requested index has another term.
    case snapshotTermMismatch(index: UInt64, expectedTerm: UInt64, foundTerm: UInt64)

    public var description: String {
        switch self {
        case .crcMismatch(let type, let computed, let stored):
            "CRC mismatch in a record of type \(type): computed \(hex32(computed)), stored \(hex32(stored))"
        case .invalidLength(let field):
            "length field \(hex64(field)) is not a valid record length"
        case .unknownRecordType(let type):
            "unknown record type \(type)"
        case .nonZeroPadding:
            "record padding is not zero"
        case .unknownEntryType(let type):
            "entry record with unknown entry type \(type)"
        case .malformedPayload(let type, let bytes):
            "\(type) record has a payload of \(bytes) bytes"
        case .zeroLengthBeforeData(let offset):
            "zero length field, but non-zero data follows at byte \(offset)"
        case .truncatedRecord(let needed, let available):
            "record needs \(needed) bytes but the file ends after \(available)"
        case .lengthOverrunsValidRecord(let next):
            "record length runs past the end of the file, but a valid record follows at byte \(next)"
        case .crcChainBroken(let carried, let expected):
            "segment carries CRC \(hex32(carried)) but the previous segment ended with \(hex32(expected))"
        case .missingCRCRecord(let type):
            "segment starts with a record of type \(type) instead of a crc record"
        case .metadataConflict(let expected, let found):
            "metadata member \(hex64(found.memberID)) cluster \(hex64(found.clusterID)) differs from "
                + "member \(hex64(expected.memberID)) cluster \(hex64(expected.clusterID)) of earlier segments"
        case .entryGap(let expected, let found):
            "entry index \(found) leaves a gap: the next index can be at most \(expected)"
        case .zeroEntryIndex:
            "entry with index 0"
        case .missingMetadata:
            "segment has no metadata record"
        case .snapshotTermMismatch(let index, let expectedTerm, let foundTerm):
            "snapshot marker at index \(index) has term \(foundTerm), expected \(expectedTerm)"
        }
    }
}

/// Why a WAL operation failed, with what a person needs to act on it.
public enum WALError: Error, Sendable, Hashable, CustomStringConvertible {
    case fileSystem(FileSystemError)
    /// The bytes of `file` at `offset` are damaged where a crash cannot explain it; the member
    /// must not start, or it would lose acknowledged data.
    case corrupt(file: String, offset: Int, problem: WALCorruption)
    case noWAL(directory: String)
    case walExists(directory: String)
    /// Another process or WAL instance has the directory open.
    case locked(directory: String)
    /// Segment sequence numbers are not consecutive: a segment is missing.
    case missingSegment(after: String, next: String)
    /// No segment covers the index to read from; earlier segments were released.
    case noSegmentForIndex(UInt64, firstSegment: String)
    /// The WAL holds no marker for the snapshot to read from.
    case snapshotNotFound(WALSnapshot, directory: String)
    case recordTooLarge(index: UInt64, bytes: Int, limitBytes: Int)

    public var description: String {
        switch self {
        case .fileSystem(let error):
            "WAL I/O failed: \(error)"
        case .corrupt(let file, let offset, let problem):
            "WAL corrupt: \(file) at byte \(offset): \(problem)"
        case .noWAL(let directory):
            "no WAL segments in \(directory)"
        case .walExists(let directory):
            "a WAL already exists in \(directory)"
        case .locked(let directory):
            "the WAL in \(directory) is in use by another process or instance"
        case .missingSegment(let after, let next):
            "WAL segment missing between \(after) and \(next)"
        case .noSegmentForIndex(let index, let first):
            "no WAL segment holds index \(index); the first segment is \(first)"
        case .snapshotNotFound(let snapshot, let directory):
            "no snapshot marker at \(snapshot) in the WAL in \(directory)"
        case .recordTooLarge(let index, let bytes, let limit):
            "entry \(index) of \(bytes) bytes exceeds the WAL record limit of \(limit) bytes"
        }
    }
}

func hex32(_ value: UInt32) -> String {
    "0x" + hexDigits(UInt64(value), width: 8)
}

func hex64(_ value: UInt64) -> String {
    "0x" + hexDigits(value, width: 16)
}

/// Lower-case hexadecimal, zero-padded to `width` digits (printf's `%0*x`).
func hexDigits(_ value: UInt64, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
