import MVCC

/// A role's permission on one key, a range [key, rangeEnd) or everything from key on
/// (rangeEnd "\0"), as etcd's authpb.Permission.
public struct Permission: Sendable, Hashable {
    /// The values are authpb's.
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable {
        case read = 0, write = 1, readwrite = 2

        func allows(_ access: Access) -> Bool {
            self == .readwrite || (self == .read && access == .read) || (self == .write && access == .write)
        }
    }

    public enum Access: Sendable, Hashable {
        case read, write
    }

    public var kind: Kind
    public var range: KeyRange

    public init(kind: Kind, range: KeyRange) {
        self.kind = kind
        self.range = range
    }

    /// etcd's rule: a non-empty key, and an end that is empty, "\0" or after the key.
    public var isValid: Bool {
        guard !range.key.isEmpty else { return false }
        return range.rangeEnd.isEmpty || range.rangeEnd == [0] || range.key.lexicographicallyPrecedes(range.rangeEnd)
    }

    /// The root role's permission: read and write on every key.
    static let everything = Permission(kind: .readwrite, range: KeyRange(key: [], rangeEnd: [0]))
}

/// Whether `permissions` together cover every key of `requested`: a single key needs one that
/// holds it, a range needs the union of the permissions to hold all of it.
func covers(_ permissions: [Permission], _ requested: KeyRange) -> Bool {
    let requestedInterval = Interval(requested)
    var intervals = permissions.map { Interval($0.range) }.sorted { $0.start.lexicographicallyPrecedes($1.start) }
    guard !intervals.isEmpty else { return false }
    var merged: [Interval] = [intervals.removeFirst()]
    for next in intervals {
        if merged[merged.count - 1].reaches(next.start) {
            merged[merged.count - 1].extend(to: next)
        } else {
            merged.append(next)
        }
    }
    return merged.contains { $0.contains(requestedInterval) }
}

/// A half-open key interval [start, end); a nil end reaches past every key.
private struct Interval {
    var start: [UInt8]
    var end: [UInt8]?

    init(_ range: KeyRange) {
        start = range.key
        if range.rangeEnd.isEmpty {
            end = range.key + [0]
        } else if range.rangeEnd == [0] {
            end = nil
        } else {
            end = range.rangeEnd
        }
    }

    /// Whether `key` is inside or just at the end (so the two intervals join).
    func reaches(_ key: [UInt8]) -> Bool {
        guard let end else { return true }
        return !end.lexicographicallyPrecedes(key)
    }

    mutating func extend(to other: Interval) {
        guard let end else { return }
        guard let otherEnd = other.end else { self.end = nil; return }
        if end.lexicographicallyPrecedes(otherEnd) { self.end = otherEnd }
    }

    func contains(_ other: Interval) -> Bool {
        guard !other.start.lexicographicallyPrecedes(start) else { return false }
        guard let end else { return true }
        guard let otherEnd = other.end else { return false }
        return !end.lexicographicallyPrecedes(otherEnd)
    }
}
