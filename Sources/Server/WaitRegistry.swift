import MVCC
import Raft

/// The requests a member is waiting on (etcd's wait.Wait), their stage traces, and the reads
/// waiting for a ReadIndex. Guarded by the member's wait lock.
struct WaitRegistry {
    struct Waiter {
        let completion: Completion
        let deadlineNanos: UInt64
        var trace: StageTrace
    }

    struct ReadWaiter {
        let request: RangeRequest
        /// Who reads, when auth is on (empty otherwise): checked when the read is served.
        let username: String
        let completion: Completion
        let deadlineNanos: UInt64
        /// The read position, once the leader confirmed it.
        var readIndex: UInt64?
    }

    private(set) var waiters: [UInt64: Waiter] = [:]
    /// Request ids in the order of their Raft index, once the leader appended them.
    private var byIndex: [(index: UInt64, id: UInt64)] = []
    private(set) var reads: [UInt64: ReadWaiter] = [:]
    /// The most recent finished traces.
    private var finished = TraceRing(capacity: 256)
    /// Each follower's acknowledgements, while this member leads.
    private var acks: [NodeID: AckLog] = [:]
    static let acksKept = 1024

    var pendingCount: Int { waiters.count }
    var pendingReadCount: Int { reads.count }

    mutating func register(id: UInt64, trace: StageTrace, deadlineNanos: UInt64, completion: @escaping Completion) {
        precondition(waiters[id] == nil, "request id \(id) registered twice")
        waiters[id] = Waiter(completion: completion, deadlineNanos: deadlineNanos, trace: trace)
    }

    mutating func markProposed(id: UInt64, at now: UInt64) {
        waiters[id]?.trace.proposedNanos = now
    }

    /// The leader appended the entry for `id` at `index`.
    mutating func markAppended(id: UInt64, index: UInt64, term: UInt64, at now: UInt64) {
        guard waiters[id] != nil else { return }
        waiters[id]!.trace.index = index
        waiters[id]!.trace.term = term
        waiters[id]!.trace.leaderAppendedNanos = now
        byIndex.append((index, id))
    }

    mutating func markSynced(throughIndex last: UInt64, at now: UInt64) {
        for (index, id) in byIndex {
            if index > last { break }
            if waiters[id]?.trace.leaderSyncedNanos == nil { waiters[id]?.trace.leaderSyncedNanos = now }
        }
    }

    /// A follower's MsgAppResp acknowledged everything through `last`. Traces read their acks
    /// from these logs (see `withAcks`), so nothing per request happens here.
    mutating func markAcked(by follower: NodeID, throughIndex last: UInt64, at now: UInt64) {
        acks[follower, default: AckLog(capacity: Self.acksKept)].record(throughIndex: last, at: now)
    }

    mutating func markCommitted(throughIndex commit: UInt64, at now: UInt64) {
        for (index, id) in byIndex {
            if index > commit { break }
            if waiters[id]?.trace.committedNanos == nil { waiters[id]?.trace.committedNanos = now }
        }
    }

    /// Removes the waiter for `id`; the caller completes it outside the lock.
    mutating func finish(id: UInt64, appliedAt: UInt64?, now: UInt64, error: ServerError?) -> (Completion, StageTrace)? {
        guard var waiter = waiters.removeValue(forKey: id) else { return nil }
        if let appliedAt { waiter.trace.appliedNanos = appliedAt }
        waiter.trace.respondedNanos = now
        waiter.trace.error = error?.description
        if let at = byIndex.firstIndex(where: { $0.id == id }) { byIndex.remove(at: at) }
        remember(waiter.trace)
        return (waiter.completion, waiter.trace)
    }

    private mutating func remember(_ trace: StageTrace) {
        finished.append(trace)
    }

    /// The newest `limit` finished traces, oldest first, with their followers' acks.
    func recentTraces(limit: Int) -> [StageTrace] {
        finished.newest(limit).map(withAcks)
    }

    /// The newest `limit` finished traces and the newest `limit` still waiting, read at one
    /// instant, so a request answered meanwhile is in exactly one of them.
    func tracesWithInFlight(limit: Int) -> [StageTrace] {
        recentTraces(limit: limit) + inFlightTraces(limit: limit)
    }

