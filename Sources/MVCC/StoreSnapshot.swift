/// The store as bytes, for Raft snapshots: every retained revision with its value or tombstone,
/// the revisions and the applied index.
///
/// Layout (little-endian): magic "MVC1", current revision, compact revision, consistent index,
/// record count, then per record: main, sub, kind (0 put, 1 delete), key length + key, and for a
/// put: value length + value, create revision, version, lease. The records come key by key in
/// key order, each key's in revision order (snapshots written before 2026-12 came in revision
/// order, which decodes the same way).
import ByteCoding

/// What a snapshot of the store holds, taken without copying: the store's tables are values, so
/// the image shares their storage until the store next changes them. Encoding it (the costly
/// part) can then run on another thread while the store goes on applying.
public struct StoreImage: Sendable {
    let keyIndexes: [StoreKey: KeyIndex]
    let sortedKeys: SortedKeys
    let retainedRevisions: Int
    let retainedTombstones: Int
    let retainedBytes: Int
    let currentRevision: Int64
    let compactRevision: Int64
    let consistentIndex: UInt64

    /// The snapshot's exact size, from the store's running totals: every record's revision,
    /// kind and key, and a put's value, create revision, version and lease.
    public var encodedBytes: Int {
        let keyAndValueBytes = retainedBytes - retainedRevisions * KeyIndex.bookkeepingBytes
        return 4 + 3 * 8 + 8 + retainedRevisions * (16 + 1 + 4) + (retainedRevisions - retainedTombstones) * (4 + 24)
            + keyAndValueBytes
    }

    /// The snapshot bytes, as `MVCCStore.snapshotData()` makes them.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedBytes)
        encode { out.append(contentsOf: $0) }
        return out
    }

    /// Hands `sink` the snapshot bytes in order, in pieces of about `pieceBytes`, so a caller
    /// can write them to a file or a stream without holding the whole snapshot. The pieces
    /// add up to `encodedBytes`.
    public func encode<E: Error>(pieceBytes: Int = 1 << 20, _ sink: ([UInt8]) throws(E) -> Void) throws(E) {
        // Key order needs no sort and is the same for the same contents, whatever order the
        // hash table keeps.
        var written = 0
        var out = ByteWriter(capacity: pieceBytes + 4096)
        out.bytes(MVCCStore.snapshotMagic)
        out.int64(currentRevision)
        out.int64(compactRevision)
        out.uint64(consistentIndex)
        out.uint64(UInt64(retainedRevisions))
        for key in sortedKeys.all {
            guard let index = keyIndexes[StoreKey(key)] else { preconditionFailure("sorted key \(key) has no index") }
            for generation in index.generations {
                for version in generation.versions {
                    out.int64(version.revision.main)
                    out.int64(version.revision.sub)
                    if version.isTombstone {
                        out.uint8(1)
                        out.lengthPrefixed(version.kv.key)
                    } else {
                        out.uint8(0)
                        out.lengthPrefixed(version.kv.key)
                        out.lengthPrefixed(version.kv.value)
                        out.int64(version.kv.createRevision)
                        out.int64(version.kv.version)
                        out.int64(version.kv.lease)
                    }
                }
            }
            if out.buffer.count >= pieceBytes {
                written += out.buffer.count
                try sink(out.buffer)
                out = ByteWriter(capacity: pieceBytes + 4096)
            }
        }
        written += out.buffer.count
        if !out.buffer.isEmpty { try sink(out.buffer) }
        precondition(written == encodedBytes, "snapshot size \(encodedBytes) differs from the \(written) bytes encoded")
    }
}

extension MVCCStore {
    static let snapshotMagic: [UInt8] = Array("MVC1".utf8)

    /// The store as it is now, to encode later or elsewhere.
    public func image() -> StoreImage {
        StoreImage(keyIndexes: keyIndexes, sortedKeys: sortedKeys, retainedRevisions: retainedRevisions,
                   retainedTombstones: retainedTombstones, retainedBytes: retainedBytes, currentRevision: currentRevision,
                   compactRevision: compactRevision, consistentIndex: consistentIndex)
    }

    public func snapshotData() -> [UInt8] {
        image().encoded()
    }

    /// Replaces the whole state with a snapshot made by `snapshotData()`. Watchers are kept
    /// (they see no events for the jump); on a decoding error the store is left unchanged.
    public func restore(fromSnapshot data: [UInt8]) throws(MVCCError) {
        do {
            try decodeSnapshot(data)
        } catch {
            throw .corruptSnapshot(error.description)
        }
    }

    private func decodeSnapshot(_ data: [UInt8]) throws(DecodingError) {
        var input = ByteReader(data)
        guard try input.bytes(4) == Self.snapshotMagic else { throw DecodingError(offset: 0, reason: "bad magic") }
        let current = try input.int64()
        let compacted = try input.int64()
        let applied = try input.uint64()
        let count = try input.uint64()
        guard current >= 1, compacted >= 0, compacted <= current else {
            throw input.error("revisions out of order: current \(current), compacted \(compacted)")
        }
        var indexes: [StoreKey: KeyIndex] = [:]
        var order: [HistoryEntry] = []
        var retainedBytes = 0
        var tombstones = 0
        for _ in 0..<count {
            let revision = Revision(main: try input.int64(), sub: try input.int64())
            guard revision.main >= 1, revision.main <= current, revision.sub >= 0 else {
                throw input.error("revision \(revision) outside 1...\(current)")
            }
            let kind = try input.uint8()
            let key = try input.lengthPrefixed()
            guard !key.isEmpty else { throw input.error("empty key at revision \(revision)") }
            let version: KeyVersion
            switch kind {
            case 0:
                let value = try input.lengthPrefixed()
                let kv = KeyValue(key: key, value: value, createRevision: try input.int64(), modRevision: revision.main,
                                  version: try input.int64(), lease: try input.int64())
                version = KeyVersion(revision: revision, kv: kv, isTombstone: false)
            case 1:
                version = KeyVersion(revision: revision, kv: KeyValue(key: key, modRevision: revision.main), isTombstone: true)
            default:
                throw input.error("unknown record kind \(kind) at revision \(revision)")
            }
            let storeKey = StoreKey(key)
            if let latest = indexes[storeKey]?.latest, revision <= latest {
                throw input.error("revision \(revision) of a key after its revision \(latest)")
            }
            indexes[storeKey, default: KeyIndex()].append(version)
            retainedBytes += version.retainedBytes
            if version.isTombstone { tombstones += 1 }
            order.append(HistoryEntry(revision: revision, key: storeKey))
        }
        order.sort { $0.revision < $1.revision }
        for (earlier, later) in zip(order, order.dropFirst()) where earlier.revision == later.revision {
            throw DecodingError(offset: data.count, reason: "revision \(later.revision) written twice")
        }
        try input.expectEnd()

        currentRevision = current
        compactRevision = compacted
        consistentIndex = applied
        keyIndexes = indexes
        retainedRevisions = order.count
        retainedTombstones = tombstones
        self.retainedBytes = retainedBytes
        allocatedBytes = retainedBytes
        sortedKeys = SortedKeys(indexes.keys.lazy.map(\.bytes))
        keyCount = indexes.values.reduce(0) { $0 + ($1.isLive ? 1 : 0) }
        leaseAttachments = LeaseAttachments(liveValues: indexes.values.lazy.compactMap(\.liveValue))
        history = Array(order[order.partitionPoint { $0.revision.main < compacted }...])
    }
}

