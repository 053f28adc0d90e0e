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
enum SnapshotCodec {
    static let version: UInt8 = 2
    /// The format before learners, which still decodes.
    static let versionWithoutLearners: UInt8 = 1
    static let minimumBytes = 4 + 1 + 8 + 8 + 4 + 8

    static func encode(_ snapshot: Snapshot) -> [UInt8] {
        header(for: snapshot) + snapshot.data
    }

    /// Everything before the data, its CRC covering the data too: a snapshot file is this
    /// header followed by `snapshot.data`, written as two pieces so that megabytes of data are
    /// not copied once more only to sit behind a few bytes of header.
    static func header(for snapshot: Snapshot) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0, version]
        let confState = snapshot.metadata.confState
        bytes.reserveCapacity(minimumBytes + 4 + 8 * (confState.voters.count + confState.learners.count))
        bytes.appendLittleEndian(snapshot.metadata.index)
        bytes.appendLittleEndian(snapshot.metadata.term)
        bytes.appendLittleEndian(UInt32(snapshot.metadata.confState.voters.count))
        for voter in snapshot.metadata.confState.voters {
            bytes.appendLittleEndian(voter)
        }
        bytes.appendLittleEndian(UInt32(confState.learners.count))
        for learner in confState.learners {
            bytes.appendLittleEndian(learner)
        }
        bytes.appendLittleEndian(UInt64(snapshot.data.count))
        let headerCRC = bytes.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        let crc = snapshot.data.withUnsafeBytes { CRC32C.update(headerCRC, $0) }
        bytes.storeLittleEndian(crc, at: 0)
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> Result<Snapshot, SnapshotCorruption> {
        guard bytes.count >= minimumBytes else { return .failure(.tooShort(bytes: bytes.count)) }
        do {
            return try decodeFields(bytes)
        } catch {
            // The checks in decodeFields keep every read in bounds; were one missed, the file
            // is still reported, not trapped on.
            return .failure(.lengthMismatch(field: error.reason, declared: 0, availableBytes: bytes.count - error.offset))
        }
    }

    private static func decodeFields(_ bytes: [UInt8]) throws(DecodingError) -> Result<Snapshot, SnapshotCorruption> {
        var reader = ByteReader(bytes)
        let stored = try reader.uint32()
        let computed = bytes.withUnsafeBytes { CRC32C.update(0, UnsafeRawBufferPointer(rebasing: $0[4...])) }
        guard computed == stored else { return .failure(.crcMismatch(computed: computed, stored: stored)) }
        let version = try reader.uint8()
        guard version == Self.version || version == Self.versionWithoutLearners else { return .failure(.unknownVersion(version)) }
        let index = try reader.uint64()
        let term = try reader.uint64()
        let voterCount = try reader.uint32()
        guard UInt64(voterCount) * 8 + 8 <= UInt64(reader.remaining) else {
            return .failure(.lengthMismatch(field: "voter count", declared: UInt64(voterCount), availableBytes: reader.remaining))
        }
        var voters: [NodeID] = []
        for _ in 0..<voterCount { voters.append(try reader.uint64()) }
        var learners: [NodeID] = []
        if version != Self.versionWithoutLearners {
            guard reader.remaining >= 4 + 8 else {
                return .failure(.lengthMismatch(field: "learner count", declared: 4, availableBytes: reader.remaining))
            }
            let learnerCount = try reader.uint32()
            guard UInt64(learnerCount) * 8 + 8 <= UInt64(reader.remaining) else {
                return .failure(.lengthMismatch(field: "learner count", declared: UInt64(learnerCount),
                                                availableBytes: reader.remaining))
            }
            for _ in 0..<learnerCount { learners.append(try reader.uint64()) }
        }
        let dataCount = try reader.uint64()
        guard dataCount == UInt64(reader.remaining) else {
            return .failure(.lengthMismatch(field: "data length", declared: dataCount, availableBytes: reader.remaining))
        }
        let data = try reader.bytes(reader.remaining)
        let metadata = SnapshotMetadata(index: index, term: term, confState: ConfState(voters: voters, learners: learners))
        return .success(Snapshot(metadata: metadata, data: data))
    }
}