    /// The newest `limit` traces of requests still waiting, oldest first, with the acks so far.
    func inFlightTraces(limit: Int) -> [StageTrace] {
        guard limit > 0 else { return [] }
        // A bounded selection, not a sort of everything waiting: this runs under the wait lock.
        var newest: [StageTrace] = []
        newest.reserveCapacity(min(limit, waiters.count))
        for waiter in waiters.values {
            let trace = waiter.trace
            if newest.count == limit {
                guard trace.receivedNanos > newest[0].receivedNanos else { continue }
                newest.removeFirst()
            }
            let at = newest.firstIndex { $0.receivedNanos > trace.receivedNanos } ?? newest.count
            newest.insert(trace, at: at)
        }
        return newest.map(withAcks)
    }

    /// The trace with every follower ack this member heard for its entry, before or after the
    /// answer.
    private func withAcks(_ trace: StageTrace) -> StageTrace {
        guard trace.index > 0, let appended = trace.leaderAppendedNanos else { return trace }
        var trace = trace
        for (follower, log) in acks where follower != trace.member && trace.followerAckNanos[follower] == nil {
            if let at = log.firstAck(covering: trace.index, notBefore: appended) { trace.followerAckNanos[follower] = at }
        }
        return trace
    }

    /// Waiters past their deadline, removed; the caller fails them with `timeout`.
    mutating func expire(now: UInt64) -> [(Completion, StageTrace)] {
        let late = waiters.filter { $0.value.deadlineNanos <= now }.map(\.key)
        var expired = late.compactMap { finish(id: $0, appliedAt: nil, now: now, error: .timeout) }
        let lateReads = reads.filter { $0.value.deadlineNanos <= now }.map(\.key)
        for ctx in lateReads {
            let read = reads.removeValue(forKey: ctx)!
            let trace = StageTrace(requestID: ctx, member: noNode, summary: "range", receivedNanos: now)
            expired.append((read.completion, trace))
        }
        return expired
    }

    /// Everything still waiting, removed: the member is stopping.
    mutating func drainAll() -> [Completion] {
        let all = waiters.values.map(\.completion) + reads.values.map(\.completion)
        waiters = [:]
        byIndex = []
        reads = [:]
        return all
    }

    // MARK: Reads

    mutating func registerRead(context: UInt64, request: RangeRequest, username: String, deadlineNanos: UInt64,
                               completion: @escaping Completion) {
        reads[context] = ReadWaiter(request: request, username: username, completion: completion, deadlineNanos: deadlineNanos)
    }

    mutating func confirmRead(context: UInt64, index: UInt64) {
        reads[context]?.readIndex = index
    }

    /// Confirmed reads whose position has been applied, removed for serving.
    mutating func takeServableReads(applied: UInt64) -> [ReadWaiter] {
        let ready = reads.filter { ($0.value.readIndex ?? .max) <= applied }
        for ctx in ready.keys { reads.removeValue(forKey: ctx) }
        return Array(ready.values)
    }

    mutating func failRead(context: UInt64) -> Completion? {
        reads.removeValue(forKey: context)?.completion
    }
}

/// The newest traces, up to a fixed number: a ring, so remembering one more moves nothing (an
/// array that dropped its first trace moved all the others, a copy per request).
struct TraceRing {
    private var slots: [StageTrace] = []
    /// Where the oldest trace is, once the ring is full.
    private var oldest = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a trace ring holds at least one trace")
        self.capacity = capacity
        slots.reserveCapacity(capacity)
    }

    var count: Int { slots.count }

    mutating func append(_ trace: StageTrace) {
        if slots.count < capacity {
            slots.append(trace)
        } else {
            slots[oldest] = trace
            oldest = (oldest + 1) % capacity
        }
    }

    /// The newest `limit` traces, oldest first.
    func newest(_ limit: Int) -> [StageTrace] {
        let n = min(max(limit, 0), slots.count)
        return (slots.count - n..<slots.count).map { slots[(oldest + $0) % slots.count] }
    }
}
