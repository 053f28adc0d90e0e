import Dispatch
import MVCC
import Raft
import Server

extension Cluster {
    /// Puts through the leader (or through `member`, which forwards to it), retrying when there
    /// is no leader or the member stopped, until the request timeout. A timeout is not
    /// retried: the put may or may not have happened.
    public func put(key: [UInt8], value: [UInt8], via member: NodeID? = nil, credentials: Credentials = .none,
                    completion: @escaping Completion = { _ in }) {
        request(.put(PutRequest(key: key, value: value)), via: member, credentials: credentials, completion: completion)
    }

    public func request(_ operation: InternalRequest.Operation, via member: NodeID? = nil, credentials: Credentials = .none,
                        completion: @escaping Completion = { _ in }) {
        let started = clock.nowNanos()
        let call = Call(operation: operation, credentials: credentials, started: started,
                        deadline: started + config.member.requestTimeoutNanos, completion: completion)
        attempt(call, via: member)
    }

    /// One client request and what every attempt at it needs.
    private struct Call: Sendable {
        let operation: InternalRequest.Operation
        let credentials: Credentials
        let started: UInt64
        let deadline: UInt64
        let completion: Completion
    }

    private func attempt(_ call: Call, via preferred: NodeID?) {
        let (operation, started, completion) = (call.operation, call.started, call.completion)
        guard let target = pickMember(preferred) else {
            return retryOrFail(call, error: .noLeader)
        }
        target.propose(operation, credentials: call.credentials) { [weak self] result in
            guard let self else { return completion(result) }
            switch result {
            case .success:
                let micros = (self.clock.nowNanos() - started) / 1000
                self.state.withLock { s in
                    s.latency.record(micros: micros)
                    s.putsAcknowledged += 1
                }
                completion(result)
            case .failure(let error):
                self.retryOrFail(call, error: error)
            }
        }
    }

    private func retryOrFail(_ call: Call, error: ServerError) {
        if Self.isRetryable(error) && clock.nowNanos() < call.deadline {
            schedule(afterNanos: config.member.tickNanos) { [weak self] in
                self?.attempt(call, via: nil)
            }
            return
        }
        state.withLock { s in
            s.putsFailed += 1
            s.latency.recordError()
            s.events.append(ClusterEvent(atNanos: clock.nowNanos(), kind: .clientError(error.description)))
        }
        call.completion(.failure(error))
    }

    /// Errors after which the request certainly did not happen, so trying again is safe.
    /// Not `stopped`: a stopping member fails proposals that may already be in its log, and be
    /// committed once it restarts, so a retry could apply the request twice.
    static func isRetryable(_ error: ServerError) -> Bool {
        switch error {
        case .noLeader, .proposalDropped, .tooManyRequests: true
        default: false
        }
    }

    private func pickMember(_ preferred: NodeID?) -> Member? {
        state.withLock { s in
            let states = s.states
            let usable = { (id: NodeID) in states[id] == .up || states[id] == .partitioned }
            if let preferred, usable(preferred), let m = s.members[preferred] { return m }
            if let leader = s.leader, usable(leader), let m = s.members[leader] { return m }
            // With no leader known, a follower would forward to a leader that may be gone and
            // the put would wait out its whole timeout: wait for an election instead.
            return nil
        }
    }

    /// Runs `action` after `nanos`: on a timer in real time, at that simulated time otherwise.
    func schedule(afterNanos nanos: UInt64, _ action: @escaping @Sendable () -> Void) {
        if isSimulated {
            let due = clock.nowNanos() + nanos
            state.withLock { s in
                s.timerSequence += 1
                s.timers.append((due, s.timerSequence, action))
            }
        } else {
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanos)), execute: action)
        }
    }

    /// Counts of acknowledged and failed client requests so far.
    public var clientCounts: (acknowledged: Int, failed: Int) {
        state.withLock { ($0.putsAcknowledged, $0.putsFailed) }
    }
}

extension Cluster {
    /// Real time: puts and waits for the answer.
    public func put(key: [UInt8], value: [UInt8], via member: NodeID? = nil) async -> Result<Response, ServerError> {
        await withCheckedContinuation { continuation in
            put(key: key, value: value, via: member) { continuation.resume(returning: $0) }
        }
    }
}
