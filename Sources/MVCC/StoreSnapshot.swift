/// The store as bytes, for Raft snapshots: every retained revision with its value or tombstone,
/// the revisions and the applied index.
///
/// Layout (little-endian): magic "MVC1", current revision, compact revision, consistent index,
/// record count, then per record in revision order: main, sub, kind (0 put, 1 delete), key
/// length + key, and for a put: value length + value, create revision, version, lease.
extension MVCCStore {
    static let snapshotMagic: [UInt8] = Array("MVC1".utf8)

    public func snapshotData() -> [UInt8] {
        var out = ByteWriter()
        out.bytes(Self.snapshotMagic)
        out.int64(currentRevision)
        out.int64(compactRevision)
        out.uint64(consistentIndex)
        var revisions = Array(values.keys)
        revisions.append(contentsOf: tombstones.keys)
        revisions.sort()
        out.uint64(UInt64(revisions.count))
        for revision in revisions {
            out.int64(revision.main)
            out.int64(revision.sub)
            if let kv = values[revision] {
                out.uint8(0)
                out.lengthPrefixed(kv.key)
                out.lengthPrefixed(kv.value)
                out.int64(kv.createRevision)
                out.int64(kv.version)
                out.int64(kv.lease)
            } else {
                out.uint8(1)
                out.lengthPrefixed(tombstones[revision]!)
            }
        }
        return out.buffer
    }

    /// Replaces the whole state with a snapshot made by `snapshotData()`. Watchers are kept
    /// (they see no events for the jump); on a decoding error the store is left unchanged.
    public func restore(fromSnapshot data: [UInt8]) throws(MVCCError) {
        var input = ByteReader(data)
        guard try input.bytes(4) == Self.snapshotMagic else { throw .corruptSnapshot("bad magic") }
        let current = try input.int64()
        let compacted = try input.int64()
        let applied = try input.uint64()
        let count = try input.uint64()
        guard current >= 1, compacted >= 0, compacted <= current else {
            throw .corruptSnapshot("revisions out of order: current \(current), compacted \(compacted)")
        }
        var restoredValues: [Revision: KeyValue] = [:]
        var restoredTombstones: [Revision: [UInt8]] = [:]
        var indexes: [[UInt8]: KeyIndex] = [:]
        var order: [Revision] = []
        var previous: Revision?
        for _ in 0..<count {
            let revision = Revision(main: try input.int64(), sub: try input.int64())
            if let previous, revision <= previous { throw .corruptSnapshot("revision \(revision) after \(previous)") }
            guard revision.main <= current else { throw .corruptSnapshot("revision \(revision) past current \(current)") }
            previous = revision
            let kind = try input.uint8()
            let key = try input.lengthPrefixed()
            guard !key.isEmpty else { throw .corruptSnapshot("empty key at revision \(revision)") }
            var index = indexes[key] ?? KeyIndex()
            switch kind {
            case 0:
                let value = try input.lengthPrefixed()
                let kv = KeyValue(key: key, value: value, createRevision: try input.int64(), modRevision: revision.main,
                                  version: try input.int64(), lease: try input.int64())
                restoredValues[revision] = kv
                index.put(revision)
            case 1:
                restoredTombstones[revision] = key
                index.tombstone(revision)
            default:
                throw .corruptSnapshot("unknown record kind \(kind) at revision \(revision)")
            }
            indexes[key] = index
            order.append(revision)
        }
        guard input.isAtEnd else { throw .corruptSnapshot("\(input.remaining) trailing bytes") }

        currentRevision = current
        compactRevision = compacted
        consistentIndex = applied
        values = restoredValues
        tombstones = restoredTombstones
        keyIndexes = indexes
        sortedKeys = SortedKeys()
        for key in indexes.keys { sortedKeys.insert(key) }
        history = Array(order[order.partitionPoint { $0.main < compacted }...])
    }
}

/// Appends little-endian integers and byte strings to a buffer.
struct ByteWriter {
    private(set) var buffer: [UInt8] = []

    mutating func uint8(_ v: UInt8) { buffer.append(v) }

    mutating func uint64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }

    mutating func int64(_ v: Int64) { uint64(UInt64(bitPattern: v)) }

    mutating func bytes(_ b: [UInt8]) { buffer.append(contentsOf: b) }

    mutating func lengthPrefixed(_ b: [UInt8]) {
        uint64(UInt64(b.count))
        buffer.append(contentsOf: b)
    }
}

/// Reads what `ByteWriter` wrote, failing with the offset where input ran out.
struct ByteReader {
    private let data: [UInt8]
    private var offset = 0

    init(_ data: [UInt8]) { self.data = data }

    var isAtEnd: Bool { offset == data.count }
    var remaining: Int { data.count - offset }

    mutating func bytes(_ n: Int) throws(MVCCError) -> [UInt8] {
        guard n >= 0, n <= remaining else {
            throw .corruptSnapshot("needs \(n) bytes at offset \(offset), \(remaining) left")
        }
        defer { offset += n }
        return Array(data[offset..<offset + n])
    }

    mutating func uint8() throws(MVCCError) -> UInt8 { try bytes(1)[0] }

    mutating func uint64() throws(MVCCError) -> UInt64 {
        let b = try bytes(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[i]) << UInt64(8 * i) }
        return v
    }

    mutating func int64() throws(MVCCError) -> Int64 { Int64(bitPattern: try uint64()) }

    mutating func lengthPrefixed() throws(MVCCError) -> [UInt8] {
        let n = try uint64()
        guard n <= UInt64(remaining) else {
            throw .corruptSnapshot("length \(n) at offset \(offset) exceeds the \(remaining) bytes left")
        }
        return try bytes(Int(n))
    }
}
