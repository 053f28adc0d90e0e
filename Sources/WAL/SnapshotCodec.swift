import ByteCoding
import Raft

/// What is wrong with a snapshot file's bytes.
public enum SnapshotCorruption: Error, Sendable, Hashable, CustomStringConvertible {
    case tooShort(bytes: Int)
    case crcMismatch(computed: UInt32, stored: UInt32)
    case unknownVersion(UInt8)
    /// A count or length inside the file disagrees with the bytes that follow it.
    case lengthMismatch(field: String, declared: UInt64, availableBytes: Int)
    /// The file's name says one position, its contents another.
    case nameMismatch(nameTerm: UInt64, nameIndex: UInt64, term: UInt64, index: UInt64)

    public var description: String {
        switch self {
        case .tooShort(let bytes):
            "file of \(bytes) bytes is too short for a snapshot"
        case .crcMismatch(let computed, let stored):
            "CRC mismatch: computed \(hex32(computed)), stored \(hex32(stored))"
        case .unknownVersion(let version):
            "unknown snapshot format version \(version)"
        case .lengthMismatch(let field, let declared, let available):
            "\(field) declares \(declared) but \(available) bytes remain"
        case .nameMismatch(let nameTerm, let nameIndex, let term, let index):
            "name says term \(nameTerm) index \(nameIndex) but the snapshot is term \(term) index \(index)"
        }
    }
}

/// The bytes of a `.snap` file:
///
///     crc      4 bytes LE, CRC32C of everything after it
///     version  1 byte (2; version 1, written before learners, has no learner count)
///     index, term            8 bytes LE each
///     voter count (4 bytes LE), then each voter (8 bytes LE)
///     learner count (4 bytes LE), then each learner (8 bytes LE)
///     data length (8 bytes LE), then the data
///
/// The header declares the data's length, so a writer that knows it can stream the data after
/// the header and fill in the CRC, computed as the data went by, last.
enum SnapshotCodec {
    static let version: UInt8 = 2
    /// The format before learners, which still decodes.
    static let versionWithoutLearners: UInt8 = 1
    static let minimumBytes = 4 + 1 + 8 + 8 + 4 + 8

    /// What a file's header says, checked against the file's length.
    struct Header: Equatable {
        var metadata: SnapshotMetadata
        var storedCRC: UInt32
        /// Where the data starts; the data runs from here to the end of the file.
        var headerBytes: Int
    }

    /// How far a prefix of a file got towards its header.
    enum HeaderParse {
        case header(Header)
        case corrupt(SnapshotCorruption)
        /// The header is longer than the prefix: read this many bytes of the file and parse again.
        case needsBytes(Int)
    }

    static func encode(_ snapshot: Snapshot) -> [UInt8] {
        var bytes = header(for: snapshot.metadata, dataBytes: snapshot.data.count)
        let crc = crc(header: bytes, data: snapshot.data)
        bytes.storeLittleEndian(crc, at: 0)
        return bytes + snapshot.data
    }

