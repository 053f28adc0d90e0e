/// The keys a request names, with etcd's conventions for `rangeEnd`: empty means `key` alone,
/// a single zero byte means every key from `key` on, anything else is the exclusive end.
public struct KeyRange: Sendable, Hashable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8]

    public init(key: [UInt8], rangeEnd: [UInt8] = []) {
        self.key = key
        self.rangeEnd = rangeEnd
    }

    /// Every key that starts with `prefix` (etcd's `--prefix`): the end is the prefix with its
    /// last byte below 0xff incremented; an all-0xff or empty prefix reaches to the end.
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return KeyRange(key: prefix, rangeEnd: end)
            }
            end.removeLast()
        }
        return KeyRange(key: prefix, rangeEnd: [0])
    }

    public var isSingleKey: Bool { rangeEnd.isEmpty }

    /// Whether the range reaches past every key.
    var isOpenEnded: Bool { rangeEnd == [0] }

    public func contains(_ candidate: [UInt8]) -> Bool {
        if isSingleKey { return candidate == key }
        if candidate.bytesPrecede(key) { return false }
        return isOpenEnded || candidate.bytesPrecede(rangeEnd)
    }
}

/// Reads a key's bytes by its id, for the sorted index to compare keys it holds only as ids.
protocol KeyBytesSource {
    func withKeyBytes<R>(_ id: UInt32, _ body: (UnsafeRawBufferPointer) -> R) -> R
}

extension KeyBytesSource {
    func compareKey(_ id: UInt32, _ key: UnsafeRawBufferPointer) -> Int {
        withKeyBytes(id) { compareBytes($0, key) }
    }
}

/// The first eight bytes of a key, big-endian and padded with zeros: two keys whose prefixes
/// differ are ordered as their prefixes are (where they first differ, both have a byte, or the
/// shorter key ended and the other has a non-zero byte), so most comparisons need no key bytes.
func keyPrefix(_ key: UnsafeRawBufferPointer) -> UInt64 {
    var prefix: UInt64 = 0
    let n = Swift.min(key.count, 8)
    for i in 0..<n { prefix |= UInt64(key[i]) << (56 - 8 * UInt64(i)) }
    return prefix
}

/// The store's keys in byte order, as ids with their prefixes (12 bytes a key rather than a
/// copy of the key), for range scans: sorted chunks of at most `chunkCapacity` keys, so an insert
/// moves at most one chunk's worth rather than the whole set. A comparison reads a key's bytes
/// (through the `KeyBytesSource` every such method is given) only when the prefixes are equal.
struct SortedKeys: Sendable {
    static let chunkCapacity = 512

    struct Chunk: Sendable {
        var ids: [UInt32] = []
        var prefixes: [UInt64] = []
    }

    private var chunks: [Chunk] = []
    /// Each chunk's first prefix, for the search across chunks.
    private var firstPrefixes: [UInt64] = []
    private(set) var count = 0

    init() {}

    /// From ids already in key order.
    init(sortedIDs: [UInt32], _ source: some KeyBytesSource) {
        count = sortedIDs.count
        var start = 0
        while start < sortedIDs.count {
            let end = min(start + Self.chunkCapacity / 2, sortedIDs.count)
            let ids = Array(sortedIDs[start..<end])
            chunks.append(Chunk(ids: ids, prefixes: ids.map { source.withKeyBytes($0, keyPrefix) }))
            firstPrefixes.append(chunks[chunks.count - 1].prefixes[0])
            start = end
        }
    }

    /// The order of the key `id` (whose prefix is `prefix`) against `key`.
    private static func compare(_ id: UInt32, _ prefix: UInt64, _ key: UnsafeRawBufferPointer, _ keyPrefix: UInt64,
                                _ source: some KeyBytesSource) -> Int {
        if prefix != keyPrefix { return prefix < keyPrefix ? -1 : 1 }
        return source.compareKey(id, key)
    }

