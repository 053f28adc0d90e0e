import ByteCoding
import MVCC
import Raft
import WAL

/// The consistency hash of a member's store at a revision (etcd's HashByRev).
public struct KVHash: Sendable, Hashable {
    /// CRC-32C of the writes the hash covers (see `StoreImage.hashRecords`).
    public var hash: UInt32
    /// The store's current revision when it was taken.
    public var currentRevision: Int64
    /// The store's compact revision (0 when it was never compacted).
    public var compactRevision: Int64
}

/// How much room a member's store takes (etcd's dbSize and dbSizeInUse).
public struct StoreSize: Sendable, Hashable {
    /// The room the store's tables have grown to since it was restored or last defragmented.
    public var allocatedBytes: Int
    /// What the versions it retains take now.
    public var inUseBytes: Int
}

/// A hold on one of the few whole-state reads (hashes, snapshots) a member runs at once: each
/// walks or copies the whole store, and a store that changes meanwhile keeps a second copy of
/// its tables for it, so a client asking for many at once could make the member hold many
/// copies. Released when the hold is dropped, also when a stream that captured it is dropped
/// without running.
public final class WholeStateHold: Sendable {
    let member: Member

    init(_ member: Member) {
        self.member = member
    }

    deinit {
        member.wholeStateReads.subtract(1, ordering: .relaxed)
    }
}

/// What etcd's Maintenance service asks of one member beyond Status and alarms: hashes of its
/// state, defragmenting its store, and a consistent snapshot of everything it applied.
extension Member {
    /// At most this many hashes and snapshots run at once on a member.
    public static let wholeStateReadsMax = 2

    /// Takes one of the member's whole-state reads, or fails when all are taken.
    public func holdWholeStateRead() throws(ServerError) -> WholeStateHold {
        guard wholeStateReads.add(1, ordering: .relaxed).newValue <= Self.wholeStateReadsMax else {
            wholeStateReads.subtract(1, ordering: .relaxed)
            throw .wholeStateReadsBusy(limit: Self.wholeStateReadsMax)
        }
        return WholeStateHold(self)
    }

    /// Hashes the writes up to `revision` (0: the current one). The store is captured under the
    /// apply lock, which copies nothing, and hashed outside it, so applying goes on meanwhile.
    public func hashKV(revision: Int64) throws(ServerError) -> KVHash {
        let hold = try holdWholeStateRead()
        defer { withExtendedLifetime(hold) {} }
        let image = applier.withLock { $0.store.image() }
        let range: StoreImage.HashedRange
        do {
            range = try image.hashedRange(atRevision: revision)
        } catch {
            throw .store(error)
        }
        var crc: UInt32 = 0
        image.hashRecords(upTo: range.revision) { crc = CRC32C.update(crc, $0) }
        return KVHash(hash: crc, currentRevision: range.currentRevision, compactRevision: range.compactRevision)
    }

    /// Hashes the whole applied state (etcd's Hash over its database): every retained write, the
    /// store's revisions, the auth state, the leases and the alarms; equal on members that
    /// applied the same log, wherever each took its snapshots. Returns the hash and the current
    /// revision.
    public func hash() throws(ServerError) -> (hash: UInt32, revision: Int64) {
        let hold = try holdWholeStateRead()
        defer { withExtendedLifetime(hold) {} }
        let (image, auth, leases, alarms) = applier.withLock { ($0.store.image(), $0.auth, $0.leases, $0.alarms) }
        guard let range = try? image.hashedRange(atRevision: 0) else { preconditionFailure("the current revision is always hashable") }
        var header = ByteWriter(capacity: 16)
        header.int64(range.currentRevision)
        header.int64(range.compactRevision)
        var crc = CRC32C.update(0, header.buffer)
        image.hashRecords(upTo: range.revision) { crc = CRC32C.update(crc, $0) }
        crc = CRC32C.update(crc, auth.snapshotData())
        crc = CRC32C.update(crc, leases.snapshotData())
        crc = CRC32C.update(crc, alarms.encoded())
        return (crc, range.currentRevision)
    }

    /// The store's size and the part of it in use.
    public var storeSize: StoreSize {
        applier.withLock { StoreSize(allocatedBytes: $0.store.allocatedBytes, inUseBytes: $0.store.retainedBytes) }
    }

    /// Defragments the store (see `MVCCStore.defragment`): applying waits meanwhile, as etcd's
    /// writes wait for its defragment.
    public func defragment() {
        applier.withLock { applier in
            applier.store.defragment()
            mirrorSpace(applier)
        }
    }

    /// The bytes of everything this member applied, as its Raft snapshots hold them, taken at
    /// one point of its log (under the apply lock, which copies nothing; encoded outside it).
    /// The caller holds a whole-state read for as long as it keeps the bytes.
    public func appliedState(holding hold: WholeStateHold) -> [UInt8] {
        precondition(hold.member === self, "a hold on member \(hold.member.id) used on member \(id)")
        return applier.withLock { $0.snapshotWriter() }().encoded()
    }

    /// A snapshot file's body of everything this member applied, taken at one point of its log
    /// (under the apply lock, which copies nothing) and encoded piece by piece as the caller
    /// takes it. The caller holds a whole-state read for as long as it streams.
    public func snapshotBodyStream(holding hold: WholeStateHold) -> SnapshotBodyStream {
        precondition(hold.member === self, "a hold on member \(hold.member.id) used on member \(id)")
        return SnapshotBodyStream(applier.withLock { $0.snapshotWriter() }())
    }

    /// etcd's IsAdminPermitted: with auth on, only a user with the root role may defragment,
    /// hash or take a snapshot.
    public func checkAdmin(_ credentials: Credentials) throws(AuthError) {
        let user = try authInfo(credentials).username
        try applier.withLock { applier throws(AuthError) in try applier.auth.checkAdmin(username: user) }
    }
}
