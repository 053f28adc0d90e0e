/// A Prometheus-style histogram of durations with exponential buckets, as etcd defines its
/// duration metrics (for example etcd_disk_wal_fsync_duration_seconds: 1 ms doubling 14 times).
public struct DurationHistogram: Sendable, Hashable {
    /// Upper bounds of the buckets in nanoseconds; an implicit last bucket holds the rest.
    public let upperBoundsNanos: [UInt64]
    /// Observations per bucket (not cumulative); one more than `upperBoundsNanos`.
    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanos: UInt64 = 0

    public init(startNanos: UInt64, factor: UInt64 = 2, buckets: Int) {
        precondition(startNanos > 0 && factor > 1 && buckets > 0, "invalid histogram buckets")
        var bounds: [UInt64] = []
        var bound = startNanos
        for _ in 0..<buckets {
            bounds.append(bound)
            bound *= factor
        }
        upperBoundsNanos = bounds
        counts = Array(repeating: 0, count: buckets + 1)
    }

    /// etcd_disk_wal_fsync_duration_seconds: 0.001 s doubling, 14 buckets.
    public static func walFsync() -> DurationHistogram { DurationHistogram(startNanos: 1_000_000, buckets: 14) }

    /// etcd_server_apply_duration_seconds: 0.0001 s doubling, 20 buckets.
    public static func apply() -> DurationHistogram { DurationHistogram(startNanos: 100_000, buckets: 20) }

    public mutating func observe(nanos: UInt64) {
        var bucket = upperBoundsNanos.count
        for (i, bound) in upperBoundsNanos.enumerated() where nanos <= bound {
            bucket = i
            break
        }
        counts[bucket] += 1
        count += 1
        sumNanos += nanos
    }

    /// The bucket bound below which `fraction` (0...1) of observations fall, as Prometheus's
    /// histogram_quantile estimates it from buckets (upper bound of the bucket reached).
    public func quantileUpperBoundNanos(_ fraction: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let rank = UInt64((Double(count) * fraction).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= max(rank, 1) { return i < upperBoundsNanos.count ? upperBoundsNanos[i] : nil }
        }
        return nil
    }

    /// Lines of the Prometheus text format, with cumulative buckets as Prometheus expects.
    public func exposition(name: String, labels: String) -> [String] {
        var lines: [String] = []
        var cumulative: UInt64 = 0
        for (i, bound) in upperBoundsNanos.enumerated() {
            cumulative += counts[i]
            lines.append("\(name)_bucket{\(labels),le=\"\(Self.seconds(bound))\"} \(cumulative)")
        }
        lines.append("\(name)_bucket{\(labels),le=\"+Inf\"} \(count)")
        lines.append("\(name)_sum{\(labels)} \(Self.seconds(sumNanos))")
        lines.append("\(name)_count{\(labels)} \(count)")
        return lines
    }

    static func seconds(_ nanos: UInt64) -> String {
        let whole = nanos / 1_000_000_000
        var fraction = String(nanos % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }
}
