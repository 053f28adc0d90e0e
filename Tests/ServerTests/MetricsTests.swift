import Testing
@testable import Server

@Suite struct MetricsTests {
    @Test func bucketsFollowEtcdsWALFsyncHistogram() {
        var h = DurationHistogram.walFsync()
        #expect(h.upperBoundsNanos.first == 1_000_000)
        #expect(h.upperBoundsNanos.last == 8_192_000_000)
        h.observe(nanos: 500_000)
        h.observe(nanos: 1_500_000)
        h.observe(nanos: 20_000_000_000)
        #expect(h.counts[0] == 1 && h.counts[1] == 1 && h.counts.last == 1)
        #expect(h.quantileUpperBoundNanos(0.5) == 2_000_000)
        let lines = h.exposition(name: "etcd_disk_wal_fsync_duration_seconds", labels: "member=\"1\"")
        #expect(lines.first == "etcd_disk_wal_fsync_duration_seconds_bucket{member=\"1\",le=\"0.001\"} 1")
        #expect(lines.contains("etcd_disk_wal_fsync_duration_seconds_bucket{member=\"1\",le=\"+Inf\"} 3"))
        #expect(lines.contains("etcd_disk_wal_fsync_duration_seconds_count{member=\"1\"} 3"))
        #expect(lines.contains("etcd_disk_wal_fsync_duration_seconds_sum{member=\"1\"} 20.002"))
    }

    @Test func memberExposesEtcdNamedMetrics() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        let outcome = Outcome()
        group[lead].put(.init(key: bytes("k"), value: bytes("v")), completion: outcome.completion)
        try group.settle()
        let text = group[lead].status().prometheusText
        #expect(text.contains("etcd_server_is_leader{member=\"\(lead)\"} 1"))
        #expect(text.contains("etcd_server_proposals_pending{member=\"\(lead)\"} 0"))
        #expect(text.contains("etcd_server_proposals_applied_total{member=\"\(lead)\"} 5"))
        #expect(text.contains("etcd_debugging_mvcc_current_revision{member=\"\(lead)\"} 2"))
        #expect(group[lead].status().metrics.applyDurations.count > 0)
    }
}
