import ByteCoding
import Crypto
import MVCC
import Raft

/// The file `etcdctl snapshot save` writes from a member's Maintenance.Snapshot stream, and
/// `rafttop snapshot restore` reads back.
///
/// Layout: the body, magic "RTSNAP01", the state's length (8), the state (what a member's Raft
/// snapshots hold, `AppliedSnapshot`), zero bytes up to a whole number of 512-byte blocks; then
/// the body's sha256 (32). The stream sends the body and then the digest, as etcd 3.4 sends its
/// database and then its sha256; etcdctl 3.4 accepts a download only when its size is whole
/// 512-byte blocks plus 32 bytes (its hasChecksum), which the padding gives.
public enum SnapshotFile {
    static let magic: [UInt8] = Array("RTSNAP01".utf8)
    public static let blockBytes = 512
    public static let digestBytes = SHA256.byteCount
    /// etcd's snapshotSendBufferSize: the stream's chunks.
    public static let chunkBytes = 32 * 1024

    /// The body of a snapshot of `state` (the bytes `Member.appliedState()` returns).
    public static func body(state: [UInt8]) -> [UInt8] {
        let unpadded = magic.count + 8 + state.count
        let padded = (unpadded + blockBytes - 1) / blockBytes * blockBytes
        var out = ByteWriter(capacity: padded)
        out.bytes(magic)
        out.uint64(UInt64(state.count))
        out.bytes(state)
        out.bytes(repeatElement(0, count: padded - unpadded))
        return out.buffer
    }

    public static func digest(_ body: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: body))
    }

    /// The body's size for a state of `stateBytes`: the header and the state, padded to whole blocks.
    static func bodyBytes(stateBytes: Int) -> Int {
        (magic.count + 8 + stateBytes + blockBytes - 1) / blockBytes * blockBytes
    }

    /// Checks a whole file (body and digest) and returns the state it holds, which it has
    /// decoded to be sure it can be started from.
    public static func decode(_ file: [UInt8]) throws(SnapshotFileError) -> SnapshotContents {
        guard file.count >= blockBytes + digestBytes else { throw .tooShort(bytes: file.count) }
        guard (file.count - digestBytes) % blockBytes == 0 else { throw .notWholeBlocks(bytes: file.count) }
        let body = Array(file[..<(file.count - digestBytes)])
        let stated = Array(file[(file.count - digestBytes)...])
        let computed = digest(body)
        guard stated == computed else { throw .checksumMismatch(stated: hex(stated), computed: hex(computed)) }
        guard body.starts(with: magic) else { throw .notASnapshot }
        // A body is at least a block, so its header is all there.
        var input = ByteReader(body, offset: magic.count)
        let length = (try? input.uint64()) ?? .max
        let start = input.offset
        guard length <= UInt64(body.count - start) else { throw .badLength(stated: length, room: body.count - start) }
        let end = start + Int(length)
        guard body[end...].allSatisfy({ $0 == 0 }) else { throw .badPadding }
        return try SnapshotContents(state: Array(body[start..<end]))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }
}

/// What a snapshot file holds, checked: the applied state and where in its cluster's log it was taken.
public struct SnapshotContents: Sendable {
    /// The bytes of the applied state (as a member's Raft snapshot holds them).
    public let state: [UInt8]
    /// The last log index the state includes, in the cluster it was taken from.
    public let consistentIndex: UInt64
    public let revision: Int64
    public let keyCount: Int

    init(state: [UInt8]) throws(SnapshotFileError) {
        let store = MVCCStore()
        do throws(ServerError) {
            let parts = try AppliedSnapshot(decoding: state)
            do {
                try store.restore(fromSnapshot: parts.store)
            } catch {
                throw .store(error)
            }
        } catch {
            throw .corruptState(error.description)
        }
        self.state = state
        consistentIndex = store.consistentIndex
        revision = store.currentRevision
        keyCount = store.keyCount
    }

