import ByteCoding

/// The bytes a consistency hash of the store covers, as etcd's HashByRev chooses them: every
/// retained write up to a revision, in key order and each key's in revision order, so the same
/// contents give the same bytes whatever order the writes came in or the hash tables keep.
/// Writes at or before the compact revision count only when a read at that revision still sees
/// them, so the bytes are the same before and after a compaction's dropped versions are gone.
/// The store leaves the checksum to its caller; it only says what is hashed.
extension StoreImage {
    /// What a hash at a revision covers, and the store's revisions when it was taken.
    public struct HashedRange: Sendable, Hashable {
        /// The revision hashed up to (the current one when asked for 0).
        public var revision: Int64
        public var currentRevision: Int64
        public var compactRevision: Int64
    }

    /// Checks `revision` as etcd's HashByRev does (0 or less: the current revision).
    public func hashedRange(atRevision revision: Int64) throws(MVCCError) -> HashedRange {
        if revision > 0 && revision <= compactRevision {
            throw .compacted(requested: revision, compactRevision: compactRevision)
        }
        if revision > currentRevision { throw .futureRevision(requested: revision, currentRevision: currentRevision) }
        return HashedRange(revision: revision > 0 ? revision : currentRevision, currentRevision: currentRevision,
                           compactRevision: compactRevision)
    }

    /// Hands `sink` the bytes of every write a hash up to `revision` covers, in pieces of about
    /// `pieceBytes`: per write its revision, kind, key, and for a put its value, create
    /// revision, version and lease.
    public func hashRecords(upTo revision: Int64, pieceBytes: Int = 64 * 1024, _ sink: ([UInt8]) -> Void) {
        var out = ByteWriter(capacity: pieceBytes + 256)
        forEachKey { key, older, latest in
            // The put a read at `revision` sees, whose writes at or before the compact revision
            // still count.
            var visible: Int64?
            if let i = newestIndex(of: older, latest: latest, atMain: revision) {
                let record = i == older.count ? latest : older[i]
                if !record.isTombstone { visible = record.main }
            }
            for record in older + [latest] where record.main <= revision {
                if record.main <= compactRevision && record.main != visible { continue }
                out.int64(record.main)
                out.int64(Int64(record.sub))
                out.lengthPrefixed(raw: key)
                if record.isTombstone {
                    out.uint8(1)
                } else {
                    out.uint8(0)
                    arena.withBytes(record.value) { out.lengthPrefixed(raw: $0) }
                    out.int64(record.createRevision)
                    out.int64(record.version)
                    out.int64(record.lease)
                }
                if out.buffer.count >= pieceBytes {
                    sink(out.buffer)
                    out = ByteWriter(capacity: pieceBytes + 256)
                }
            }
        }
        if !out.buffer.isEmpty { sink(out.buffer) }
    }
}
