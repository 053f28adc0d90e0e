#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking

/// Where a member reads the time: the seam between real time and simulated time.
public protocol MonotonicClock: Sendable {
    /// Nanoseconds since an arbitrary fixed point; never goes back.
    func nowNanos() -> UInt64
    /// Milliseconds of wall-clock time, for request ids.
    func wallMillis() -> UInt64
}

/// The machine's monotonic clock.
public struct SystemClock: MonotonicClock {
    public init() {}

    public func nowNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public func wallMillis() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told: simulated time.
public final class ManualClock: MonotonicClock {
    private let now: Locked<UInt64>

    public init(startNanos: UInt64 = 0) {
        now = Locked(startNanos)
    }

    public func nowNanos() -> UInt64 { now.withLock { $0 } }

    public func wallMillis() -> UInt64 { 1_700_000_000_000 + nowNanos() / 1_000_000 }

    public func advance(byNanos delta: UInt64) {
        now.withLock { $0 += delta }
    }

    public func set(_ nanos: UInt64) {
        now.withLock { value in
            precondition(nanos >= value, "simulated time going back from \(value) to \(nanos)")
            value = nanos
        }
    }
}
