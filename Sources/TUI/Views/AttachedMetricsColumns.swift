import Cluster

/// The attached members table's columns from each member's /metrics: PENDING and FSYNC as the
/// built-in cluster's table names them, then backend commit (and apply, where etcd exports it)
/// latency, the proposal counters, leader changes and slow applies. A member whose /metrics
/// could not be read has the reason written across these columns.
enum AttachedMetricsColumns {
    struct Column: Sendable {
        var title: String
        var width: Int
        var value: @Sendable (AttachedMetrics) -> String
    }

    static let pending = Column(title: "PENDING", width: 8) { String($0.proposalsPending) }
    static let fsync = Column(title: "FSYNC p50/p99", width: 14) { quantiles($0.walFsync) }
    static let backend = Column(title: "BACKEND p50/p99", width: 16) { quantiles($0.backendCommit) }
    static let apply = Column(title: "APPLY p50/p99", width: 14) { quantiles($0.apply) }
    static let proposals = Column(title: "PROPOSALS c/a/f", width: 17) { m in
        "\(m.proposalsCommitted)/\(m.proposalsApplied)/\(m.proposalsFailed)"
    }
    static let leaderChanges = Column(title: "LDR CHG", width: 8) { String($0.leaderChanges) }
    static let slowApplies = Column(title: "SLOW", width: 5) { String($0.slowApplies) }

    /// Apply latency has a column only when a member exports it (etcd 3.5 and later).
    static func columns(apply: Bool) -> [Column] {
        [pending, fsync, backend] + (apply ? [Self.apply] : []) + [proposals, leaderChanges, slowApplies]
    }

    static func width(apply: Bool) -> Int { columns(apply: apply).reduce(0) { $0 + $1.width } }

    static func heading(apply: Bool) -> String {
        columns(apply: apply).map { Format.padLeft($0.title, $0.width) }.joined()
    }

    static func cells(_ m: AttachedMember, apply: Bool) -> String {
        guard let metrics = m.metrics else {
            let reason = m.metricsError ?? "metrics: not read"
            return "  " + Format.padRight(reason, width(apply: apply) - 2)
        }
        return columns(apply: apply).map { Format.padLeft($0.value(metrics), $0.width) }.joined()
    }

    /// p50/p99 in ms, or - when nothing was observed in the window.
    static func quantiles(_ q: LatencyQuantiles?) -> String {
        guard let q else { return "-" }
        return Format.millis(micros: q.p50Micros) + "/" + Format.millis(micros: q.p99Micros)
    }

    /// What the latency columns cover, for the table's title: the last N seconds, or since the
    /// members started when there is no earlier scrape to take the difference from.
    static func windowTitle(_ members: [AttachedMember]) -> String {
        guard let metrics = members.compactMap(\.metrics).first else { return "" }
        guard metrics.windowMillis > 0 else { return "  p50/p99 ms since start" }
        return "  p50/p99 ms over last \(max(1, (metrics.windowMillis + 500) / 1000)) s"
    }
}