    /// The Raft snapshot every member of a new cluster of `voters` starts from: the state at
    /// the log index it was taken at (at least 1), in term 1. Its members' logs go on from there,
    /// so no entry the state already holds is applied again.
    public func raftSnapshot(voters: [NodeID]) -> Snapshot {
        Snapshot(metadata: SnapshotMetadata(index: max(consistentIndex, 1), term: 1, confState: ConfState(voters: voters)),
                 data: state)
    }
}

/// Why a snapshot file cannot be restored.
public enum SnapshotFileError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLarge(bytes: Int, limitBytes: Int)
    case tooShort(bytes: Int)
    case notWholeBlocks(bytes: Int)
    case checksumMismatch(stated: String, computed: String)
    case notASnapshot
    case badLength(stated: UInt64, room: Int)
    case badPadding
    case corruptState(String)

    public var description: String {
        switch self {
        case .tooLarge(let bytes, let limit):
            "the file is \(bytes) bytes, more than the limit of \(limit) bytes (--max-bytes raises it)"
        case .tooShort(let bytes):
            "the file is \(bytes) bytes, too short for a snapshot (at least one 512-byte block and a 32-byte sha256): it is truncated"
        case .notWholeBlocks(let bytes):
            "the file is \(bytes) bytes, not whole 512-byte blocks and a 32-byte sha256: it is truncated or has bytes appended"
        case .checksumMismatch(let stated, let computed):
            "sha256 mismatch: the file ends with \(stated) but its contents hash to \(computed): it is corrupt"
        case .notASnapshot:
            "the file's checksum holds but it does not start with rafttop's snapshot header: it is not a snapshot from rafttop (an etcd database cannot be restored by rafttop)"
        case .badLength(let stated, let room):
            "the header says the state is \(stated) bytes but the file has room for \(room): it is corrupt"
        case .badPadding:
            "the bytes after the state are not zero: it is corrupt"
        case .corruptState(let why):
            "the state in the file does not decode (\(why)): it is corrupt"
        }
    }
}

/// A snapshot file's body made a piece at a time from a member's state, with its sha256 kept
/// as the pieces go: what `etcdctl snapshot save` downloads, streamed without the whole state
/// or body in memory. The pieces are exactly the bytes `SnapshotFile.body(state:)` would make.
public struct SnapshotBodyStream: Sendable {
    /// The body's size, known before the first piece.
    public let bodyBytes: Int
    private var state: AppliedSnapshotWriter.Pieces?
    private let stateBytes: Int
    private var produced = 0
    private var hasher = SHA256()

    init(_ writer: AppliedSnapshotWriter, pieceBytes: Int = 1 << 20) {
        stateBytes = writer.encodedBytes
        bodyBytes = SnapshotFile.bodyBytes(stateBytes: stateBytes)
        state = writer.pieces(pieceBytes: pieceBytes)
    }

    /// The next bytes of the body; nil once all `bodyBytes` have been handed out.
    public mutating func next() -> [UInt8]? {
        var piece: [UInt8]
        if produced == 0 {
            piece = SnapshotFile.magic
            piece.appendLittleEndian(UInt64(stateBytes))
            if let first = state?.next() { piece.append(contentsOf: first) }
        } else if let more = state?.next() {
            piece = more
        } else if state != nil {
            // The state is done: the zeros up to a whole number of blocks.
            state = nil
            piece = [UInt8](repeating: 0, count: bodyBytes - produced)
            if piece.isEmpty { return nil }
        } else {
            return nil
        }
        produced += piece.count
        precondition(produced <= bodyBytes, "snapshot body of \(produced) bytes, more than the \(bodyBytes) stated")
        hasher.update(data: piece)
        return piece
    }

    /// The sha256 of the body, once every piece has been taken.
    public var digest: [UInt8] {
        precondition(produced == bodyBytes, "the digest asked for after \(produced) of \(bodyBytes) bytes")
        return Array(hasher.finalize())
    }
}