    /// Everything before the data, with the CRC left zero: the file's CRC covers the header
    /// after the CRC and the data (see `crc(header:data:)`).
    static func header(for metadata: SnapshotMetadata, dataBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0, version]
        let confState = metadata.confState
        bytes.reserveCapacity(minimumBytes + 4 + 8 * (confState.voters.count + confState.learners.count))
        bytes.appendLittleEndian(metadata.index)
        bytes.appendLittleEndian(metadata.term)
        bytes.appendLittleEndian(UInt32(confState.voters.count))
        for voter in confState.voters {
            bytes.appendLittleEndian(voter)
        }
        bytes.appendLittleEndian(UInt32(confState.learners.count))
        for learner in confState.learners {
            bytes.appendLittleEndian(learner)
        }
        bytes.appendLittleEndian(UInt64(dataBytes))
        return bytes
    }

    /// The CRC the header's first 4 bytes hold: over the rest of the header, then the data.
    static func crc(header: [UInt8], data: [UInt8]) -> UInt32 {
        let headerCRC = header.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        return data.withUnsafeBytes { CRC32C.update(headerCRC, $0) }
    }

    static func decode(_ bytes: [UInt8]) -> Result<Snapshot, SnapshotCorruption> {
        guard bytes.count >= minimumBytes else { return .failure(.tooShort(bytes: bytes.count)) }
        var reader = ByteReader(bytes)
        let stored = (try? reader.uint32()) ?? 0
        let computed = bytes.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        guard computed == stored else { return .failure(.crcMismatch(computed: computed, stored: stored)) }
        switch parseHeader(bytes, fileBytes: bytes.count) {
        case .corrupt(let problem):
            return .failure(problem)
        case .needsBytes(let count):
            preconditionFailure("a header of \(count) bytes does not fit the \(bytes.count) bytes it was checked against")
        case .header(let header):
            return .success(Snapshot(metadata: header.metadata, data: Array(bytes[header.headerBytes...])))
        }
    }

    /// Parses the header at the start of a file of `fileBytes` bytes from `prefix`, its first
    /// bytes, checking every count against the length of the file (not only of the prefix), so
    /// that no count in a damaged file makes the reader hold more than the file.
    static func parseHeader(_ prefix: [UInt8], fileBytes: Int) -> HeaderParse {
        guard fileBytes >= minimumBytes else { return .corrupt(.tooShort(bytes: fileBytes)) }
        guard prefix.count >= minimumBytes else { return .needsBytes(minimumBytes) }
        do {
            return try parseFields(prefix, fileBytes: fileBytes)
        } catch {
            // The checks in parseFields keep every read within the prefix; were one missed,
            // the file is still reported, not trapped on.
            return .corrupt(.lengthMismatch(field: error.reason, declared: 0, availableBytes: fileBytes - error.offset))
        }
    }

    private static func parseFields(_ prefix: [UInt8], fileBytes: Int) throws(DecodingError) -> HeaderParse {
        var reader = ByteReader(prefix)
        let stored = try reader.uint32()
        let version = try reader.uint8()
        guard version == Self.version || version == Self.versionWithoutLearners else { return .corrupt(.unknownVersion(version)) }
        let index = try reader.uint64()
        let term = try reader.uint64()
        let voterCount = try reader.uint32()
        var remaining = fileBytes - reader.offset
        guard UInt64(voterCount) * 8 + 8 <= UInt64(remaining) else {
            return .corrupt(.lengthMismatch(field: "voter count", declared: UInt64(voterCount), availableBytes: remaining))
        }
        // Then the data length (version 1) or the learner count (version 2), both checked above.
        var needed = reader.offset + Int(voterCount) * 8 + (version == Self.versionWithoutLearners ? 8 : 4)
        guard prefix.count >= needed else { return .needsBytes(needed) }
        var voters: [NodeID] = []
        for _ in 0..<voterCount { voters.append(try reader.uint64()) }
        var learners: [NodeID] = []
        if version != Self.versionWithoutLearners {
            remaining = fileBytes - reader.offset
            guard remaining >= 4 + 8 else {
                return .corrupt(.lengthMismatch(field: "learner count", declared: 4, availableBytes: remaining))
            }
            let learnerCount = try reader.uint32()
            remaining = fileBytes - reader.offset
            guard UInt64(learnerCount) * 8 + 8 <= UInt64(remaining) else {
                return .corrupt(.lengthMismatch(field: "learner count", declared: UInt64(learnerCount), availableBytes: remaining))
            }
            needed = reader.offset + Int(learnerCount) * 8 + 8
            guard prefix.count >= needed else { return .needsBytes(needed) }
            for _ in 0..<learnerCount { learners.append(try reader.uint64()) }
        }
        let dataCount = try reader.uint64()
        remaining = fileBytes - reader.offset
        guard dataCount == UInt64(remaining) else {
            return .corrupt(.lengthMismatch(field: "data length", declared: dataCount, availableBytes: remaining))
        }
        let metadata = SnapshotMetadata(index: index, term: term, confState: ConfState(voters: voters, learners: learners))
        return .header(Header(metadata: metadata, storedCRC: stored, headerBytes: reader.offset))
    }
}
