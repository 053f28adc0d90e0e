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

/// What etcd's Maintenance service asks of one member beyond Status and alarms: hashes of its
/// state, defragmenting its store, and a consistent snapshot of everything it applied.
extension Member {
    /// Hashes the writes up to `revision` (0: the current one). The store is captured under the
    /// apply lock, which copies nothing, and hashed outside it, so applying goes on meanwhile.
    public func hashKV(revision: Int64) throws(MVCCError) -> KVHash {
        let image = applier.withLock { $0.store.image() }
        let range = try image.hashedRange(atRevision: revision)
        var crc: UInt32 = 0
        image.hashRecords(upTo: range.revision) { crc = CRC32C.update(crc, $0) }
        return KVHash(hash: crc, currentRevision: range.currentRevision, compactRevision: range.compactRevision)
    }

    /// Hashes the whole applied state (etcd's Hash over its database): every retained write, the
    /// store's revisions, the auth state and the alarms; equal on members that applied the same
    /// log, wherever each took its snapshots. Returns the hash and the current revision.
    public func hash() -> (hash: UInt32, revision: Int64) {
        let (image, auth, alarms) = applier.withLock { ($0.store.image(), $0.auth, $0.alarms) }
        guard let range = try? image.hashedRange(atRevision: 0) else { preconditionFailure("the current revision is always hashable") }
        var header = ByteWriter(capacity: 16)
        header.int64(range.currentRevision)
        header.int64(range.compactRevision)
        var crc = CRC32C.update(0, header.buffer)
        image.hashRecords(upTo: range.revision) { crc = CRC32C.update(crc, $0) }
        crc = CRC32C.update(crc, auth.snapshotData())
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
    public func appliedState() -> [UInt8] {
        applier.withLock { $0.snapshotEncoder() }()
    }

    /// etcd's IsAdminPermitted: with auth on, only a user with the root role may defragment,
    /// hash or take a snapshot.
    public func checkAdmin(_ credentials: Credentials) throws(AuthError) {
        let user = try authInfo(credentials).username
        try applier.withLock { applier throws(AuthError) in try applier.auth.checkAdmin(username: user) }
    }
}
