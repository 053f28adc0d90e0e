/// Flow control for one follower: the MsgApps sent but not yet acknowledged, each remembered by
/// the last index it carried and its size. The leader stops sending when the window is full
/// (by count, `capacity`, or by bytes, `maxBytes`) and frees it as acknowledgements arrive.
struct Inflights {
    let capacity: Int
    /// 0 means no limit by bytes.
    let maxBytes: UInt64
    private var ring: [(index: UInt64, bytes: UInt64)]
    private var start = 0
    private(set) var count = 0
    private(set) var bytes: UInt64 = 0

    init(capacity: Int, maxBytes: UInt64 = 0) {
        precondition(capacity > 0, "inflight capacity must be positive")
        self.capacity = capacity
        self.maxBytes = maxBytes
        ring = Array(repeating: (0, 0), count: capacity)
    }

    var isFull: Bool {
        count == capacity || (maxBytes != 0 && bytes >= maxBytes)
    }

    /// Records a MsgApp whose last entry is `index`. Indexes must increase.
    mutating func add(index: UInt64, bytes size: UInt64) {
        precondition(!isFull, "cannot add into a full inflights window")
        if count > 0 {
            let last = ring[(start + count - 1) % capacity].index
            precondition(index > last, "inflight index \(index) is not after \(last)")
        }
        ring[(start + count) % capacity] = (index, size)
        count += 1
        bytes += size
    }

    /// Frees every message whose last index is at most `index`.
    mutating func freeLE(_ index: UInt64) {
        while count > 0 && ring[start].index <= index {
            bytes -= ring[start].bytes
            start = (start + 1) % capacity
            count -= 1
        }
        if count == 0 { start = 0 }
    }

    mutating func reset() {
        start = 0
        count = 0
        bytes = 0
    }
}
