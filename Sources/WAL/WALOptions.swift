#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a WAL writes.
public struct WALOptions: Sendable {
    /// A segment is cut once it holds this many bytes (etcd's SegmentSizeBytes).
    public var segmentSizeBytes: Int
    /// How many recent records `WALMonitor` keeps.
    public var tailCapacity: Int
    /// A monotonic clock in nanoseconds, to time fsyncs; a simulation passes its own.
    public var clockNanos: @Sendable () -> UInt64

    public static let defaultSegmentSizeBytes = 64 * 1024 * 1024

    public init(
        segmentSizeBytes: Int = WALOptions.defaultSegmentSizeBytes,
        tailCapacity: Int = 1024,
        clockNanos: @escaping @Sendable () -> UInt64 = monotonicNanos
    ) {
        precondition(segmentSizeBytes > 0, "segment size must be positive")
        self.segmentSizeBytes = segmentSizeBytes
        self.tailCapacity = tailCapacity
        self.clockNanos = clockNanos
    }
}

/// The system's monotonic clock in nanoseconds.
public func monotonicNanos() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