    /// The chunk that holds `key` or would: the last chunk whose first key is not after it.
    private func chunkIndex(for key: UnsafeRawBufferPointer, prefix: UInt64, _ source: some KeyBytesSource) -> Int {
        var lo = 0
        var hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let first = firstPrefixes[mid]
            let after = first != prefix ? first > prefix : source.compareKey(chunks[mid].ids[0], key) > 0
            if after {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        return max(lo - 1, 0)
    }

    /// The first offset in `chunk` whose key is not less than `key`.
    private static func lowerBound(_ key: UnsafeRawBufferPointer, prefix: UInt64, in chunk: Chunk,
                                   _ source: some KeyBytesSource) -> Int {
        var lo = 0
        var hi = chunk.ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(chunk.ids[mid], chunk.prefixes[mid], key, prefix, source) < 0 {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }

    /// (chunk, offset) of the first key not less than `key`.
    private func position(of key: UnsafeRawBufferPointer, prefix: UInt64, _ source: some KeyBytesSource) -> (chunk: Int, offset: Int) {
        guard !chunks.isEmpty else { return (0, 0) }
        let c = chunkIndex(for: key, prefix: prefix, source)
        let offset = Self.lowerBound(key, prefix: prefix, in: chunks[c], source)
        if offset == chunks[c].ids.count && c + 1 < chunks.count { return (c + 1, 0) }
        return (c, offset)
    }

    /// Adds `id`, whose key is not in the set yet.
    mutating func insert(_ id: UInt32, _ source: some KeyBytesSource) {
        let (prefix, c, offset) = source.withKeyBytes(id) { key in
            let prefix = keyPrefix(key)
            guard !chunks.isEmpty else { return (prefix, 0, 0) }
            let c = chunkIndex(for: key, prefix: prefix, source)
            return (prefix, c, Self.lowerBound(key, prefix: prefix, in: chunks[c], source))
        }
        count += 1
        if chunks.isEmpty {
            chunks = [Chunk(ids: [id], prefixes: [prefix])]
            firstPrefixes = [prefix]
            return
        }
        chunks[c].ids.insert(id, at: offset)
        chunks[c].prefixes.insert(prefix, at: offset)
        if offset == 0 { firstPrefixes[c] = prefix }
        if chunks[c].ids.count > Self.chunkCapacity {
            let half = Self.chunkCapacity / 2
            let upper = Chunk(ids: Array(chunks[c].ids[half...]), prefixes: Array(chunks[c].prefixes[half...]))
            chunks[c].ids.removeSubrange(half...)
            chunks[c].prefixes.removeSubrange(half...)
            chunks.insert(upper, at: c + 1)
            firstPrefixes.insert(upper.prefixes[0], at: c + 1)
        }
    }

    /// Takes out `id`, which must be here.
    mutating func remove(_ id: UInt32, _ source: some KeyBytesSource) {
        let (c, offset) = source.withKeyBytes(id) { key in
            let prefix = keyPrefix(key)
            let c = chunkIndex(for: key, prefix: prefix, source)
            return (c, Self.lowerBound(key, prefix: prefix, in: chunks[c], source))
        }
        precondition(offset < chunks[c].ids.count && chunks[c].ids[offset] == id, "key id \(id) is not in the sorted keys")
        chunks[c].ids.remove(at: offset)
        chunks[c].prefixes.remove(at: offset)
        count -= 1
        if chunks[c].ids.isEmpty {
            chunks.remove(at: c)
            firstPrefixes.remove(at: c)
        } else if offset == 0 {
            firstPrefixes[c] = chunks[c].prefixes[0]
        }
    }

    /// The ids of the keys within `range`, in key order.
    func ids(in range: KeyRange, _ source: some KeyBytesSource) -> [UInt32] {
        var result: [UInt32] = []
        guard !chunks.isEmpty else { return result }
        range.key.withUnsafeBytes { start in
            range.rangeEnd.withUnsafeBytes { end in
                let startPrefix = keyPrefix(start)
                let endPrefix = keyPrefix(end)
                var (c, offset) = position(of: start, prefix: startPrefix, source)
                while c < chunks.count {
                    let chunk = chunks[c]
                    while offset < chunk.ids.count {
                        let id = chunk.ids[offset]
                        if range.isSingleKey {
                            if Self.compare(id, chunk.prefixes[offset], start, startPrefix, source) == 0 { result.append(id) }
                            return
                        }
                        if !range.isOpenEnded && Self.compare(id, chunk.prefixes[offset], end, endPrefix, source) >= 0 { return }
                        result.append(id)
                        offset += 1
                    }
                    c += 1
                    offset = 0
                }
            }
        }
        return result
    }

    /// Every id in key order, chunk by chunk.
    var sortedChunks: [[UInt32]] { chunks.map(\.ids) }

    var all: [UInt32] { chunks.flatMap(\.ids) }
}
