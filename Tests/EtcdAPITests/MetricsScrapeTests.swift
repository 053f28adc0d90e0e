import Cluster
@testable import EtcdAPI
import Foundation
import RealEtcdSupport
import Testing

/// The attachment's scrape of /metrics: against a real etcd (a put shows as a committed proposal
/// and an fsync), and against an endpoint with nothing listening (the member shows why it has no
/// metrics, and the poll goes on).
@Suite(.serialized) struct MetricsScrapeTests {
    @Test(.enabled(if: RealEtcd.isInstalled, "etcd is not installed: apt-get install etcd-server"))
    func aRealEtcdShowsItsProposalsAndFsyncs() async throws {
        let etcd = try RealEtcd()
        let attachment = try EtcdAttachment(endpoints: [etcd.clientURL], pollInterval: .milliseconds(100),
                                            requestTimeout: callTimeout, metricsInterval: .zero)
        attachment.start()
        do {
            try await AttachTests.waitForSnapshot(attachment, "the member to lead") { $0.leader != nil }
            for i in 0..<10 {
                _ = try await attachment.put(key: "metrics-\(i)", value: Array("v\(i)".utf8)).get()
            }
            try await AttachTests.waitForSnapshot(attachment, "a scrape after the puts") { s in
                (s.attached?.members.first?.metrics?.proposalsApplied ?? 0) >= 10
            }
            let member = try #require(attachment.snapshot().attached?.members.first)
            #expect(member.metricsError == nil)
            let metrics = try #require(member.metrics)
            #expect(metrics.proposalsCommitted >= 10 && metrics.proposalsApplied >= 10)
            #expect(metrics.proposalsFailed == 0 && metrics.leaderChanges >= 1)
            let fsync = try #require(metrics.walFsync, "a WAL fsync p50 from etcd_disk_wal_fsync_duration_seconds")
            #expect(fsync.count > 0 && fsync.p50Micros <= fsync.p99Micros)
            #expect(metrics.applyExported == false || metrics.apply != nil)
        } catch {
            await attachment.shutdown()
            await etcd.stop()
            throw error
        }
        await attachment.shutdown()
        await etcd.stop()
    }

    @Test func aMemberWithoutMetricsSaysWhyAndThePollGoesOn() async throws {
        let port = try RealEtcd.freePort()
        let attachment = try EtcdAttachment(endpoints: ["127.0.0.1:\(port)"], pollInterval: .milliseconds(100),
                                            requestTimeout: callTimeout, metricsInterval: .zero)
        attachment.start()
        do {
            try await AttachTests.waitForSnapshot(attachment, "a scrape") { s in
                s.attached?.members.first?.metricsError != "metrics: not scraped yet"
            }
            let member = try #require(attachment.snapshot().attached?.members.first)
            #expect(member.metrics == nil && !member.reachable)
            #expect(member.metricsError == "metrics: cannot connect: Connection refused")
        } catch {
            await attachment.shutdown()
            throw error
        }
        await attachment.shutdown()
    }
}
