import Locking

/// A real-time clock that can be stopped: while stopped it reads the instant it stopped at,
/// and once started again it goes on from there, leaving the stopped time out.
///
/// A real-time cluster reads every time through one of these (member ticks, request deadlines,
/// lease expiry, latency and trace timestamps), so pausing the cluster pauses its time: no
/// election timeout and no request deadline secretly passes while a person looks at a frozen
/// screen, and no latency figure counts the pause.
public final class PausableClock: MonotonicClock {
    private struct State {
        /// Nanoseconds of stopped time so far, taken off the base clock's reading.
        var stoppedTotalNanos: UInt64 = 0
        /// The reading while stopped; nil while running.
        var stoppedAtNanos: UInt64?
    }

    private let base: any MonotonicClock
    private let state = Locked(State())

    public init(base: any MonotonicClock = SystemClock()) {
        self.base = base
    }

    public func nowNanos() -> UInt64 {
        state.withLock { s in s.stoppedAtNanos ?? base.nowNanos() - s.stoppedTotalNanos }
    }

    /// Request ids read the wall clock, which a pause does not stop: they must never repeat.
    public func wallMillis() -> UInt64 { base.wallMillis() }

    public var isStopped: Bool { state.withLock { $0.stoppedAtNanos != nil } }

    /// Stops time at the current reading; stopping a stopped clock changes nothing.
    public func stop() {
        state.withLock { s in
            guard s.stoppedAtNanos == nil else { return }
            s.stoppedAtNanos = base.nowNanos() - s.stoppedTotalNanos
        }
    }

    /// Lets time run again from where it stopped.
    public func start() {
        state.withLock { s in
            guard let at = s.stoppedAtNanos else { return }
            s.stoppedTotalNanos = base.nowNanos() - at
            s.stoppedAtNanos = nil
        }
    }
}
