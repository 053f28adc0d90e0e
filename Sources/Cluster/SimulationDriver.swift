import Raft
import Server

extension Cluster {
    /// Simulated mode: runs everything due in the next `nanos` of simulated time, in a fixed
    /// order (timers, messages, ticks in member order, then every member's cycles until quiet);
    /// a member whose raft loop waits for a slow disk goes on when its write is durable.
    ///
    /// With `stopWhen`, stops early at the first instant it holds, asked before anything runs
    /// and after every round of member cycles, before the messages they sent are delivered: the
    /// clock stays at that instant and those messages stay in flight. Returns whether it stopped.
    @discardableResult
    public func advance(byNanos nanos: UInt64, stopWhen shouldStop: (() -> Bool)? = nil) -> Bool {
        precondition(isSimulated, "advance(byNanos:) drives a simulated cluster")
        guard let manual = clock as? ManualClock else { return false }
        let target = manual.nowNanos() + nanos
        if shouldStop?() == true { return true }
        if settle(stopWhen: shouldStop) { return stoppedEarly() }
        while let next = nextEventNanos(), next <= target {
            manual.set(max(next, manual.nowNanos()))
            runTimers()
            deliverDue()
            tickDueMembers()
            if settle(stopWhen: shouldStop) { return stoppedEarly() }
        }
        manual.set(target)
        if settle(stopWhen: shouldStop) { return stoppedEarly() }
        observe()
        return false
    }

    private func stoppedEarly() -> Bool {
        observe()
        return true
    }

    private func nextEventNanos() -> UInt64? {
        state.withLock { s in
            var candidates: [UInt64] = []
            for id in s.ids where s.states[id] == .up || s.states[id] == .partitioned {
                if let t = s.nextTickNanos[id] { candidates.append(t) }
                // A raft loop waiting for a slow disk goes on when the write is durable.
                if let t = s.members[id]?.persistingUntilNanos { candidates.append(t) }
            }
            if let due = s.network.nextDueNanos { candidates.append(due) }
            if let timer = s.timers.map(\.dueNanos).min() { candidates.append(timer) }
            return candidates.min()
        }
    }

    private func runTimers() {
        let now = clock.nowNanos()
        let due = state.withLock { s -> [@Sendable () -> Void] in
            let ready = s.timers.filter { $0.dueNanos <= now }.sorted { ($0.dueNanos, $0.sequence) < ($1.dueNanos, $1.sequence) }
            s.timers.removeAll { $0.dueNanos <= now }
            return ready.map(\.action)
        }
        for action in due { action() }
    }

    private func tickDueMembers() {
        let now = clock.nowNanos()
        let due = state.withLock { s -> [Member] in
            var members: [Member] = []
            for id in s.ids where s.states[id] == .up || s.states[id] == .partitioned {
                guard let t = s.nextTickNanos[id], t <= now, let member = s.members[id] else { continue }
                s.nextTickNanos[id] = t + member.config.tickNanos
                members.append(member)
            }
            return members
        }
        for member in due { member.tick() }
    }

    /// Runs raft and apply cycles of every running member, delivering messages that are due,
    /// until nothing changes, or until `stopWhen` holds after a round of cycles (then returns
    /// true, with the round's messages still in flight).
    @discardableResult
    func settle(maxRounds: Int = 10_000, stopWhen shouldStop: (() -> Bool)? = nil) -> Bool {
        for _ in 0..<maxRounds {
            let running = state.withLock { s in
                s.ids.compactMap { id in s.states[id] == .up || s.states[id] == .partitioned ? s.members[id] : nil }
            }
            var busy = false
            for member in running {
                do {
                    busy = try member.raftCycle() || busy
                    busy = try member.applyCycle() || busy
                } catch {
                    memberFailed(member.id, error: error)
                    busy = true
                }
            }
            if busy, let shouldStop, shouldStop() { return true }
            let due = state.withLock { s in (s.network.nextDueNanos ?? .max) <= clock.nowNanos() }
            if due {
                deliverDue()
                busy = true
            }
            if !busy { return false }
        }
        return false
    }

    /// Simulated mode: advances until `condition` holds or `limitNanos` of simulated time pass.
    /// Returns whether the condition came true.
    @discardableResult
    public func run(until condition: () -> Bool, stepNanos: UInt64 = 10_000_000, limitNanos: UInt64 = 60_000_000_000) -> Bool {
        var elapsed: UInt64 = 0
        while !condition() {
            if elapsed >= limitNanos { return false }
            advance(byNanos: stepNanos)
            elapsed += stepNanos
        }
        return true
    }
}
