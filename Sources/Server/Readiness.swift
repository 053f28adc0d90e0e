import Raft

/// Requests that arrive before a member is ready: it is ready once it knows a leader and has
/// applied what it knew to be committed when it first knew one (etcd serves clients only after
/// its ReadyNotify, once its own entry is applied: a fixed point in the log, so a member that
/// applies a little behind a busy leader still gets there). They wait, as etcd's do, rather
/// than fail with "no leader"; each until the request timeout.
struct WaitingForReady {
    struct Request {
        let deadlineNanos: UInt64
        let start: @Sendable () -> Void
        let fail: @Sendable (ServerError) -> Void
    }

    /// Requests held at once; more are refused as too many.
    static let requestsMax = 10_000

    var isReady = false
    /// The commit index when a leader was first known: applied this far, the member is ready.
    var catchUpIndex: UInt64?
    var requests: [Request] = []
}

extension Member {
    /// Whether the member serves requests: it has known a leader and caught up with what was
    /// committed then. It stays ready until it stops.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    /// Runs `start` at once when the member is ready, or once it is; calls `fail` instead when
    /// the request timeout passes first, or when too many requests already wait.
    func whenReady(_ start: @escaping @Sendable () -> Void, orFail fail: @escaping @Sendable (ServerError) -> Void) {
        if ready.load(ordering: .acquiring) { return start() }
        let request = WaitingForReady.Request(deadlineNanos: clock.nowNanos() + config.requestTimeoutNanos, start: start, fail: fail)
        enum Outcome { case start, waiting, refused }
        let outcome = readiness.withLock { waiting -> Outcome in
            if waiting.isReady { return .start }
            guard waiting.requests.count < WaitingForReady.requestsMax else { return .refused }
            waiting.requests.append(request)
            return .waiting
        }
        switch outcome {
        case .start: start()
        case .waiting: wake()
        case .refused: fail(.tooManyRequests)
        }
    }

    /// Becomes ready when a leader is known and what was committed then is applied, and starts
    /// what waited; fails what waited past its deadline.
    func checkReadiness() {
        guard !ready.load(ordering: .relaxed) else { return }
        let leaderKnown = raft.withLock { $0.lead != noNode }
        let committed = committedIndex.load(ordering: .relaxed)
        let target = readiness.withLock { waiting -> UInt64? in
            if waiting.catchUpIndex == nil && leaderKnown { waiting.catchUpIndex = committed }
            return waiting.catchUpIndex
        }
        if let target, appliedIndex.load(ordering: .relaxed) >= target {
            let waited = readiness.withLock { waiting -> [WaitingForReady.Request] in
                waiting.isReady = true
                defer { waiting.requests = [] }
                return waiting.requests
            }
            ready.store(true, ordering: .releasing)
            for request in waited { request.start() }
            return
        }
        let now = clock.nowNanos()
        let expired = readiness.withLock { waiting -> [WaitingForReady.Request] in
            let expired = waiting.requests.filter { $0.deadlineNanos <= now }
            if !expired.isEmpty { waiting.requests.removeAll { $0.deadlineNanos <= now } }
            return expired
        }
        for request in expired { request.fail(.timeout) }
    }
}
