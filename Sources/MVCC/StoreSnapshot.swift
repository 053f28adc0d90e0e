/// The store as bytes, for Raft snapshots: every retained revision with its value or tombstone,
/// the revisions and the applied index.
///
/// Layout (little-endian): magic "MVC1", current revision, compact revision, consistent index,
/// record count, then per record in revision order: main, sub, kind (0 put, 1 delete), key
/// length + key, and for a put: value length + value, create revision, version, lease.
import Raft

/// What a snapshot of the store holds, taken without copying: the store's tables are values, so
/// the image shares their storage until the store next changes them. Encoding it (the costly
/// part) can then run on another thread while the store goes on applying.
public struct StoreImage: Sendable {
    let keyIndexes: [StoreKey: KeyIndex]
    let retainedRevisions: Int
    let currentRevision: Int64
    let compactRevision: Int64
    let consistentIndex: UInt64

    /// The snapshot bytes, as `MVCCStore.snapshotData()` makes them.
    public func encoded() -> [UInt8] {
        // One pass sizes the buffer exactly and gathers the records, so the encoding neither
        // regrows a buffer of many megabytes nor looks each revision up again.
        var records: [KeyVersion] = []
        records.reserveCapacity(retainedRevisions)
        var bytes = 4 + 3 * 8 + 8
        for index in keyIndexes.values {
            for generation in index.generations {
                for version in generation.versions {
                    records.append(version)
                    bytes += 16 + 1 + 4 + version.kv.key.count
                    if !version.isTombstone { bytes += 4 + version.kv.value.count + 24 }
                }
            }
        }
        records.sort { $0.revision < $1.revision }
        var out = ByteWriter(capacity: bytes)
        out.bytes(MVCCStore.snapshotMagic)
        out.int64(currentRevision)
        out.int64(compactRevision)
        out.uint64(consistentIndex)
        out.uint64(UInt64(records.count))
        for record in records {
            out.int64(record.revision.main)
            out.int64(record.revision.sub)
            if record.isTombstone {
                out.uint8(1)
                out.lengthPrefixed(record.kv.key)
            } else {
                out.uint8(0)
                out.lengthPrefixed(record.kv.key)
                out.lengthPrefixed(record.kv.value)
                out.int64(record.kv.createRevision)
                out.int64(record.kv.version)
                out.int64(record.kv.lease)
            }
        }
        precondition(out.buffer.count == bytes, "snapshot size estimate \(bytes) differs from the \(out.buffer.count) bytes encoded")
        return out.buffer
    }
}

extension MVCCStore {
    static let snapshotMagic: [UInt8] = Array("MVC1".utf8)

    /// The store as it is now, to encode later or elsewhere.
    public func image() -> StoreImage {
        StoreImage(keyIndexes: keyIndexes, retainedRevisions: retainedRevisions, currentRevision: currentRevision,
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
        var previous: Revision?
        for _ in 0..<count {
            let revision = Revision(main: try input.int64(), sub: try input.int64())
            if let previous, revision <= previous { throw input.error("revision \(revision) after \(previous)") }
            guard revision.main <= current else { throw input.error("revision \(revision) past current \(current)") }
            previous = revision
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
            indexes[storeKey, default: KeyIndex()].append(version)
            retainedBytes += version.retainedBytes
            order.append(HistoryEntry(revision: revision, key: storeKey))
        }
        try input.expectEnd()

        currentRevision = current
        compactRevision = compacted
        consistentIndex = applied
        keyIndexes = indexes
        retainedRevisions = order.count
        self.retainedBytes = retainedBytes
        sortedKeys = SortedKeys(indexes.keys.lazy.map(\.bytes))
        keyCount = indexes.values.reduce(0) { $0 + ($1.isLive ? 1 : 0) }
        history = Array(order[order.partitionPoint { $0.revision.main < compacted }...])
    }
}

