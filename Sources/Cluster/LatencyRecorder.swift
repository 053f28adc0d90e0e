import Histogram

/// Request latencies: an HDR histogram over the whole run, and p99 per interval for a sparkline.
public struct LatencyRecorder: Sendable {
    private var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    private var interval = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// p99 in microseconds of each closed interval, oldest first.
    public private(set) var p99History: [UInt64] = []
    public static let historyCapacity = 240
    public private(set) var errors = 0

    public init() {}

    public mutating func record(micros: UInt64) {
        let value = min(max(micros, 1), 60_000_000)
        _ = histogram.record(value)
        _ = interval.record(value)
    }

    public mutating func recordError() {
        errors += 1
    }

    /// Adds every latency and error `other` recorded (its interval history is not carried over).
    public mutating func merge(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
        interval.add(other.interval)
        errors += other.errors
    }

    /// Closes the current interval (the UI calls this once a second).
    public mutating func closeInterval() {
        p99History.append(interval.totalCount > 0 ? interval.valueAtPercentile(99) : 0)
        if p99History.count > Self.historyCapacity { p99History.removeFirst() }
        interval.reset()
    }

    public var count: UInt64 { histogram.totalCount }

    public func percentileMicros(_ p: Double) -> UInt64 {
        histogram.totalCount > 0 ? histogram.valueAtPercentile(p) : 0
    }

    public var maxMicros: UInt64 { histogram.totalCount > 0 ? histogram.max : 0 }

    /// Counts per bucket of a log-scale histogram from `lowMicros` doubling `buckets` times.
    public func buckets(lowMicros: UInt64 = 100, count buckets: Int = 12) -> [(upperMicros: UInt64, count: UInt64)] {
        // Differences of cumulative counts: the histogram counts a value in every range that
        // reaches its equivalence band, so adjacent ranges would otherwise count it twice.
        var result: [(UInt64, UInt64)] = []
        var below: UInt64 = 0
        var upper = lowMicros
        for i in 0..<buckets {
            let top = i == buckets - 1 ? UInt64.max : upper
            let upTo = i == buckets - 1 ? histogram.totalCount : histogram.count(within: 0...min(top, 60_000_000))
            result.append((top, upTo - min(below, upTo)))
            below = max(below, upTo)
            upper *= 2
        }
        return result
    }

    public mutating func reset() {
        histogram.reset()
        interval.reset()
        p99History = []
        errors = 0
    }
}
