/// A Prometheus histogram: cumulative bucket counts by upper bound (`le`), with the sum and count
/// of what it observed. Quantiles are estimated as Prometheus's histogram_quantile does.
public struct PrometheusHistogram: Sendable, Hashable {
    public struct Bucket: Sendable, Hashable {
        public var upperBound: Double
        /// Observations at most `upperBound`, counted since the histogram began.
        public var cumulativeCount: Double

        public init(upperBound: Double, cumulativeCount: Double) {
            self.upperBound = upperBound
            self.cumulativeCount = cumulativeCount
        }
    }

    /// Sorted by upper bound; the last is `+Inf`.
    public private(set) var buckets: [Bucket]
    public var sum: Double
    public var count: Double

    /// Nil when there is no `+Inf` bucket, a bound is NaN, a bound repeats, or a count is negative
    /// or not a number: such a histogram has no quantiles.
    public init?(buckets: [Bucket], sum: Double, count: Double) {
        let sorted = buckets.sorted { $0.upperBound < $1.upperBound }
        guard let last = sorted.last, last.upperBound == .infinity,
              sorted.allSatisfy({ !$0.upperBound.isNaN && $0.cumulativeCount.isFinite && $0.cumulativeCount >= 0 }),
              zip(sorted, sorted.dropFirst()).allSatisfy({ $0.upperBound < $1.upperBound }) else { return nil }
        self.buckets = sorted
        self.sum = sum
        self.count = count
    }

    /// Observations in the histogram (the `+Inf` bucket's count).
    public var total: Double { buckets.last?.cumulativeCount ?? 0 }

    /// The `q` quantile (0...1): the bucket holding the observation of rank q x total, and a
    /// linear interpolation within it, its lower bound being the bucket before's upper bound (0
    /// for the first). A rank in the `+Inf` bucket gives the highest finite bound. Nil with no
    /// observations or q outside 0...1.
    public func quantile(_ q: Double) -> Double? {
        guard (0...1).contains(q), buckets.count >= 2 else { return nil }
        let total = total
        guard total > 0 else { return nil }
        let rank = q * total
        // Cumulative counts scraped at once should never fall; if they do, do as Prometheus does
        // and treat a lower count as the one before it.
        var previousCount = 0.0
        var previousBound = 0.0
        for (i, bucket) in buckets.enumerated() {
            let cumulative = max(bucket.cumulativeCount, previousCount)
            if cumulative >= rank {
                if bucket.upperBound == .infinity { return i == 0 ? nil : buckets[i - 1].upperBound }
                let lower = i == 0 && bucket.upperBound <= 0 ? bucket.upperBound : previousBound
                let inBucket = cumulative - previousCount
                guard inBucket > 0 else { return bucket.upperBound }
                return lower + (bucket.upperBound - lower) * (rank - previousCount) / inBucket
            }
            previousCount = cumulative
            previousBound = bucket.upperBound
        }
        return buckets[buckets.count - 2].upperBound
    }

    /// What was observed since `earlier` was scraped: each bucket's count less the earlier one.
    /// Nil when the buckets differ or a count went down (the member restarted and its counters
    /// began again), when the difference would mean nothing.
    public func since(_ earlier: PrometheusHistogram) -> PrometheusHistogram? {
        guard buckets.map(\.upperBound) == earlier.buckets.map(\.upperBound) else { return nil }
        var out: [Bucket] = []
        for (now, then) in zip(buckets, earlier.buckets) {
            guard now.cumulativeCount >= then.cumulativeCount else { return nil }
            out.append(Bucket(upperBound: now.upperBound, cumulativeCount: now.cumulativeCount - then.cumulativeCount))
        }
        guard count >= earlier.count else { return nil }
        return PrometheusHistogram(buckets: out, sum: sum - earlier.sum, count: count - earlier.count)
    }
}
