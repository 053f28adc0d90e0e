#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Server

/// Freezing a real-time cluster: the pause a person asks for to look at one instant.
///
/// Unlike pausing members one by one (a stopped process, which the others notice and which
/// the event log records), a freeze stops the cluster's own clock and every member, network
/// and apply thread together. Nothing a member could notice happens, so thawing logs no event,
/// no election timeout or request deadline has passed, and no latency counts the frozen time.
extension Cluster {
    /// How long `freeze` waits for threads to finish the work they are in (an fsync) and stop.
    static let freezeWaitNanosMax: UInt64 = 3_000_000_000

    /// Real time: stops the clock and every thread of the cluster, and returns once each has
    /// finished the cycle it was in, so what a snapshot shows no longer changes. Returns false
    /// when some thread did not stop within `freezeWaitNanosMax` (it then stops when its work
    /// ends). Does nothing to a simulated cluster, whose time moves only when told.
    @discardableResult
    public func freeze() -> Bool {
        guard !isSimulated, let clock = clock as? PausableClock else { return true }
        let current = freezeGeneration.load(ordering: .acquiring)
        guard current & 1 == 0 else { return true }
        let generation = current + 1
        freezeGeneration.store(generation, ordering: .releasing)
        clock.stop()
        let runners = state.withLock { Array($0.runners.values) }
        for runner in runners { runner.wake() }
        networkRunner?.wakeup.signal()
        let started = SystemClock().nowNanos()
        while SystemClock().nowNanos() - started < Self.freezeWaitNanosMax {
            let stopped = runners.allSatisfy { $0.isFrozen(at: generation) }
                && networkRunner.map { $0.isFrozen(at: generation) } ?? true
            if stopped { return true }
            usleep(500)
        }
        return false
    }

    /// Real time: lets the clock and every thread run again from the instant they froze at.
    public func thaw() {
        guard !isSimulated, let clock = clock as? PausableClock else { return }
        let current = freezeGeneration.load(ordering: .acquiring)
        guard current & 1 == 1 else { return }
        clock.start()
        freezeGeneration.store(current + 1, ordering: .releasing)
        for runner in state.withLock({ Array($0.runners.values) }) { runner.wake() }
        networkRunner?.wakeup.signal()
    }

    /// Whether the cluster is frozen (real time only).
    public var isFrozen: Bool {
        freezeGeneration.load(ordering: .acquiring) & 1 == 1
    }
}
