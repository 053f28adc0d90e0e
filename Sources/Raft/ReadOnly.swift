/// The leader's pending ReadIndex requests, each waiting for a quorum to confirm, by answering a
/// heartbeat that carries the request's context, that this leader still leads (§6.4 of the
/// Raft thesis). Requests are confirmed in the order they arrived.
struct ReadOnly {
    struct Pending {
        let request: Message
        /// The commit index when the request arrived: the read position once confirmed.
        let index: UInt64
        var acks: [NodeID: Bool] = [:]
    }

    private var pending: [[UInt8]: Pending] = [:]
    private var queue: [[UInt8]] = []

    /// At most this many reads wait at once; more are refused rather than queued without bound.
    static let maxPending = 4096

    var isFull: Bool { queue.count >= Self.maxPending }

    /// Records a read at commit index `index`; a duplicate context is ignored.
    mutating func add(index: UInt64, request: Message) {
        let context = request.context
        guard pending[context] == nil else { return }
        pending[context] = Pending(request: request, index: index)
        queue.append(context)
    }

    /// Records that `from` answered the heartbeat for `context`; returns the acks so far.
    mutating func recordAck(from: NodeID, context: [UInt8]) -> [NodeID: Bool]? {
        guard pending[context] != nil else { return nil }
        pending[context]!.acks[from] = true
        return pending[context]!.acks
    }

    /// Removes and returns every request up to and including the one with `context`, which a
    /// quorum has confirmed; earlier requests are confirmed by the same round.
    mutating func advance(through context: [UInt8]) -> [Pending] {
        guard let position = queue.firstIndex(of: context) else { return [] }
        let confirmed = queue[...position].compactMap { pending.removeValue(forKey: $0) }
        queue.removeFirst(position + 1)
        return confirmed
    }

    /// The context of the newest pending request, sent with each heartbeat.
    var lastPendingContext: [UInt8]? { queue.last }

    var pendingCount: Int { queue.count }
}
