import Cluster
@testable import EtcdAPI
import Foundation
import Testing

/// The Prometheus text parser on a real etcd 3.4.23 /metrics page (captured from Debian's
/// etcd-server after five puts) and on hostile text; histogram quantiles as Prometheus's
/// histogram_quantile computes them; and quantiles over a window between two scrapes.
@Suite struct PrometheusTextTests {
    static let fixture: [UInt8] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/etcd-3.4.23-metrics.txt")
        return [UInt8]((try? Data(contentsOf: url)) ?? Data())
    }()

    static func histogram(_ buckets: [(Double, Double)], sum: Double = 0) -> PrometheusHistogram? {
        PrometheusHistogram(buckets: buckets.map { .init(upperBound: $0.0, cumulativeCount: $0.1) }, sum: sum,
                            count: buckets.last?.1 ?? 0)
    }

    @Test func readsARealEtcd34MetricsPage() throws {
        #expect(Self.fixture.count > 100_000)
        let text = try PrometheusText(parsing: Self.fixture)
        #expect(text.types["etcd_disk_wal_fsync_duration_seconds"] == .histogram)
        #expect(text.types["etcd_server_proposals_pending"] == .gauge)
        // etcd 3.4 declares its committed and applied proposal totals as gauges, failed as a counter.
        #expect(text.types["etcd_server_proposals_committed_total"] == .gauge)
        #expect(text.types["etcd_server_proposals_failed_total"] == .counter)
        #expect(text.types["go_gc_duration_seconds"] == .summary)
        // Labelled samples: one series per gRPC method.
        #expect(text.value("grpc_server_handled_total", labels: ["grpc_method": "Put", "grpc_code": "OK"]) == 5)
        let reading = try EtcdMetricsReading(text)
        #expect(reading.proposalsPending == 0)
        #expect(reading.proposalsCommitted == 9 && reading.proposalsApplied == 9 && reading.proposalsFailed == 0)
        #expect(reading.leaderChanges == 1 && reading.slowApplies == 0)
        let fsync = try #require(reading.walFsync)
        #expect(fsync.buckets.count == 15 && fsync.buckets.first?.upperBound == 0.001 && fsync.buckets.last?.upperBound == .infinity)
        #expect(fsync.total == 11 && fsync.count == 11)
        #expect(try #require(reading.backendCommit).total == 7)
        // etcd 3.4 has no apply-duration histogram (3.5 added etcd_server_apply_duration_seconds).
        #expect(reading.apply == nil)
        let view = reading.view(since: nil, windowMillis: 0)
        #expect(view.applyExported == false && view.apply == nil && view.windowMillis == 0)
        // Every fsync took under 1 ms: both quantiles interpolate inside the first bucket (0 to 1 ms).
        let q = try #require(view.walFsync)
        #expect(q.count == 11 && q.p50Micros == 500 && q.p99Micros == 990)
    }

    @Test func aPageWithoutEtcdsMetricsIsNotAnEtcdMember() throws {
        let text = try PrometheusText(parsing: "# TYPE up gauge\nup 1\n")
        #expect(throws: EtcdMetricsError.notEtcd) { try EtcdMetricsReading(text) }
    }

    @Test func quantilesInterpolateLinearlyWithinTheirBucket() throws {
        let h = try #require(Self.histogram([(0.001, 0), (0.002, 10), (0.004, 20), (.infinity, 20)]))
        #expect(h.quantile(0.25) == 0.0015)
        #expect(abs(try #require(h.quantile(0.99)) - 0.00396) < 1e-12)
        #expect(h.quantile(0.5) == 0.002)
        #expect(h.quantile(1.5) == nil && h.quantile(-0.1) == nil)
        // A rank in the +Inf bucket gives the highest finite bound.
        let tail = try #require(Self.histogram([(1, 5), (2, 5), (.infinity, 10)]))
        #expect(tail.quantile(0.99) == 2)
        // The first bucket's lower bound is 0.
        #expect(Self.histogram([(4, 8), (.infinity, 8)])?.quantile(0.5) == 2)
        #expect(Self.histogram([(1, 0), (.infinity, 0)])?.quantile(0.5) == nil)
        // Buckets given out of order are sorted; no +Inf bucket, or a repeated bound, is no histogram.
        #expect(Self.histogram([(.infinity, 4), (1, 4)])?.quantile(0.5) == 0.5)
        #expect(Self.histogram([(1, 4), (2, 4)]) == nil)
        #expect(Self.histogram([(1, 4), (1, 4), (.infinity, 4)]) == nil)
    }

    @Test func theWindowIsTheDifferenceOfTwoScrapes() throws {
        let before = try #require(Self.histogram([(0.001, 100), (0.01, 100), (.infinity, 100)], sum: 0.05))
        let after = try #require(Self.histogram([(0.001, 100), (0.01, 110), (.infinity, 110)], sum: 0.1))
        let window = try #require(after.since(before))
        #expect(window.total == 10 && window.count == 10 && abs(window.sum - 0.05) < 1e-12)
        // Since the start, the slow fsyncs are lost in the fast ones; over the window they are all there is.
        #expect(try #require(after.quantile(0.5)) < 0.001)
        #expect(try #require(window.quantile(0.5)) > 0.001)
        // A counter that went down (the member restarted) has no difference.
        #expect(before.since(after) == nil)
        let otherBuckets = try #require(Self.histogram([(0.002, 1), (.infinity, 1)]))
        #expect(after.since(otherBuckets) == nil)
    }

    @Test func theHistoryReportsQuantilesOverItsWindow() throws {
        func page(committed: Int, fast: Int, slow: Int) throws -> EtcdMetricsReading {
            let total = fast + slow
            let text = """
                etcd_server_proposals_pending 2
                etcd_server_proposals_committed_total \(committed)
                etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} \(fast)
                etcd_disk_wal_fsync_duration_seconds_bucket{le="0.1"} \(total)
                etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} \(total)
                etcd_disk_wal_fsync_duration_seconds_sum 1
                etcd_disk_wal_fsync_duration_seconds_count \(total)

                """
            return try EtcdMetricsReading(PrometheusText(parsing: text))
        }
        var history = MetricsHistory()
        let first = history.add(try page(committed: 10, fast: 100, slow: 0), atNanos: 1_000_000_000)
        #expect(first.windowMillis == 0 && first.proposalsPending == 2 && first.proposalsCommitted == 10)
        #expect(try #require(first.walFsync).p99Micros < 1000)
        let second = history.add(try page(committed: 20, fast: 100, slow: 10), atNanos: 3_000_000_000)
        #expect(second.windowMillis == 2000)
        let fsync = try #require(second.walFsync)
        #expect(fsync.count == 10 && fsync.p50Micros > 1000)
        // The window reaches back to the oldest scrape kept: the slow fsyncs are still in it.
        let third = history.add(try page(committed: 20, fast: 100, slow: 10), atNanos: 4_000_000_000)
        #expect(third.windowMillis == 3000 && third.walFsync?.count == 10)
        // Ten seconds later the older scrapes have left the window, and nothing was fsynced since
        // the one scrape kept: no quantiles rather than stale ones.
        let idle = history.add(try page(committed: 20, fast: 100, slow: 10), atNanos: 14_000_000_000)
        #expect(idle.windowMillis == 10_000 && idle.walFsync == nil && idle.backendCommit == nil)
        let later = history.add(try page(committed: 21, fast: 101, slow: 10), atNanos: 15_000_000_000)
        #expect(later.windowMillis == 11_000 && later.walFsync?.count == 1)
        // A restarted member's counters begin again: quantiles since its start.
        let restarted = history.add(try page(committed: 3, fast: 5, slow: 0), atNanos: 16_000_000_000)
        #expect(restarted.windowMillis == 0 && restarted.walFsync?.count == 5)
    }

    @Test func labelsAndValuesInTheirWrittenForms() throws {
        let text = try PrometheusText(parsing: """
            # HELP x A help line with "quotes" and \\ backslashes.
            # TYPE x counter
            x{a="one, two",b="q\\"uote",c="new\\nline"} 1.5e3 1700000000000
            y{} -Inf
            z NaN
            w +Inf\r

            """)
        #expect(text.value("x", labels: ["a": "one, two", "b": "q\"uote", "c": "new\nline"]) == 1500)
        #expect(text.value("y") == -.infinity)
        #expect(text.value("z")?.isNaN == true)
        #expect(text.value("w") == .infinity)
        #expect(text.value("x", labels: ["a": "other"]) == nil)
    }

    @Test func hostileTextIsAnErrorNamingTheLine() {
        func error(_ text: String) -> PrometheusTextError? {
            do { _ = try PrometheusText(parsing: text); return nil } catch { return error }
        }
        #expect(error("ok 1\nbad{a=\"1\" 2\n") == .malformed(line: 2, reason: "expected , or } after label a"))
        #expect(error("x{a=\"open} 1") == .malformed(line: 1, reason: "label a's value is not closed"))
        #expect(error("x{a=1} 1") == .malformed(line: 1, reason: "expected a quoted value for label a"))
        #expect(error("x 0x1F") == .malformed(line: 1, reason: "\"0x1F\" is not a number"))
        #expect(error("x 1 2 3") == .malformed(line: 1, reason: "expected a value and an optional timestamp after x"))
        #expect(error("x 1 soon") == .malformed(line: 1, reason: "\"soon\" is not a timestamp"))
        #expect(error("9x 1") == .malformed(line: 1, reason: "expected a metric or label name"))
        #expect(error("x{a=\"\\q\"} 1") == .malformed(line: 1, reason: "unknown escape \\q in label a"))
        #expect(error("# TYPE x sometimes") != nil)
        #expect(error("x 1\n" + String(repeating: "y", count: PrometheusText.lineBytesMax + 1))
            == .lineTooLong(line: 2, bytes: PrometheusText.lineBytesMax + 1, limit: PrometheusText.lineBytesMax))
        let huge = [UInt8](repeating: UInt8(ascii: "\n"), count: PrometheusText.bodyBytesMax + 1)
        #expect(throws: PrometheusTextError.bodyTooLarge(bytes: huge.count, limit: PrometheusText.bodyBytesMax)) {
            try PrometheusText(parsing: huge)
        }
        #expect(throws: PrometheusTextError.notUTF8(line: 1)) { try PrometheusText(parsing: [0x78, 0x20, 0xff, 0x0a]) }
        let many = String(repeating: "x 1\n", count: PrometheusText.samplesMax + 1)
        #expect(error(many) == .tooManySamples(limit: PrometheusText.samplesMax))
    }

    /// Every byte of the real page changed in turn to one of a few bytes the grammar cares about,
    /// at seeded places: each result parses or throws, and never traps.
    @Test func mutatedPagesNeverCrashTheParser() throws {
        var rng = SplitMix(seed: 25)
        let specials: [UInt8] = Array("{}\"=,\\ \n#+-.eE0".utf8) + [0xff, 0x00, 0xc3]
        var failures = 0
        for _ in 0..<300 {
            var page = Self.fixture
            for _ in 0..<4 {
                let at = Int(rng.next() % UInt64(page.count))
                page[at] = specials[Int(rng.next() % UInt64(specials.count))]
            }
            do {
                let text = try PrometheusText(parsing: page)
                _ = text.histogram("etcd_disk_wal_fsync_duration_seconds")?.quantile(0.99)
                _ = try? EtcdMetricsReading(text)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
    }
}

/// A seeded PRNG (SplitMix64) for the mutation test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
