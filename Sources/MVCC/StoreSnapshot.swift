/// The store as bytes, for Raft snapshots: every retained revision with its value or tombstone,
/// the revisions and the applied index.
///
/// Layout (little-endian): magic "MVC1", current revision, compact revision, consistent index,
/// record count, then per record: main, sub, kind (0 put, 1 delete), key length + key, and for a
/// put: value length + value, create revision, version, lease. The records come key by key in
/// key order, each key's in revision order (snapshots written before 2026-12 came in revision
/// order, which decodes the same way, only slower).
import ByteCoding

/// What a snapshot of the store holds, taken without copying: the store's tables are values and
/// its arena pages are never rewritten, so the image shares them until the store next changes
/// a table (and then copies only the chunk it changes). Encoding it can run on another thread
/// while the store goes on applying.
public struct StoreImage: Sendable {
    let arena: ByteArena
    let entries: KeyEntries
    let olderVersions: [[VersionRecord]]
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
        let keyAndValueBytes = retainedBytes - retainedRevisions * VersionRecord.bookkeepingBytes
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

    /// Every retained write of each key, in key order and each key's oldest first, with the
    /// key's bytes.
    func forEachKey<E: Error>(_ body: (UnsafeRawBufferPointer, [VersionRecord], VersionRecord) throws(E) -> Void) throws(E) {
        for chunk in sortedKeys.sortedChunks {
            for id in chunk {
                let entry = entries[id]
                let older = entry.older >= 0 ? olderVersions[Int(entry.older)] : []
                let key = arena.withBytes(entry.key) { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) }
                try body(key, older, entry.latest)
            }
        }
    }

    /// Hands `sink` the snapshot bytes in order, in pieces of about `pieceBytes`, so a caller
    /// can write them to a file or a stream without holding the whole snapshot. The pieces
    /// add up to `encodedBytes`.
    public func encode<E: Error>(pieceBytes: Int = 1 << 20, _ sink: ([UInt8]) throws(E) -> Void) throws(E) {
        var reader = pieces(pieceBytes: pieceBytes)
        while let piece = reader.next() { try sink(piece) }
    }

    /// The snapshot bytes a piece at a time, for a caller that takes them when it is ready
    /// (a stream to a client that reads at its own pace).
    public func pieces(pieceBytes: Int = 1 << 20) -> Pieces {
        Pieces(image: self, pieceBytes: pieceBytes)
    }

    /// Encodes the snapshot lazily: each `next()` the records of the next keys in key order,
    /// about `pieceBytes` of them, and nil once all `encodedBytes` have been handed out.
    public struct Pieces: Sendable {
        let image: StoreImage
        let pieceBytes: Int
        /// The sorted key ids, chunk by chunk.
        private let chunks: [[UInt32]]
        private var started = false
        private var chunk = 0
        private var offset = 0
        private var written = 0

        init(image: StoreImage, pieceBytes: Int) {
            self.image = image
            self.pieceBytes = max(pieceBytes, 1)
            chunks = image.sortedKeys.sortedChunks
        }

        public mutating func next() -> [UInt8]? {
            var out = ByteWriter(capacity: pieceBytes + 4096)
            if !started {
                started = true
                out.bytes(MVCCStore.snapshotMagic)
                out.int64(image.currentRevision)
                out.int64(image.compactRevision)
                out.uint64(image.consistentIndex)
                out.uint64(UInt64(image.retainedRevisions))
            }
            while chunk < chunks.count && out.buffer.count < pieceBytes {
                let id = chunks[chunk][offset]
                let entry = image.entries[id]
                image.arena.withBytes(entry.key) { key in
                    if entry.older >= 0 {
                        for record in image.olderVersions[Int(entry.older)] { image.write(record, key: key, to: &out) }
                    }
                    image.write(entry.latest, key: key, to: &out)
                }
                offset += 1
                if offset == chunks[chunk].count {
                    chunk += 1
                    offset = 0
                }
            }
            guard !out.buffer.isEmpty else {
                precondition(written == image.encodedBytes, "snapshot size \(image.encodedBytes) differs from the \(written) bytes encoded")
                return nil
            }
            written += out.buffer.count
            return out.buffer
        }
    }

    fileprivate func write(_ record: VersionRecord, key: UnsafeRawBufferPointer, to out: inout ByteWriter) {
        out.int64(record.main)
        out.int64(Int64(record.sub))
        out.uint8(record.isTombstone ? 1 : 0)
        out.lengthPrefixed(raw: key)
        guard !record.isTombstone else { return }
        arena.withBytes(record.value) { out.lengthPrefixed(raw: $0) }
        out.int64(record.createRevision)
        out.int64(record.version)
        out.int64(record.lease)
    }
}

