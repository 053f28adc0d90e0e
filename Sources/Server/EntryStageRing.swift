import Raft

/// When one member appended, fsynced and applied one entry of its log. A follower's stages of a
/// put happen on the follower, not on the member that holds the put's trace: each member keeps
/// these for its recent entries, and the cluster's snapshot joins them to traces by index.
public struct EntryStageTimes: Sendable, Hashable {
    /// When the member took the Ready that carried the entry (the entry entered its log).
    public var appendedNanos: UInt64?
    /// When the member's write of the entry was durable.
    public var syncedNanos: UInt64?
    /// When the member applied the entry to its store.
    public var appliedNanos: UInt64?

    public init(appendedNanos: UInt64? = nil, syncedNanos: UInt64? = nil, appliedNanos: UInt64? = nil) {
        self.appendedNanos = appendedNanos
        self.syncedNanos = syncedNanos
        self.appliedNanos = appliedNanos
    }
}

/// A member's stage times for its most recent entries, one fixed slot per index modulo the
/// capacity: recording moves and allocates nothing, and an old index's slot is simply reused.
/// A slot also holds the entry's term, so an entry replaced by another at the same index (a new
/// leader's log won) is never mistaken for it.
struct EntryStageRing {
    private struct Slot {
        var index: UInt64 = 0
        var term: UInt64 = 0
        /// Zero for "not yet": monotonic nanoseconds of a running member are never zero here
        /// in practice, and a zero only hides a stage, never invents one.
        var appendedNanos: UInt64 = 0
        var syncedNanos: UInt64 = 0
        var appliedNanos: UInt64 = 0
    }

    private var slots: [Slot]

    init(capacity: Int) {
        precondition(capacity > 0, "an entry stage ring holds at least one entry")
        slots = Array(repeating: Slot(), count: capacity)
    }

    var capacity: Int { slots.count }

    private func position(_ index: UInt64) -> Int { Int(index % UInt64(slots.count)) }

    /// The entries entered this member's log at `now`: each takes its slot afresh.
    mutating func appended(_ entries: [Entry], at now: UInt64) {
        for entry in entries {
            slots[position(entry.index)] = Slot(index: entry.index, term: entry.term, appendedNanos: now)
        }
    }

    /// The entries' write was durable at `now`.
    mutating func synced(_ entries: [Entry], at now: UInt64) {
        for entry in entries {
            let at = position(entry.index)
            if slots[at].index == entry.index && slots[at].term == entry.term && slots[at].syncedNanos == 0 {
                slots[at].syncedNanos = now
            }
        }
    }

    /// The entries were applied at `now`. An entry this member never appended itself (it came
    /// in a snapshot, or before a restart) gets a slot with only its apply time.
    mutating func applied(_ entries: [Entry], at now: UInt64) {
        for entry in entries {
            let at = position(entry.index)
            if slots[at].index != entry.index || slots[at].term != entry.term {
                slots[at] = Slot(index: entry.index, term: entry.term)
            }
            if slots[at].appliedNanos == 0 { slots[at].appliedNanos = now }
        }
    }

    /// The times recorded for the entry at `index` of `term`, if its slot still holds it.
    func times(index: UInt64, term: UInt64) -> EntryStageTimes? {
        let slot = slots[position(index)]
        guard index > 0, slot.index == index, slot.term == term else { return nil }
        return EntryStageTimes(appendedNanos: slot.appendedNanos == 0 ? nil : slot.appendedNanos,
                               syncedNanos: slot.syncedNanos == 0 ? nil : slot.syncedNanos,
                               appliedNanos: slot.appliedNanos == 0 ? nil : slot.appliedNanos)
    }
}

/// What a leader heard from one follower: each MsgAppResp that raised the index the follower
/// acknowledged, with when it arrived, oldest first, up to a fixed number. A trace finds its
/// follower's ack here when it is read, so an ack that arrives after the put was answered is
/// kept as well as one before, and the put path does no per-request work for acks.
struct AckLog {
    private var indexes: [UInt64]
    private var nanos: [UInt64]
    /// Where the oldest record is, once the log is full.
    private var oldest = 0
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0, "an ack log holds at least one ack")
        indexes = Array(repeating: 0, count: capacity)
        nanos = Array(repeating: 0, count: capacity)
    }

    var capacity: Int { indexes.count }

    private func at(_ i: Int) -> (index: UInt64, nanos: UInt64) {
        let slot = (oldest + i) % capacity
        return (indexes[slot], nanos[slot])
    }

    /// The follower acknowledged everything through `index` at `now`. An index lower than the
    /// last one means the follower's log was cut back (a new leader won): the log starts again.
    mutating func record(throughIndex index: UInt64, at now: UInt64) {
        if count > 0 {
            let last = at(count - 1).index
            if index == last { return }
            if index < last {
                oldest = 0
                count = 0
            }
        }
        if count < capacity {
            let slot = (oldest + count) % capacity
            indexes[slot] = index
            nanos[slot] = now
            count += 1
        } else {
            indexes[oldest] = index
            nanos[oldest] = now
            oldest = (oldest + 1) % capacity
        }
    }

    /// When the follower first acknowledged `index`, at or after `notBefore` (the leader's own
    /// append of it: no ack can precede that). Nil when it has not, or when the records that
    /// could tell were overwritten.
    func firstAck(covering index: UInt64, notBefore: UInt64) -> UInt64? {
        // Both columns ascend, so each bound is a binary search, and the answer is the later.
        let byIndex = firstPosition { $0.index >= index }
        let byTime = firstPosition { $0.nanos >= notBefore }
        let found = max(byIndex, byTime)
        guard found < count else { return nil }
        // The first record kept may not be the first there was, once the log wrapped.
        if found == 0 && count == capacity { return nil }
        return at(found).nanos
    }

    private func firstPosition(where holds: ((index: UInt64, nanos: UInt64)) -> Bool) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if holds(at(mid)) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
