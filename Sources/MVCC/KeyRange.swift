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
        if candidate.lexicographicallyPrecedes(key) { return false }
        return isOpenEnded || candidate.lexicographicallyPrecedes(rangeEnd)
    }
}

/// Byte-string keys kept in order, for range scans.
struct SortedKeys {
    private(set) var keys: [[UInt8]] = []

    /// The position of the first key not less than `key`.
    func lowerBound(_ key: [UInt8]) -> Int {
        var lo = 0
        var hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid].lexicographicallyPrecedes(key) {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        return lo
    }

    mutating func insert(_ key: [UInt8]) {
        let at = lowerBound(key)
        if at < keys.count && keys[at] == key { return }
        keys.insert(key, at: at)
    }

    mutating func remove(_ key: [UInt8]) {
        let at = lowerBound(key)
        if at < keys.count && keys[at] == key {
            keys.remove(at: at)
        }
    }

    /// The keys within `range`, in order.
    func keys(in range: KeyRange) -> ArraySlice<[UInt8]> {
        let start = lowerBound(range.key)
        if range.isSingleKey {
            return start < keys.count && keys[start] == range.key ? keys[start...start] : []
        }
        let end = range.isOpenEnded ? keys.count : lowerBound(range.rangeEnd)
        return start < end ? keys[start..<end] : []
    }

    var count: Int { keys.count }
}