extension ByteWriter {
    mutating func lengthPrefixed(raw bytes: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { self.bytes($0) }
        self.bytes(bytes)
    }
}

/// Reads a snapshot in place, without copying keys and values out of it one by one.
struct RawReader {
    let data: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ data: UnsafeRawBufferPointer) {
        self.data = data
    }

    var remaining: Int { data.count - offset }

    func error(_ reason: String) -> DecodingError {
        DecodingError(offset: offset, reason: reason)
    }

    private mutating func load<T: FixedWidthInteger>(_ type: T.Type) throws(DecodingError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw error("needs \(size) bytes, \(remaining) left") }
        defer { offset += size }
        return T(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func uint8() throws(DecodingError) -> UInt8 { try load(UInt8.self) }
    mutating func uint64() throws(DecodingError) -> UInt64 { try load(UInt64.self) }
    mutating func int64() throws(DecodingError) -> Int64 { Int64(bitPattern: try load(UInt64.self)) }

    mutating func bytes(_ n: Int) throws(DecodingError) -> UnsafeRawBufferPointer {
        guard n >= 0, n <= remaining else { throw error("needs \(n) bytes, \(remaining) left") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: data[offset..<offset + n])
    }

    mutating func lengthPrefixed() throws(DecodingError) -> UnsafeRawBufferPointer {
        let n = Int(try load(UInt32.self))
        guard n <= remaining else { throw error("length \(n) exceeds the \(remaining) bytes left") }
        return try bytes(n)
    }
}

extension MVCCStore {
    static let snapshotMagic: [UInt8] = Array("MVC1".utf8)
    /// The fewest bytes a record takes (a tombstone of a one-byte key), which bounds how many
    /// records a snapshot's stated count can honestly claim.
    static let smallestRecordBytes = 16 + 1 + 4 + 1

    /// The store as it is now, to encode later or elsewhere.
    public func image() -> StoreImage {
        StoreImage(arena: arena, entries: entries, olderVersions: olderVersions, sortedKeys: sortedKeys,
                   retainedRevisions: retainedRevisions, retainedTombstones: retainedTombstones, retainedBytes: retainedBytes,
                   currentRevision: currentRevision, compactRevision: compactRevision, consistentIndex: consistentIndex)
    }

    public func snapshotData() -> [UInt8] {
        image().encoded()
    }

    /// Replaces the whole state with a snapshot made by `snapshotData()`. Watchers are kept
    /// (they see no events for the jump); on a decoding error the store is left unchanged.
    public func restore(fromSnapshot data: [UInt8]) throws(MVCCError) {
        let result = data.withUnsafeBytes { raw in Result { () throws(DecodingError) in try Self.decode(raw) } }
        let decoded: MVCCStore
        switch result {
        case .success(let store): decoded = store
        case .failure(let error): throw .corruptSnapshot(error.description)
        }
        currentRevision = decoded.currentRevision
        compactRevision = decoded.compactRevision
        consistentIndex = decoded.consistentIndex
        arena = decoded.arena
        entries = decoded.entries
        olderVersions = decoded.olderVersions
        freeOlderLists = []
        freeIDs = []
        table = decoded.table
        sortedKeys = decoded.sortedKeys
        history = decoded.history
        leaseAttachments = decoded.leaseAttachments
        keyCount = decoded.keyCount
        retainedRevisions = decoded.retainedRevisions
        retainedTombstones = decoded.retainedTombstones
        retainedBytes = decoded.retainedBytes
        allocatedBytes = decoded.retainedBytes
    }

