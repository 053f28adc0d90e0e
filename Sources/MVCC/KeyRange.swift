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

/// Byte-string keys kept in order, for range scans: sorted chunks of at most `chunkCapacity`
/// keys, so an insert moves at most one chunk's worth of keys rather than the whole set.
struct SortedKeys {
    static let chunkCapacity = 512
    private var chunks: [[[UInt8]]] = []
    private(set) var count = 0

    init() {}

    /// Builds from keys in any order.
    init(_ unsorted: some Sequence<[UInt8]>) {
        let sorted = unsorted.sorted { $0.bytesPrecede($1) }
        count = sorted.count
        var start = 0
        while start < sorted.count {
            let end = min(start + Self.chunkCapacity / 2, sorted.count)
            chunks.append(Array(sorted[start..<end]))
            start = end
        }
    }

    /// The chunk that holds `key` or would: the last chunk whose first key is not after it.
    private func chunkIndex(for key: [UInt8]) -> Int {
        var lo = 0
        var hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if key.bytesPrecede(chunks[mid][0]) {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        return max(lo - 1, 0)
    }

    private static func lowerBound(_ key: [UInt8], in chunk: [[UInt8]]) -> Int {
        var lo = 0
        var hi = chunk.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunk[mid].bytesPrecede(key) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }

    /// (chunk, offset) of the first key not less than `key`.
    private func position(of key: [UInt8]) -> (chunk: Int, offset: Int) {
        guard !chunks.isEmpty else { return (0, 0) }
        let c = chunkIndex(for: key)
        let offset = Self.lowerBound(key, in: chunks[c])
        if offset == chunks[c].count && c + 1 < chunks.count { return (c + 1, 0) }
        return (c, offset)
    }

    mutating func insert(_ key: [UInt8]) {
        if chunks.isEmpty {
            chunks = [[key]]
            count = 1
            return
        }
        let c = chunkIndex(for: key)
        let offset = Self.lowerBound(key, in: chunks[c])
        if offset < chunks[c].count && chunks[c][offset] == key { return }
        chunks[c].insert(key, at: offset)
        count += 1
        if chunks[c].count > Self.chunkCapacity {
            let upper = Array(chunks[c][(Self.chunkCapacity / 2)...])
            chunks[c].removeSubrange((Self.chunkCapacity / 2)...)
            chunks.insert(upper, at: c + 1)
        }
    }

    mutating func remove(_ key: [UInt8]) {
        guard !chunks.isEmpty else { return }
        let c = chunkIndex(for: key)
        let offset = Self.lowerBound(key, in: chunks[c])
        guard offset < chunks[c].count && chunks[c][offset] == key else { return }
        chunks[c].remove(at: offset)
        count -= 1
        if chunks[c].isEmpty { chunks.remove(at: c) }
    }

    /// The keys within `range`, in order.
    func keys(in range: KeyRange) -> [[UInt8]] {
        var result: [[UInt8]] = []
        guard !chunks.isEmpty else { return result }
        var (c, offset) = position(of: range.key)
        while c < chunks.count {
            let chunk = chunks[c]
            while offset < chunk.count {
                let key = chunk[offset]
                if range.isSingleKey {
                    if key == range.key { result.append(key) }
                    return result
                }
                if !range.isOpenEnded && !key.bytesPrecede(range.rangeEnd) { return result }
                result.append(key)
                offset += 1
            }
            c += 1
            offset = 0
        }
        return result
    }

    /// Every key, in order.
    var all: [[UInt8]] { chunks.flatMap { $0 } }
}
