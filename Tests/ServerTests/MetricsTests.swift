import Raft
import Testing
@testable import Server

/// Each member's Prometheus registry (`MemberMeters`), read as a scrape reads it.
@Suite struct MetricsTests {
    /// The member's exposition text.
    static func text(_ member: Member) -> String {
        var body: [UInt8] = []
        member.metricsExposition(into: &body)
        return String(decoding: body, as: UTF8.self)
    }

    /// The value of the sample whose name and labels are `series` exactly (`name` or `name{...}`).
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").lazy
            .filter { $0.hasPrefix(series + " ") }
            .compactMap { Double($0.split(separator: " ").last!) }
            .first
    }

    @Test func everyMemberServesItsOwnFiguresUnderEtcdsNames() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        let outcome = Outcome()
        group[lead].put(.init(key: bytes("k"), value: bytes("v")), completion: outcome.completion)
        try group.settle()
        for id in group.ids {
            let text = Self.text(group[id])
            let status = group[id].status()
            #expect(Self.value(text, "etcd_server_is_leader") == (id == lead ? 1 : 0), "member \(id)")
            #expect(Self.value(text, "etcd_server_has_leader") == 1)
            #expect(Self.value(text, "etcd_server_proposals_committed_total") == Double(status.raft.commit))
            #expect(Self.value(text, "etcd_server_proposals_applied_total") == Double(status.appliedIndex))
            #expect(Self.value(text, "etcd_server_proposals_pending") == 0)
            #expect(Self.value(text, "etcd_server_proposals_failed_total") == 0)
            #expect(Self.value(text, "etcd_server_leader_changes_seen_total") == Double(status.metrics.leaderChangesSeen))
            #expect(status.metrics.leaderChangesSeen >= 1)
            #expect(Self.value(text, "etcd_debugging_mvcc_current_revision") == 2)
            #expect(Self.value(text, "etcd_debugging_mvcc_keys_total") == 1)
            #expect(Self.value(text, "etcd_mvcc_db_total_size_in_bytes") == Double(group[id].storeSize.allocatedBytes))
            #expect(text.contains("# TYPE etcd_server_proposals_committed_total gauge"))
            #expect(text.contains("# TYPE etcd_server_proposals_failed_total counter"))
            #expect(text.contains("# TYPE etcd_disk_wal_fsync_duration_seconds histogram"))
        }
    }

    @Test func fsyncAndApplyHistogramsHaveEtcdsBucketsAndCountEachEvent() throws {
        let group = try MemberGroup()
        let lead = try group.electLeader()
        for i in 0..<3 {
            group[lead].put(.init(key: bytes("k\(i)"), value: bytes("v")), completion: Outcome().completion)
            try group.settle()
        }
        let text = Self.text(group[lead])
        // prometheus.ExponentialBuckets(0.001, 2, 14) and (0.0001, 2, 20), as etcd declares them.
        let fsyncBounds = text.split(separator: "\n").filter { $0.hasPrefix("etcd_disk_wal_fsync_duration_seconds_bucket") }
        #expect(fsyncBounds.count == 15)
        #expect(fsyncBounds.first?.contains("le=\"0.001\"") == true)
        #expect(fsyncBounds.dropLast().last?.contains("le=\"8.192\"") == true)
        let applyBounds = text.split(separator: "\n").filter { $0.hasPrefix("etcd_server_apply_duration_seconds_bucket") }
        #expect(applyBounds.count == 21)
        #expect(applyBounds.first?.contains("le=\"0.0001\"") == true)
        #expect(applyBounds.dropLast().last?.contains("le=\"52.4288\"") == true)
        let status = group[lead].status()
        #expect(Self.value(text, "etcd_disk_wal_fsync_duration_seconds_count") == Double(status.metrics.walFsyncCount))
        #expect(Self.value(text, "etcd_server_apply_duration_seconds_count") == Double(status.metrics.applyBatches))
        #expect(status.metrics.applyBatches >= 3)
    }

    @Test func aRefusedProposalCountsAsFailed() throws {
        let group = try MemberGroup { $0.maxRequestBytes = 100 }
        let lead = try group.electLeader()
        let outcome = Outcome()
        group[lead].put(.init(key: bytes("k"), value: Array(repeating: 1, count: 200)), completion: outcome.completion)
        try group.settle()
        #expect(Self.value(Self.text(group[lead]), "etcd_server_proposals_failed_total") == 1)
        #expect(Self.value(Self.text(group[lead == 1 ? 2 : 1]), "etcd_server_proposals_failed_total") == 0)
    }
}
