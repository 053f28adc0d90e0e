import Cluster

/// The figures rafttop reads from one scrape of an etcd member's /metrics, as scraped: counters
/// and histograms since the member started.
public struct EtcdMetricsReading: Sendable, Hashable {
    public var proposalsPending: Double
    public var proposalsCommitted: Double
    public var proposalsApplied: Double
    public var proposalsFailed: Double
    public var leaderChanges: Double
    public var slowApplies: Double
    public var walFsync: PrometheusHistogram?
    public var backendCommit: PrometheusHistogram?
    /// etcd_server_apply_duration_seconds: etcd 3.5 added it; 3.4 has none.
    public var apply: PrometheusHistogram?

    /// Reads etcd's metrics from `text`; a member that exports none of them is not an etcd member.
    public init(_ text: PrometheusText) throws(EtcdMetricsError) {
        guard let pending = text.value("etcd_server_proposals_pending") else { throw .notEtcd }
        proposalsPending = pending
        proposalsCommitted = text.value("etcd_server_proposals_committed_total") ?? 0
        proposalsApplied = text.value("etcd_server_proposals_applied_total") ?? 0
        proposalsFailed = text.value("etcd_server_proposals_failed_total") ?? 0
        leaderChanges = text.value("etcd_server_leader_changes_seen_total") ?? 0
        slowApplies = text.value("etcd_server_slow_apply_total") ?? 0
        walFsync = text.histogram("etcd_disk_wal_fsync_duration_seconds")
        backendCommit = text.histogram("etcd_disk_backend_commit_duration_seconds")
        // etcd 3.5 labels it by version, op and success; every series together is every apply.
        apply = Self.merged(text, "etcd_server_apply_duration_seconds")
    }

    /// One histogram of every labelled series of `name`, added bucket by bucket.
    static func merged(_ text: PrometheusText, _ name: String) -> PrometheusHistogram? {
        var counts: [Double: Double] = [:]
        for s in text.samples[name + "_bucket"] ?? [] {
            guard let le = s.labels["le"], let bound = PrometheusText.number(le) else { continue }
            counts[bound, default: 0] += s.value
        }
        let sum = (text.samples[name + "_sum"] ?? []).reduce(0) { $0 + $1.value }
        let count = (text.samples[name + "_count"] ?? []).reduce(0) { $0 + $1.value }
        return PrometheusHistogram(buckets: counts.map { .init(upperBound: $0.key, cumulativeCount: $0.value) }, sum: sum, count: count)
    }

    /// What the UI shows: counters as they are, histograms' quantiles over what was observed
    /// since `earlier` (the whole history when there is none, or the member restarted since).
    public func view(since earlier: EtcdMetricsReading?, windowMillis: UInt64) -> AttachedMetrics {
        func window(_ now: PrometheusHistogram?, _ then: PrometheusHistogram?) -> PrometheusHistogram? {
            guard let now else { return nil }
            guard let then else { return now }
            return now.since(then) ?? now
        }
        let restarted = earlier.map { proposalsCommitted < $0.proposalsCommitted } ?? true
        let base = restarted ? nil : earlier
        return AttachedMetrics(
            proposalsPending: Int64(Self.count(proposalsPending)), proposalsCommitted: Self.count(proposalsCommitted),
            proposalsApplied: Self.count(proposalsApplied), proposalsFailed: Self.count(proposalsFailed),
            leaderChanges: Self.count(leaderChanges), slowApplies: Self.count(slowApplies),
            walFsync: Self.quantiles(window(walFsync, base?.walFsync)),
            backendCommit: Self.quantiles(window(backendCommit, base?.backendCommit)),
            apply: Self.quantiles(window(apply, base?.apply)), applyExported: apply != nil,
            windowMillis: base == nil ? 0 : windowMillis)
    }

    static func count(_ value: Double) -> UInt64 {
        value.isFinite && value > 0 ? UInt64(min(value, 1e18)) : 0
    }

    /// p50 and p99 in microseconds of a histogram in seconds; nil when it observed nothing.
    static func quantiles(_ h: PrometheusHistogram?) -> LatencyQuantiles? {
        guard let h, h.total > 0, let p50 = h.quantile(0.5), let p99 = h.quantile(0.99) else { return nil }
        return LatencyQuantiles(p50Micros: count((p50 * 1_000_000).rounded()), p99Micros: count((p99 * 1_000_000).rounded()), count: count(h.total))
    }
}

public enum EtcdMetricsError: Error, Sendable, Hashable, CustomStringConvertible {
    case notEtcd

    public var description: String { "its /metrics has no etcd_server_proposals_pending: not an etcd member" }
}

/// The scrapes of one member kept to difference its histograms over a recent window rather
/// than since the member started: those of the last `window`, and the newest one before it.
struct MetricsHistory: Sendable {
    static let window: UInt64 = 10_000_000_000
    static let kept = 64
    private(set) var readings: [(atNanos: UInt64, reading: EtcdMetricsReading)] = []

    /// Records `reading` and returns what the UI shows: quantiles since the oldest scrape kept,
    /// about `window` ago once there are scrapes that old.
    mutating func add(_ reading: EtcdMetricsReading, atNanos now: UInt64) -> AttachedMetrics {
        while readings.count >= 2 && now &- readings[1].atNanos >= Self.window { readings.removeFirst() }
        if readings.count >= Self.kept { readings.removeFirst() }
        let base = readings.first
        readings.append((now, reading))
        return reading.view(since: base?.reading, windowMillis: base.map { (now - $0.atNanos) / 1_000_000 } ?? 0)
    }

    mutating func forget() { readings = [] }
}
