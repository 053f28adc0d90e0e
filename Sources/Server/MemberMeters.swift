import CoreMetrics
import Prometheus

/// A member's metrics under etcd's names, recorded through swift-metrics into a Prometheus
/// registry of the member's own: three members share a process, and each port serves its own
/// member's figures as each etcd process does, so no factory is bootstrapped globally. Durations
/// and counts of events are recorded where they happen; figures that are positions (committed
/// and applied index, revision, size) are read from the member when a scrape asks
/// (`Member.metricsExposition`).
public final class MemberMeters: Sendable {
    /// The registry every metric below lives in; it writes the text format.
    public let registry: PrometheusCollectorRegistry

    /// etcd_disk_wal_fsync_duration_seconds: each synced WAL write of the raft loop.
    let walFsyncDuration: CoreMetrics.Timer
    /// etcd_server_apply_duration_seconds: each batch the apply loop applies. (Our store is in
    /// memory and has no backend commit, so there is no etcd_disk_backend_commit_duration_seconds.)
    let applyDuration: CoreMetrics.Timer
    let proposalsFailed: CoreMetrics.Counter
    let leaderChanges: CoreMetrics.Counter
    let leasesExpired: CoreMetrics.Counter

    private let proposalsCommitted: CoreMetrics.Gauge
    private let proposalsApplied: CoreMetrics.Gauge
    private let proposalsPending: CoreMetrics.Gauge
    private let hasLeader: CoreMetrics.Gauge
    private let isLeader: CoreMetrics.Gauge
    private let currentRevision: CoreMetrics.Gauge
    private let compactRevision: CoreMetrics.Gauge
    private let keysTotal: CoreMetrics.Gauge
    private let dbTotalSize: CoreMetrics.Gauge
    private let dbTotalSizeInUse: CoreMetrics.Gauge

    /// etcd's histogram buckets: `prometheus.ExponentialBuckets(start, 2, count)`.
    static func exponentialBuckets(startNanos: Int64, count: Int) -> [Duration] {
        (0..<count).map { .nanoseconds(startNanos << $0) }
    }

    static let walFsyncBuckets = exponentialBuckets(startNanos: 1_000_000, count: 14)  // 1 ms to 8.192 s
    static let applyBuckets = exponentialBuckets(startNanos: 100_000, count: 20)  // 0.1 ms to 52.4288 s

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "etcd_disk_wal_fsync_duration_seconds": Self.walFsyncBuckets,
            "etcd_server_apply_duration_seconds": Self.applyBuckets,
        ]
        self.registry = registry
        walFsyncDuration = CoreMetrics.Timer(label: "etcd_disk_wal_fsync_duration_seconds", factory: factory)
        applyDuration = CoreMetrics.Timer(label: "etcd_server_apply_duration_seconds", factory: factory)
        proposalsFailed = CoreMetrics.Counter(label: "etcd_server_proposals_failed_total", factory: factory)
        leaderChanges = CoreMetrics.Counter(label: "etcd_server_leader_changes_seen_total", factory: factory)
        leasesExpired = CoreMetrics.Counter(label: "etcd_debugging_server_lease_expired_total", factory: factory)
        // etcd's committed and applied totals are gauges: they are set to the index, not counted.
        proposalsCommitted = CoreMetrics.Gauge(label: "etcd_server_proposals_committed_total", factory: factory)
        proposalsApplied = CoreMetrics.Gauge(label: "etcd_server_proposals_applied_total", factory: factory)
        proposalsPending = CoreMetrics.Gauge(label: "etcd_server_proposals_pending", factory: factory)
        hasLeader = CoreMetrics.Gauge(label: "etcd_server_has_leader", factory: factory)
        isLeader = CoreMetrics.Gauge(label: "etcd_server_is_leader", factory: factory)
        currentRevision = CoreMetrics.Gauge(label: "etcd_debugging_mvcc_current_revision", factory: factory)
        compactRevision = CoreMetrics.Gauge(label: "etcd_debugging_mvcc_compact_revision", factory: factory)
        keysTotal = CoreMetrics.Gauge(label: "etcd_debugging_mvcc_keys_total", factory: factory)
        dbTotalSize = CoreMetrics.Gauge(label: "etcd_mvcc_db_total_size_in_bytes", factory: factory)
        dbTotalSizeInUse = CoreMetrics.Gauge(label: "etcd_mvcc_db_total_size_in_use_in_bytes", factory: factory)
        // Counters appear at 0 from the start, as etcd's do, rather than at their first event.
        for counter in [proposalsFailed, leaderChanges, leasesExpired] { counter.increment(by: 0) }
    }

    /// Sets the gauges read from the member's state.
    func update(from status: MemberStatus, storeSize: StoreSize) {
        proposalsCommitted.record(status.proposalsCommitted)
        proposalsApplied.record(status.proposalsApplied)
        proposalsPending.record(status.proposalsPending)
        hasLeader.record(status.raft.lead == 0 ? 0 : 1)
        isLeader.record(status.raft.lead == status.id ? 1 : 0)
        currentRevision.record(status.storeRevision)
        compactRevision.record(status.storeCompactRevision)
        keysTotal.record(status.keyCount)
        dbTotalSize.record(storeSize.allocatedBytes)
        dbTotalSizeInUse.record(storeSize.inUseBytes)
    }
}

extension Member {
    /// The member's metrics in Prometheus's text exposition format, its gauges read now.
    public func metricsExposition(into buffer: inout [UInt8]) {
        meters.update(from: status(), storeSize: storeSize)
        meters.registry.emit(into: &buffer)
    }

    /// Counts `count` proposals that failed (etcd_server_proposals_failed_total).
    func proposalsFailed(_ count: Int) {
        guard count > 0 else { return }
        metrics.withLock { $0.proposalsFailed += count }
        meters.proposalsFailed.increment(by: count)
    }
}
