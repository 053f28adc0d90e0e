/// One write of a key, in 48 bytes: the value a put set (its bytes in the store's arena) or the
/// tombstone a delete left, which has version 0 (a put's version is always 1 or more).
struct VersionRecord: Sendable {
    var main: Int64
    var createRevision: Int64
    var version: Int64
    var lease: Int64
    var value: ArenaSlot
    var sub: Int32

    var isTombstone: Bool { version == 0 }
    var revision: Revision { Revision(main: main, sub: Int64(sub)) }

    static func tombstone(at revision: Revision) -> VersionRecord {
        VersionRecord(main: revision.main, createRevision: 0, version: 0, lease: 0, value: .empty, sub: Self.sub(revision))
    }

    /// A transaction's sub-revisions count its writes, which stay far below 2^31.
    static func sub(_ revision: Revision) -> Int32 {
        precondition(revision.sub >= 0 && revision.sub <= Int64(Int32.max), "sub-revision \(revision.sub) out of range")
        return Int32(revision.sub)
    }

    /// A fixed cost per retained version for its bookkeeping, in `MVCCStore.retainedBytes`.
    static let bookkeepingBytes = 48
}

/// Every retained write of one key: its newest (`latest`) inline, and any older ones in the
/// store's `olderVersions[older]`, oldest first. A tombstone ends a generation (the key's life
/// from the put that created it to the delete); a key whose newest write is a tombstone is
/// deleted. Most keys have one write retained, so most keys cost this record and nothing else.
struct KeyEntry: Sendable {
    var key: ArenaSlot
    /// An index into `olderVersions`, or -1 for none.
    var older: Int32
    var latest: VersionRecord

    /// An entry whose key has been forgotten, waiting in the free list for reuse.
    var isFree: Bool { latest.main == 0 }
    var isLive: Bool { !latest.isTombstone }
}

/// The position, in a key's writes (older ones, then the latest), of the newest write at or
/// before `atMain`; nil if every write is after it. `older.count` stands for the latest.
func newestIndex(of older: [VersionRecord], latest: VersionRecord, atMain: Int64) -> Int? {
    if latest.main <= atMain { return older.count }
    var i = older.count - 1
    while i >= 0 && older[i].main > atMain { i -= 1 }
    return i >= 0 ? i : nil
}

/// The key records by key id, in chunks of 4,096 so that after an image of the store shares
/// them, a write copies one chunk rather than the whole table.
struct KeyEntries: Sendable {
    static let chunkShift = 12
    static let chunkMask = (1 << chunkShift) - 1

    private var chunks: [[KeyEntry]] = []
    /// Ids handed out so far (some may be free).
    private(set) var count = 0

    subscript(id: UInt32) -> KeyEntry {
        let i = Int(id)
        return chunks[i >> Self.chunkShift][i & Self.chunkMask]
    }

    mutating func update<R>(_ id: UInt32, _ body: (inout KeyEntry) throws -> R) rethrows -> R {
        let i = Int(id)
        return try body(&chunks[i >> Self.chunkShift][i & Self.chunkMask])
    }

    mutating func append(_ entry: KeyEntry) -> UInt32 {
        precondition(count < Int(UInt32.max), "the store ran out of key ids")
        if count & Self.chunkMask == 0 {
            var chunk: [KeyEntry] = []
            chunk.reserveCapacity(1 << Self.chunkShift)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(entry)
        count += 1
        return UInt32(count - 1)
    }
}

/// Finds a key's id from its bytes: open addressing with linear probing over slots that hold
/// the key's 32-bit hash and its id + 1 (0 is an empty slot), kept at most half full. A probe
/// compares hashes first and reads the key's bytes only when they match.
struct KeyTable: Sendable {
    private var slots: [UInt64] = Array(repeating: 0, count: 16)
    private(set) var count = 0

    private var mask: Int { slots.count - 1 }

    private static func slot(hash: UInt32, id: UInt32) -> UInt64 { UInt64(hash) << 32 | UInt64(id + 1) }
    private static func id(_ slot: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: slot) - 1 }
    private static func hash(_ slot: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: slot >> 32) }

    func find(hash: UInt32, matches: (UInt32) -> Bool) -> UInt32? {
        var i = Int(hash) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if Self.hash(s) == hash && matches(Self.id(s)) { return Self.id(s) }
            i = (i + 1) & mask
        }
    }

    /// Adds a key known not to be here.
    mutating func insert(hash: UInt32, id: UInt32) {
        precondition(id < UInt32.max, "key id \(id) out of range")
        if (count + 1) * 2 > slots.count { grow() }
        place(Self.slot(hash: hash, id: id))
        count += 1
    }

    private mutating func place(_ slot: UInt64) {
        var i = Int(Self.hash(slot)) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = slot
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        for s in old where s != 0 { place(s) }
    }

    /// Takes a key out, shifting the entries after it back so no probe meets a hole.
    mutating func remove(hash: UInt32, id: UInt32) {
        let wanted = Self.slot(hash: hash, id: id)
        var hole = Int(hash) & mask
        while slots[hole] != wanted {
            precondition(slots[hole] != 0, "key id \(id) is not in the table")
            hole = (hole + 1) & mask
        }
        var next = (hole + 1) & mask
        while slots[next] != 0 {
            let home = Int(Self.hash(slots[next])) & mask
            // Move the entry back into the hole unless its home lies after the hole (cyclically,
            // in the stretch hole+1 ... next), where a probe for it starts past the hole.
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !homeAfterHole {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = 0
        count -= 1
    }

    /// Sized for `expected` keys, for a store being rebuilt.
    init(expected: Int = 0) {
        var capacity = 16
        while capacity < expected * 2 { capacity *= 2 }
        slots = Array(repeating: 0, count: capacity)
    }
}
