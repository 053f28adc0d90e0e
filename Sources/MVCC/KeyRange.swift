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

/// The store's keys in byte order, as ids (4 bytes a key rather than a copy of the key), for
/// range scans: sorted chunks of at most `chunkCapacity` ids, so an insert moves at most one
/// chunk's worth rather than the whole set. Every method that compares is given the
/// `KeyBytesSource` that reads the keys.
struct SortedKeys: Sendable {
    static let chunkCapacity = 512
    private var chunks: [[UInt32]] = []
    private(set) var count = 0

    init() {}

    /// From ids already in key order.
    init(sortedIDs: [UInt32]) {
        count = sortedIDs.count
        var start = 0
        while start < sortedIDs.count {
            let end = min(start + Self.chunkCapacity / 2, sortedIDs.count)
            chunks.append(Array(sortedIDs[start..<end]))
            start = end
        }
    }

    /// The chunk that holds `key` or would: the last chunk whose first key is not after it.
    private func chunkIndex(for key: UnsafeRawBufferPointer, _ source: some KeyBytesSource) -> Int {
        var lo = 0
        var hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if source.compareKey(chunks[mid][0], key) > 0 {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        return max(lo - 1, 0)
    }

    /// The first offset in `chunk` whose key is not less than `key`.
    private static func lowerBound(_ key: UnsafeRawBufferPointer, in chunk: [UInt32], _ source: some KeyBytesSource) -> Int {
        var lo = 0
        var hi = chunk.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if source.compareKey(chunk[mid], key) < 0 {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }

    /// (chunk, offset) of the first key not less than `key`.
    private func position(of key: UnsafeRawBufferPointer, _ source: some KeyBytesSource) -> (chunk: Int, offset: Int) {
        guard !chunks.isEmpty else { return (0, 0) }
        let c = chunkIndex(for: key, source)
        let offset = Self.lowerBound(key, in: chunks[c], source)
        if offset == chunks[c].count && c + 1 < chunks.count { return (c + 1, 0) }
        return (c, offset)
    }

    /// Adds `id`, whose key is not in the set yet.
    mutating func insert(_ id: UInt32, _ source: some KeyBytesSource) {
        if chunks.isEmpty {
            chunks = [[id]]
            count = 1
            return
        }
        let (c, offset) = source.withKeyBytes(id) { key in
            let c = chunkIndex(for: key, source)
            return (c, Self.lowerBound(key, in: chunks[c], source))
        }
        chunks[c].insert(id, at: offset)
        count += 1
        if chunks[c].count > Self.chunkCapacity {
            let upper = Array(chunks[c][(Self.chunkCapacity / 2)...])
            chunks[c].removeSubrange((Self.chunkCapacity / 2)...)
            chunks.insert(upper, at: c + 1)
        }
    }

    /// Takes out `id`, which must be here.
    mutating func remove(_ id: UInt32, _ source: some KeyBytesSource) {
        let (c, offset) = source.withKeyBytes(id) { key in
            let c = chunkIndex(for: key, source)
            return (c, Self.lowerBound(key, in: chunks[c], source))
        }
        precondition(offset < chunks[c].count && chunks[c][offset] == id, "key id \(id) is not in the sorted keys")
        chunks[c].remove(at: offset)
        count -= 1
        if chunks[c].isEmpty { chunks.remove(at: c) }
    }

    /// The ids of the keys within `range`, in key order.
    func ids(in range: KeyRange, _ source: some KeyBytesSource) -> [UInt32] {
        var result: [UInt32] = []
        guard !chunks.isEmpty else { return result }
        range.key.withUnsafeBytes { start in
            range.rangeEnd.withUnsafeBytes { end in
                var (c, offset) = position(of: start, source)
                while c < chunks.count {
                    let chunk = chunks[c]
                    while offset < chunk.count {
                        let id = chunk[offset]
                        if range.isSingleKey {
                            if source.compareKey(id, start) == 0 { result.append(id) }
                            return
                        }
                        if !range.isOpenEnded && source.compareKey(id, end) >= 0 { return }
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
    var sortedChunks: [[UInt32]] { chunks }

    var all: [UInt32] { chunks.flatMap { $0 } }
}