    /// A new store holding what the snapshot holds; fails naming the first thing wrong.
    private static func decode(_ data: UnsafeRawBufferPointer) throws(DecodingError) -> MVCCStore {
        var input = RawReader(data)
        guard data.count >= 4, Array(try input.bytes(4)) == snapshotMagic else { throw DecodingError(offset: 0, reason: "bad magic") }
        let current = try input.int64()
        let compacted = try input.int64()
        let applied = try input.uint64()
        let count = try input.uint64()
        guard current >= 1, compacted >= 0, compacted <= current else {
            throw input.error("revisions out of order: current \(current), compacted \(compacted)")
        }
        guard count <= UInt64(input.remaining / smallestRecordBytes) else {
            throw input.error("\(count) records cannot fit in the \(input.remaining) bytes left")
        }
        let store = MVCCStore()
        store.table = KeyTable(expected: Int(count))
        var order: [HistoryEntry] = []
        order.reserveCapacity(Int(count))
        var sortedIDs: [UInt32] = []
        var inKeyOrder = true
        var previousKey: UnsafeRawBufferPointer?
        var previousID: UInt32 = 0
        for _ in 0..<count {
            let main = try input.int64()
            let sub = try input.int64()
            guard main >= 1, main <= current, sub >= 0, sub <= Int64(Int32.max) else {
                throw input.error("revision \(main)_\(sub) outside 1...\(current)")
            }
            let kind = try input.uint8()
            let key = try input.lengthPrefixed()
            guard !key.isEmpty else { throw input.error("empty key at revision \(main)_\(sub)") }
            var record: VersionRecord
            switch kind {
            case 0:
                let value = try input.lengthPrefixed()
                record = VersionRecord(main: main, createRevision: try input.int64(), version: try input.int64(),
                                       lease: try input.int64(), value: .empty, sub: Int32(sub))
                guard record.version >= 1, record.createRevision >= 1, record.createRevision <= main else {
                    throw input.error("put at revision \(main)_\(sub) with version \(record.version), created at \(record.createRevision)")
                }
                record.value = store.arena.append(value)
            case 1:
                record = .tombstone(at: Revision(main: main, sub: sub))
            default:
                throw input.error("unknown record kind \(kind) at revision \(main)_\(sub)")
            }
            let id: UInt32
            if let previousKey, compareBytes(previousKey, key) == 0 {
                id = previousID
                try store.appendDecoded(record, to: id, input)
            } else {
                let hash = hashBytes(key)
                if let existing = store.id(of: key, hash: hash) {
                    inKeyOrder = false
                    id = existing
                    try store.appendDecoded(record, to: id, input)
                } else {
                    if let previousKey, compareBytes(previousKey, key) > 0 { inKeyOrder = false }
                    let entry = KeyEntry(key: store.arena.append(key), older: -1, latest: record)
                    id = store.entries.append(entry)
                    store.table.insert(hash: hash, id: id)
                    sortedIDs.append(id)
                }
                previousKey = key
                previousID = id
            }
            store.retainedRevisions += 1
            if record.isTombstone { store.retainedTombstones += 1 }
            store.retainedBytes += key.count + Int(record.value.length) + VersionRecord.bookkeepingBytes
            order.append(HistoryEntry(main: main, sub: Int32(sub), key: id))
        }
        guard input.remaining == 0 else { throw input.error("\(input.remaining) unexpected trailing bytes") }
        order.sort { $0.main < $1.main || ($0.main == $1.main && $0.sub < $1.sub) }
        for (earlier, later) in zip(order, order.dropFirst()) where earlier.main == later.main && earlier.sub == later.sub {
            throw DecodingError(offset: data.count, reason: "revision \(later.revision) written twice")
        }
        if !inKeyOrder {
            sortedIDs.sort { x, y in store.withKeyBytes(x) { a in store.withKeyBytes(y) { b in compareBytes(a, b) < 0 } } }
        }
        store.sortedKeys = SortedKeys(sortedIDs: sortedIDs, store)
        store.history = Array(order[order.partitionPoint { $0.main < compacted }...])
        for i in 0..<store.entries.count {
            let entry = store.entries[UInt32(i)]
            guard entry.isLive else { continue }
            store.keyCount += 1
            if entry.latest.lease != 0 {
                store.leaseAttachments.move(store.keyBytes(UInt32(i)), from: 0, to: entry.latest.lease)
            }
        }
        store.currentRevision = current
        store.compactRevision = compacted
        store.consistentIndex = applied
        return store
    }

    /// A decoded write of a key already seen, which must come after the key's others.
    private func appendDecoded(_ record: VersionRecord, to id: UInt32, _ input: RawReader) throws(DecodingError) {
        let latest = entries[id].latest
        guard record.revision > latest.revision else {
            throw input.error("revision \(record.revision) of a key after its revision \(latest.revision)")
        }
        push(record, to: id)
    }
}
